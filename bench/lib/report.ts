// Results: one row per metric (measured vs target), the raw data per scenario, JSON and Markdown files.
import type { LoadWindow, MachineFacts } from "./machine.ts";

/** One line of the results table. */
export interface ResultRow {
  metric: string;
  /** Measured value (number in `unit`, or text). */
  measured: number | string;
  unit: string;
  /** The target in words, e.g. "< 300 ms"; "" for informational rows. */
  target: string;
  /** Whether the target was met; null for informational rows. */
  met: boolean | null;
}

/** What one scenario produced. */
export interface ScenarioResult {
  ranAt: string;
  durationSeconds: number;
  /** How busy the machine was meanwhile (other engineers' test suites share it). */
  load: LoadWindow;
  rows: ResultRow[];
  /** Raw numbers, per-run samples and method notes. */
  data: Record<string, unknown>;
  /** Set when the scenario failed; rows may be partial. */
  error?: string;
}

/** The results file. */
export interface BenchResults {
  generatedAt: string;
  mode: "full" | "quick";
  command: string;
  machine: MachineFacts;
  scenarios: Record<string, ScenarioResult>;
}

/** A row with a target: `met` is computed by `check`. */
export function targetRow(
  metric: string,
  measured: number,
  unit: string,
  target: string,
  check: (value: number) => boolean,
): ResultRow {
  return {
    metric,
    measured,
    unit,
    target,
    met: Number.isFinite(measured) ? check(measured) : false,
  };
}

/** An informational row (no target). */
export function infoRow(
  metric: string,
  measured: number | string,
  unit = "",
): ResultRow {
  return { metric, measured, unit, target: "", met: null };
}

function cell(row: ResultRow): string {
  const value = typeof row.measured === "number"
    ? (Number.isInteger(row.measured)
      ? String(row.measured)
      : row.measured.toFixed(row.measured >= 100 ? 0 : 1))
    : row.measured;
  return row.unit ? `${value} ${row.unit}` : value;
}

function verdict(met: boolean | null): string {
  if (met === null) return "–";
  return met ? "✅ yes" : "❌ no";
}

/** The Markdown report: machine facts, the table, and the load each scenario ran under. */
export function renderMarkdown(results: BenchResults): string {
  const m = results.machine;
  const lines = [
    `# Benchmark results (${results.mode})`,
    "",
    `Generated ${results.generatedAt} by \`${results.command}\`.`,
    "",
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryMiB} MiB RAM, ${m.os} (kernel ${m.kernel}); ` +
    `Deno ${m.deno} (V8 ${m.v8}); Kubernetes ${m.kubernetes}, etcd ${m.etcd}. ` +
    "The control plane, the simulators, the harness and the operator share these cores.",
    "",
    "| Scenario | Metric | Measured | Target | Met? |",
    "| --- | --- | --- | --- | --- |",
  ];
  for (const [name, scenario] of Object.entries(results.scenarios)) {
    if (scenario.error) {
      lines.push(
        `| ${name} | scenario failed: ${
          scenario.error.split("\n")[0]?.slice(0, 160).replaceAll("|", "\\|")
        } | – | – | ❌ no |`,
      );
    }
    for (const row of scenario.rows) {
      lines.push(
        `| ${name} | ${row.metric} | ${cell(row)} | ${row.target || "–"} | ${
          verdict(row.met)
        } |`,
      );
    }
  }
  lines.push(
    "",
    "## Machine load during each scenario",
    "",
    "| Scenario | Ran at | Duration | CPU busy (all cores) | Load avg start → end |",
    "| --- | --- | --- | --- | --- |",
  );
  for (const [name, s] of Object.entries(results.scenarios)) {
    lines.push(
      `| ${name} | ${s.ranAt} | ${s.durationSeconds} s | ${
        Math.round(s.load.cpuBusy * 100)
      } % | ${s.load.loadavgStart} → ${s.load.loadavgEnd} |`,
    );
  }
  lines.push(
    "",
    "Raw numbers, samples and method notes: `latest.json` next to this file (see bench/README.md).",
    "",
  );
  return lines.join("\n");
}

/** A plain-text table for the terminal. */
export function renderTable(results: BenchResults): string {
  const rows: string[][] = [[
    "scenario",
    "metric",
    "measured",
    "target",
    "met",
  ]];
  for (const [name, scenario] of Object.entries(results.scenarios)) {
    if (scenario.error) {
      rows.push([
        name,
        "FAILED",
        scenario.error.split("\n")[0] ?? "",
        "",
        "no",
      ]);
    }
    for (const row of scenario.rows) {
      rows.push([
        name,
        row.metric,
        cell(row),
        row.target || "-",
        row.met === null ? "-" : row.met ? "yes" : "NO",
      ]);
    }
  }
  const widths =
    rows[0]?.map((_, i) =>
      Math.min(70, Math.max(...rows.map((r) => (r[i] ?? "").length)))
    ) ?? [];
  return rows.map((r) =>
    r.map((c, i) => c.slice(0, 70).padEnd(widths[i] ?? 0)).join("  ").trimEnd()
  ).join("\n") + "\n";
}

/** Reads a previous results file, if any. */
export async function readResults(
  path: string,
): Promise<BenchResults | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as BenchResults;
  } catch {
    return undefined;
  }
}

/** Writes `<base>.json` and `<base>.md`. */
export async function writeResults(
  base: string,
  results: BenchResults,
): Promise<void> {
  await Deno.writeTextFile(
    `${base}.json`,
    JSON.stringify(results, null, 2) + "\n",
  );
  await Deno.writeTextFile(`${base}.md`, renderMarkdown(results));
}
