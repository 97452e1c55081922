// Reads the table of deliberate simulator differences (test/sim/apim/DEVIATIONS.md) and matches replay differences against it.

import type { Difference } from "./replay_compare.ts";

/** The file that lists every deliberate difference, with its reason. */
export const DEVIATIONS_FILE = new URL(
  "../../sim/apim/DEVIATIONS.md",
  import.meta.url,
);

/** One row of the table. */
export interface Deviation {
  /**
   * Space-separated recording names (`*` matches anything), each optionally `#i,j` for some
   * interactions only.
   */
  recordings: string;
  aspect: string;
  kind: string;
  reason: string;
  /** 1-based line in DEVIATIONS.md, for messages. */
  line: number;
}

const HEADER = /^\|\s*recordings\s*\|\s*aspect\s*\|\s*kind\s*\|\s*reason\s*\|$/;

function cell(text: string): string {
  return text.trim().replace(/^`(.*)`$/, "$1");
}

/** Every row of the deviations table. */
export function loadDeviations(file: URL = DEVIATIONS_FILE): Deviation[] {
  const lines = Deno.readTextFileSync(file).split("\n");
  const start = lines.findIndex((l) => HEADER.test(l.trim()));
  if (start < 0) throw new Error(`No deviations table in ${file.pathname}`);
  const rows: Deviation[] = [];
  for (let i = start + 2; i < lines.length; i++) {
    const line = lines[i]?.trim() ?? "";
    if (!line.startsWith("|")) break;
    const cells = line.slice(1, -1).split(" | ");
    const [recordings, aspect, kind, ...reason] = cells;
    if (!recordings || !aspect || !kind || reason.length === 0) {
      throw new Error(`Malformed deviation row at line ${i + 1}: ${line}`);
    }
    rows.push({
      recordings: cell(recordings),
      aspect: cell(aspect),
      kind: cell(kind),
      reason: reason.join(" | ").trim(),
      line: i + 1,
    });
  }
  return rows;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()[\]\\]/g, "\\$&").replaceAll(
    "*",
    ".*",
  );
  return new RegExp(`^${escaped}$`);
}

function appliesTo(
  deviation: Deviation,
  recording: string,
  index: number,
): boolean {
  return deviation.recordings.split(/\s+/).some((pattern) => {
    const [names = "", only] = pattern.split("#");
    if (!globToRegExp(names).test(recording)) return false;
    return only === undefined ||
      only.split(",").map((n) => Number(n.trim())).includes(index);
  });
}

/** The row that explains `difference` of interaction `index` of `recording`, if any. */
export function explain(
  deviations: readonly Deviation[],
  recording: string,
  index: number,
  difference: Difference,
): Deviation | undefined {
  return deviations.find((d) =>
    d.aspect === difference.aspect && d.kind === difference.kind &&
    appliesTo(d, recording, index)
  );
}
