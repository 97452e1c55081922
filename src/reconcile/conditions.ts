// Status conditions (Ready, Reconciling, Stalled) built the kstatus way, keeping transition times stable.
import type { Condition } from "../crd/meta.ts";

/** The condition types every kind of ours reports. */
export type ConditionType = "Ready" | "Reconciling" | "Stalled";

/** What a planner says about an object: one machine reason and one human message. */
export interface StatusVerdict {
  /** `ready`: converged; `progressing`: work under way or waiting; `stalled`: needs a human (or a spec change). */
  state: "ready" | "progressing" | "stalled";
  reason: string;
  message: string;
  /** Something went wrong (a failure that is retried is progressing, but still worth a Warning). */
  problem?: boolean;
}

/** The Event type a verdict is announced with. */
export function eventTypeOf(verdict: StatusVerdict): "Normal" | "Warning" {
  return verdict.state === "stalled" || verdict.problem === true
    ? "Warning"
    : "Normal";
}

const OWN_TYPES: readonly string[] = ["Ready", "Reconciling", "Stalled"];

/** `metav1.Condition` limits (the CRDs enforce them: a longer value makes the whole status write fail). */
export const CONDITION_LIMITS = { reason: 1024, message: 32768 } as const;

/** `text` cut to `max` characters, marked with an ellipsis when cut (ARM messages can be very long). */
export function truncated(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The Ready/Reconciling/Stalled trio for a verdict (kstatus conventions: Reconciling and Stalled are
 * present only while true; Ready is always present). A condition keeps its lastTransitionTime while its
 * status does not change. Conditions of other types are kept as they are.
 */
export function conditionsFor(
  existing: readonly Condition[] | undefined,
  verdict: StatusVerdict,
  options: { generation: number | undefined; now: string },
): Condition[] {
  const wanted: [ConditionType, Condition["status"]][] = [
    ["Ready", verdict.state === "ready" ? "True" : "False"],
  ];
  if (verdict.state === "progressing") wanted.push(["Reconciling", "True"]);
  if (verdict.state === "stalled") wanted.push(["Stalled", "True"]);
  const own = wanted.map(([type, status]): Condition => {
    const previous = existing?.find((c) => c.type === type);
    return {
      type,
      status,
      reason: truncated(verdict.reason, CONDITION_LIMITS.reason),
      message: truncated(verdict.message, CONDITION_LIMITS.message),
      ...(options.generation === undefined
        ? {}
        : { observedGeneration: options.generation }),
      lastTransitionTime: previous?.status === status
        ? previous.lastTransitionTime
        : options.now,
    };
  });
  const others = (existing ?? []).filter((c) => !OWN_TYPES.includes(c.type));
  return [...own, ...others];
}

/** The condition of `type`, if present. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** Whether two condition lists say the same thing (ignoring transition times). */
export function sameConditions(
  a: readonly Condition[] | undefined,
  b: readonly Condition[] | undefined,
): boolean {
  const key = (c: Condition) =>
    `${c.type}|${c.status}|${c.reason}|${c.message}|${
      c.observedGeneration ?? ""
    }`;
  const ka = (a ?? []).map(key).sort().join("\n");
  const kb = (b ?? []).map(key).sort().join("\n");
  return ka === kb;
}
