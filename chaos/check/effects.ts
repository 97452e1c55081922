// What the faults actually did in one schedule, counted from the simulator's logs, the proxy and the replicas.
import type { Snapshot } from "./snapshot.ts";

/** Counts of fault effects (a fault can be drawn and never hit anything). */
export interface FaultEffects {
  armRequests: number;
  /** 429s of throttling storms and buckets. */
  throttled: number;
  /** Answers that came from an injected fault (5xx, 409 windows). */
  injected: number;
  /** Writes that ran but whose answer was lost. */
  lostAnswers: number;
  imports: number;
  failedImports: number;
  /** Watches ended with 410 Gone by the proxy. */
  watchesExpired: number;
  /** Times the proxy took the API server away. */
  apiServerCuts: number;
  /** Operator processes started beyond the first of each replica. */
  operatorRestarts: number;
}

/** The effects of one schedule. */
export function effectsOf(
  s: Snapshot,
  proxy: { watchesExpired: number; restarts: number },
  operatorRestarts: number,
): FaultEffects {
  const imports = s.operations.filter((o) => o.kind === "import");
  return {
    armRequests: s.requests.length,
    throttled: s.requests.filter((r) => r.throttled).length,
    injected: s.requests.filter((r) => r.injected).length,
    lostAnswers: s.requests.filter((r) => r.answerLost).length,
    imports: imports.length,
    failedImports: imports.filter((o) => o.succeeded === false).length,
    watchesExpired: proxy.watchesExpired,
    apiServerCuts: proxy.restarts,
    operatorRestarts,
  };
}

/** Adds effects up. */
export function addEffects(a: FaultEffects, b: FaultEffects): FaultEffects {
  const sum = { ...a };
  for (const key of Object.keys(b) as (keyof FaultEffects)[]) {
    sum[key] += b[key];
  }
  return sum;
}

/** No effects (the start of a sum). */
export const NO_EFFECTS: FaultEffects = {
  armRequests: 0,
  throttled: 0,
  injected: 0,
  lostAnswers: 0,
  imports: 0,
  failedImports: 0,
  watchesExpired: 0,
  apiServerCuts: 0,
  operatorRestarts: 0,
};
