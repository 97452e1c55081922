// `deno task bench`: starts a dedicated control plane, runs the scenarios, writes bench/results/ and prints the table.
//
//   deno task bench                      all scenarios, full size (~12 min on 2 cores)
//   deno task bench --quick              small counts, results in bench/results/quick.{json,md}
//   deno task bench --only=memory,startup
//   deno task bench --profile            also record operator CPU/heap profiles (bench/results/profiles/)
import { parseArgs } from "node:util";
import { errorText, note, printOut } from "./lib/log.ts";
import { machineFacts, observeLoad } from "./lib/machine.ts";
import { liveOperators } from "./lib/operator.ts";
import {
  type BenchResults,
  readResults,
  renderTable,
  type ScenarioResult,
  writeResults,
} from "./lib/report.ts";
import type {
  Scenario,
  ScenarioContext,
  ScenarioOutput,
} from "./lib/scenario.ts";
import { BenchWorld } from "./lib/world.ts";
import { economyScenario } from "./scenarios/economy.ts";
import { latencyScenario } from "./scenarios/latency.ts";
import { memoryScenario } from "./scenarios/memory.ts";
import { startupScenario } from "./scenarios/startup.ts";
import { throughputScenario } from "./scenarios/throughput.ts";

/** The scenarios in the order they run (startup and memory reuse throughput's registered fleet). */
export const SCENARIOS: ReadonlyArray<[string, Scenario]> = [
  ["latency", latencyScenario],
  ["economy", economyScenario],
  ["throughput", throughputScenario],
  ["startup", startupScenario],
  ["memory", memoryScenario],
];

const RESULTS_DIR = decodeURIComponent(
  new URL("./results/", import.meta.url).pathname,
);

function usage(): string {
  return `Usage: deno task bench [--quick] [--only=${
    SCENARIOS.map(([n]) => n).join(",")
  }] [--profile]\n`;
}

async function main(argv: string[]): Promise<number> {
  let flags;
  try {
    flags = parseArgs({
      args: argv.filter((a) => a !== "--"),
      options: {
        quick: { type: "boolean", default: false },
        profile: { type: "boolean", default: false },
        only: { type: "string" },
        help: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    await printOut(`${errorText(error)}\n${usage()}`);
    return 2;
  }
  if (flags.help) {
    await printOut(usage());
    return 0;
  }
  const names = SCENARIOS.map(([n]) => n);
  const only = flags.only?.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = only?.filter((n) => !names.includes(n)) ?? [];
  if (unknown.length > 0) {
    await printOut(`Unknown scenario(s): ${unknown.join(", ")}\n${usage()}`);
    return 2;
  }
  const selected = SCENARIOS.filter(([n]) => !only || only.includes(n));
  const mode = flags.quick ? "quick" : "full";
  const base = `${RESULTS_DIR}${mode === "quick" ? "quick" : "latest"}`;
  const command = `deno task bench${flags.quick ? " --quick" : ""}${
    only ? ` --only=${only.join(",")}` : ""
  }${flags.profile ? " --profile" : ""}`;

  note(`${command}: ${selected.map(([n]) => n).join(", ")}`);
  const world = await BenchWorld.start(flags.profile);
  const stopAll = async (signal: string) => {
    note(`${signal}: stopping the operators and the control plane`);
    for (const operator of liveOperators) operator.kill();
    await world[Symbol.asyncDispose]().catch(() => {});
    Deno.exit(130);
  };
  const onInt = () => void stopAll("SIGINT");
  const onTerm = () => void stopAll("SIGTERM");
  Deno.addSignalListener("SIGINT", onInt);
  Deno.addSignalListener("SIGTERM", onTerm);
  let failed = 0;
  try {
    const previous = only && mode === "full"
      ? await readResults(`${base}.json`)
      : undefined;
    const results: BenchResults = {
      generatedAt: new Date().toISOString(),
      mode,
      command,
      machine: await machineFacts(world.versions),
      scenarios: previous?.mode === mode ? { ...previous.scenarios } : {},
    };
    const ctx: ScenarioContext = {
      world,
      quick: flags.quick ?? false,
      profile: flags.profile ?? false,
      profileDir: `${RESULTS_DIR}profiles`,
    };
    for (const [name, scenario] of selected) {
      note(`scenario ${name}: start`);
      const load = await observeLoad();
      const started = performance.now();
      const out: ScenarioOutput = { rows: [], data: {} };
      let error: string | undefined;
      try {
        await scenario(ctx, out);
      } catch (e) {
        error = e instanceof Error ? (e.stack ?? e.message) : String(e);
        failed++;
        note(`scenario ${name} failed: ${error}`);
      }
      const result: ScenarioResult = {
        ranAt: new Date().toISOString(),
        durationSeconds: Math.round((performance.now() - started) / 100) / 10,
        load: await load.end(),
        rows: out.rows,
        data: out.data,
        ...(error === undefined ? {} : { error }),
      };
      results.scenarios[name] = result;
      // Keep the canonical order in the file whatever ran first.
      results.scenarios = Object.fromEntries(
        names.flatMap((n) => {
          const s = results.scenarios[n];
          return s ? [[n, s]] : [];
        }),
      );
      results.generatedAt = new Date().toISOString();
      await Deno.mkdir(RESULTS_DIR, { recursive: true });
      await writeResults(base, results);
      note(
        `scenario ${name}: done in ${result.durationSeconds}s (machine CPU busy ${
          Math.round(result.load.cpuBusy * 100)
        }%)`,
      );
    }
    await printOut(renderTable(results));
    note(`results written to ${base}.json and ${base}.md`);
  } finally {
    Deno.removeSignalListener("SIGINT", onInt);
    Deno.removeSignalListener("SIGTERM", onTerm);
    for (const operator of liveOperators) operator.kill();
    await world[Symbol.asyncDispose]();
  }
  return failed === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
