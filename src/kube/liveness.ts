// Liveness of a controller manager: the election loop turns, the leader runs its controllers, no reconcile hangs.

/** What the liveness probe looks at, read at probe time. */
export interface LivenessFacts {
  now: number;
  /** When the leader election loop last finished an attempt (undefined without leader election). */
  electionHeartbeatAt?: number | undefined;
  /** Since when this replica should be running controllers (leading, caches synced); undefined if it should not. */
  controllersDueSince?: number | undefined;
  /** Whether the controllers of the current term are running. */
  controllersRunning: boolean;
  /** When the longest-running reconcile still in flight started, if any. */
  oldestReconcileStartedAt?: number | undefined;
}

/** How long each part may be silent before the replica counts as wedged. */
export interface LivenessLimits {
  /** The election loop must finish an attempt at least this often. */
  electionStallMs: number;
  /** A leader must have its controllers running within this long. */
  controllersStartMs: number;
  /** No single reconcile may run longer than this. */
  reconcileStuckMs: number;
}

/** Defaults: every ARM and Kubernetes call has a timeout of seconds, so minutes mean a hang. */
export const DEFAULT_LIVENESS_LIMITS: LivenessLimits = {
  electionStallMs: 60_000,
  controllersStartMs: 30_000,
  reconcileStuckMs: 10 * 60_000,
};

/** Why the replica is wedged, or undefined while it is alive. */
export function livenessProblem(
  facts: LivenessFacts,
  limits: LivenessLimits = DEFAULT_LIVENESS_LIMITS,
): string | undefined {
  const { now } = facts;
  if (
    facts.electionHeartbeatAt !== undefined &&
    now - facts.electionHeartbeatAt > limits.electionStallMs
  ) {
    return `leader election made no attempt for ${
      seconds(now - facts.electionHeartbeatAt)
    }`;
  }
  if (
    facts.controllersDueSince !== undefined && !facts.controllersRunning &&
    now - facts.controllersDueSince > limits.controllersStartMs
  ) {
    return `leading for ${
      seconds(now - facts.controllersDueSince)
    } without running controllers`;
  }
  if (
    facts.oldestReconcileStartedAt !== undefined &&
    now - facts.oldestReconcileStartedAt > limits.reconcileStuckMs
  ) {
    return `a reconcile has been running for ${
      seconds(now - facts.oldestReconcileStartedAt)
    }`;
  }
  return undefined;
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)}s`;
}
