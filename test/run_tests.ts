// The test command (`deno task test`): provision, test CA, shared control plane, `deno test`, then `N passed, N failed`.

import {
  type ControlPlane,
  startControlPlane,
} from "./controlplane/control_plane.ts";
import { provisionBinaries } from "./controlplane/provision.ts";
import { controlPlaneEnv } from "./controlplane/shared.ts";
import { generateTestTls, TEST_TLS_DIR_ENV } from "./support/test_tls.ts";

/** Tests (and test steps) that passed and failed in one run. */
export interface TestTally {
  passed: number;
  failed: number;
}

// deno test's closing line, e.g. "FAILED | 2 passed (3 steps) | 2 failed (1 step) | 1 ignored (5ms)".
const SUMMARY_LINE =
  /^(?:ok|FAILED) \| (\d+) passed(?: \((\d+) steps?\))? \| (\d+) failed(?: \((\d+) steps?\))?/;
// deno test flags whose value is the next argument (so that argument is not a path).
const FLAGS_WITH_VALUE = new Set([
  "--filter",
  "--reporter",
  "--junit-path",
  "--seed",
  "--ignore",
  "--config",
  "-c",
  "--cert",
  "--location",
  "--import-map",
  "--lock",
  "--env-file",
  "--v8-flags",
]);
const TEST_ROOT = decodeURIComponent(new URL(".", import.meta.url).pathname);

function stripAnsi(text: string): string {
  // deno-lint-ignore no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, "");
}

/**
 * Counts from deno test's output. Steps count like tests (as in deno's JUnit report): "2 passed
 * (3 steps)" is 5 passed. Without a summary line (deno crashed, or type checking failed) the
 * per-test result lines are counted instead. A non-zero exit code always means at least 1 failed.
 */
export function tallyTestOutput(output: string, exitCode: number): TestTally {
  const lines = stripAnsi(output).split("\n").map((line) => line.trim());
  const summary = lines.findLast((line) => SUMMARY_LINE.test(line));
  const match = summary === undefined ? null : SUMMARY_LINE.exec(summary);
  let tally: TestTally;
  if (match) {
    const count = (i: number) => Number(match[i] ?? 0);
    tally = { passed: count(1) + count(2), failed: count(3) + count(4) };
  } else {
    tally = {
      passed: lines.filter((line) => / \.\.\. ok\b/.test(line)).length,
      failed: lines.filter((line) => / \.\.\. FAILED\b/.test(line)).length,
    };
  }
  if (exitCode !== 0 && tally.failed === 0) tally.failed = 1;
  return tally;
}

/** The closing line CI reads. */
export function formatTally(tally: TestTally): string {
  return `${tally.passed} passed, ${tally.failed} failed`;
}

/**
 * Test files run side by side (`DENO_JOBS` of them, 3 unless set): the end-to-end tests mostly wait
 * on the operator, the simulators and the API server, and each uses its own namespaces and simulators.
 */
export const DEFAULT_TEST_JOBS = "3";

/**
 * Test files that run after the others, on their own: the chaos schedules judge the operator under
 * faults they inject themselves, and the load of every other test file beside them is not one of
 * those faults.
 */
export const RUN_ALONE = ["e2e/chaos_test.ts"];

const BASE_ARGS = [
  "test",
  "-A",
  "--parallel",
  "--sanitize-ops",
  "--sanitize-resources",
];

/**
 * The `deno test` runs, one after the other: sanitizers on and files in parallel. With a path the
 * caller's arguments run as given; without one, `test/` runs without {@linkcode RUN_ALONE}, then
 * those files with the same flags.
 */
export function denoTestRuns(cliArgs: readonly string[]): string[][] {
  const hasPath = cliArgs.some((arg, i) =>
    !arg.startsWith("-") && !FLAGS_WITH_VALUE.has(cliArgs[i - 1] ?? "")
  );
  if (hasPath) return [[...BASE_ARGS, ...cliArgs]];
  const alone = RUN_ALONE.map((file) => `${TEST_ROOT}${file}`);
  return [
    [...BASE_ARGS, `--ignore=${alone.join(",")}`, ...cliArgs, TEST_ROOT],
    [...BASE_ARGS, ...cliArgs, ...alone],
  ];
}

const encoder = new TextEncoder();

function note(message: string): void {
  Deno.stderr.writeSync(encoder.encode(`[run_tests] ${message}\n`));
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)}s`;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Copies `stream` to `sink` as it arrives and returns everything it carried, decoded. */
async function tee(
  stream: ReadableStream<Uint8Array>,
  sink: { write(p: Uint8Array): Promise<number> },
): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of stream) {
    let written = 0;
    while (written < chunk.length) {
      written += await sink.write(chunk.subarray(written));
    }
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}

async function runDenoTest(
  args: string[],
  env: Record<string, string>,
  signal: AbortSignal,
): Promise<TestTally> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal,
  }).spawn();
  const [stdout] = await Promise.all([
    tee(child.stdout, Deno.stdout),
    tee(child.stderr, Deno.stderr),
  ]);
  const status = await child.status;
  return tallyTestOutput(stdout, status.code);
}

/** Runs the whole test command; returns the process exit code. */
async function main(cliArgs: readonly string[]): Promise<number> {
  const interrupted = new AbortController();
  const onSignal = (name: Deno.Signal) => () => {
    note(`${name} received: stopping`);
    interrupted.abort(new Error(`Interrupted by ${name}`));
  };
  const signals = [["SIGINT", onSignal("SIGINT")], [
    "SIGTERM",
    onSignal("SIGTERM"),
  ]] as const;
  for (const [name, handler] of signals) Deno.addSignalListener(name, handler);

  let tally: TestTally = { passed: 0, failed: 0 };
  let plane: ControlPlane | undefined;
  const tlsDir = await Deno.makeTempDir({ prefix: "apim-test-tls-" });
  try {
    let start = performance.now();
    const binDir = await provisionBinaries({ signal: interrupted.signal });
    note(`control-plane binaries in ${binDir} (${seconds(start)})`);
    const tls = await generateTestTls(tlsDir);

    start = performance.now();
    plane = await startControlPlane({
      binDir,
      withControllerManager: true,
      signal: interrupted.signal,
    });
    note(`control plane ready at ${plane.server} (${seconds(start)})`);

    for (const args of denoTestRuns(cliArgs)) {
      if (interrupted.signal.aborted) break;
      start = performance.now();
      note(`deno ${args.join(" ")}`);
      const run = await runDenoTest(args, {
        DENO_JOBS: Deno.env.get("DENO_JOBS") ?? DEFAULT_TEST_JOBS,
        // fetch trusts DENO_CERT; node:https (used by @azure/identity) trusts NODE_EXTRA_CA_CERTS.
        DENO_CERT: tls.caPath,
        NODE_EXTRA_CA_CERTS: tls.caPath,
        [TEST_TLS_DIR_ENV]: tls.dir,
        ...controlPlaneEnv(plane),
      }, interrupted.signal);
      tally = {
        passed: tally.passed + run.passed,
        failed: tally.failed + run.failed,
      };
      note(`deno test finished (${seconds(start)})`);
    }
  } catch (error) {
    note(`test run aborted: ${errorText(error)}`);
    tally.failed++;
  } finally {
    try {
      await plane?.stop();
    } catch (error) {
      note(`stopping the control plane failed: ${errorText(error)}`);
      tally.failed++;
    }
    await Deno.remove(tlsDir, { recursive: true }).catch(() => {});
    for (const [name, handler] of signals) {
      Deno.removeSignalListener(name, handler);
    }
  }
  if (interrupted.signal.aborted && tally.failed === 0) tally.failed = 1;
  await Deno.stdout.write(encoder.encode(`${formatTally(tally)}\n`));
  if (interrupted.signal.aborted) return 130;
  return tally.failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
