// What every scenario gets (the world, the mode) and fills in (rows and raw data, kept even if it fails).
import type { ResultRow } from "./report.ts";
import type { BenchWorld } from "./world.ts";

/** Inputs of a scenario run. */
export interface ScenarioContext {
  world: BenchWorld;
  /** Small counts for development (`--quick`). */
  quick: boolean;
  /** Record CPU / heap profiles of the operator (`--profile`; slows it down a little). */
  profile: boolean;
  /** Where profiles are written. */
  profileDir: string;
}

/** What a scenario has measured so far. */
export interface ScenarioOutput {
  rows: ResultRow[];
  data: Record<string, unknown>;
}

/** A scenario: measures and fills `out` as it goes. */
export type Scenario = (
  ctx: ScenarioContext,
  out: ScenarioOutput,
) => Promise<void>;
