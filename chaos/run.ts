// `deno task chaos`: seeded fault schedules against a real kube-apiserver and the simulators, with invariants checked after each.
//
//   deno task chaos                      10 schedules, seeds 1..10
//   deno task chaos --seed=17            replay one schedule (its trace and violations are printed)
//   deno task chaos --schedules=200 --first-seed=1000
//   options: --actions=N (steps after the creates, default 12), --settle=S (quiescence bound, default 90),
//            --verbose (trace of passing schedules too), --results=DIR (one JSON file per schedule, and
//            the operators' whole logs of each failing one)
import { parseArgs } from "node:util";
import { formatFigures, formatResult, runFigures } from "./report.ts";
import { runSchedule, type ScheduleResult } from "./run_schedule.ts";
import { generateSchedule } from "./schedule/generate.ts";
import { ChaosCluster } from "./world/cluster.ts";

const encoder = new TextEncoder();
const started = performance.now();

function note(message: string): void {
  const elapsed = ((performance.now() - started) / 1000).toFixed(1);
  Deno.stderr.writeSync(encoder.encode(`[chaos +${elapsed}s] ${message}\n`));
}

async function print(text: string): Promise<void> {
  const bytes = encoder.encode(`${text}\n`);
  let written = 0;
  while (written < bytes.length) {
    written += await Deno.stdout.write(bytes.subarray(written));
  }
}

const USAGE =
  "Usage: deno task chaos [--seed=N | --schedules=N [--first-seed=N]] [--actions=N] [--settle=SECONDS] [--verbose] [--results=DIR]";

function positiveInt(
  name: string,
  value: string | undefined,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(`--${name}: expected a whole number, got "${value}"`);
  }
  return n;
}

async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args: argv.filter((a) => a !== "--"),
      options: {
        seed: { type: "string" },
        schedules: { type: "string" },
        "first-seed": { type: "string" },
        actions: { type: "string" },
        settle: { type: "string" },
        results: { type: "string" },
        verbose: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    await print(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  if (flags.help) {
    await print(USAGE);
    return 0;
  }
  let seeds: number[];
  let actions: number;
  let settleMs: number;
  try {
    actions = positiveInt("actions", flags.actions, 12);
    settleMs = positiveInt("settle", flags.settle, 90) * 1000;
    if (flags.seed !== undefined) {
      seeds = [positiveInt("seed", flags.seed, 0)];
    } else {
      const count = positiveInt("schedules", flags.schedules, 10);
      const first = positiveInt("first-seed", flags["first-seed"], 1);
      seeds = Array.from({ length: count }, (_, i) => first + i);
    }
  } catch (error) {
    await print(`${error instanceof Error ? error.message : error}\n${USAGE}`);
    return 2;
  }
  const verbose = flags.verbose || flags.seed !== undefined;
  note(
    `${seeds.length} schedule(s), seeds ${seeds[0]}..${
      seeds.at(-1)
    }, ${actions} actions each`,
  );
  const interrupted = new AbortController();
  const onSignal = () => {
    note("interrupted: stopping the operators and the control plane");
    interrupted.abort(new Error("interrupted"));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  await using cluster = await ChaosCluster.start({ note });
  const results: ScheduleResult[] = [];
  for (const seed of seeds) {
    if (interrupted.signal.aborted) break;
    const schedule = generateSchedule(seed, { actions });
    const result = await runSchedule(cluster, schedule, {
      settleTimeoutMs: settleMs,
      note,
      signal: interrupted.signal,
      fullLogs: flags.results !== undefined,
    });
    if (interrupted.signal.aborted) break;
    results.push(result);
    await print(formatResult(result, { actions, verbose }));
    if (flags.results) {
      const { fullLogs, ...rest } = result;
      await Deno.mkdir(flags.results, { recursive: true });
      await Deno.writeTextFile(
        `${flags.results}/seed-${seed}.json`,
        JSON.stringify(rest, null, 2),
      );
      if (fullLogs) {
        await Deno.writeTextFile(
          `${flags.results}/seed-${seed}.operator.log`,
          fullLogs,
        );
      }
    }
    note(`seed ${seed} done (${results.length}/${seeds.length})`);
  }
  Deno.removeSignalListener("SIGINT", onSignal);
  Deno.removeSignalListener("SIGTERM", onSignal);
  const figures = runFigures(results, performance.now() - started);
  await print(`\n${formatFigures(figures)}`);
  if (interrupted.signal.aborted) return 130;
  return figures.failedSchedules === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
