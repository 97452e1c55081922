// Fault injection: canned answers, writes whose answer is lost after APIM ran them, and hooks run before an answer.
//
// Unknown outcomes are what a client sees when ARM runs a write but the answer never arrives (a
// timeout or a reset connection): the resource changes anyway, and a retry meets the result of the
// first attempt. Field reports: Azure/azure-sdk-for-net#10837 ("the SDK reports a timeout & throws but
// the resource does eventually get created"), kubermatic/kubermatic#8755 (a create that timed out had
// succeeded; the next pass found the resource), Azure/azure-resource-manager-rpc#35 (ARM's own
// request timeout towards resource providers).

import type { JsonValue } from "./json.ts";

/** Which requests a fault applies to; every given field must match. */
export interface FaultMatch {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Any of these methods (e.g. the writes `PUT`, `PATCH`, `DELETE`). */
  methods?: readonly string[];
  /** Pattern for the decoded path (any when omitted). */
  path?: RegExp;
  /** How many matching requests it applies to (default 1; ignored when `until` is set). */
  times?: number;
  /** Applies to every matching request until this clock time (ms) instead of counting `times`. */
  until?: number;
}

/** A canned failure for matching requests. */
export interface FaultSpec extends FaultMatch {
  status: number;
  /** JSON body (none when omitted). */
  body?: JsonValue;
  headers?: Record<string, string>;
}

/** A write that APIM runs but whose answer is lost: the body breaks off after `delayMs`. */
export interface UnknownOutcomeSpec extends FaultMatch {
  /** How long the answer is held before the connection breaks (default 0). */
  delayMs?: number;
}

interface Armed<T extends FaultMatch> {
  spec: T;
  remaining: number;
}

function matches(match: FaultMatch, method: string, path: string): boolean {
  return (match.method === undefined ||
    match.method.toUpperCase() === method) &&
    (match.methods === undefined ||
      match.methods.some((m) => m.toUpperCase() === method)) &&
    (match.path === undefined || match.path.test(path));
}

/** Takes the first armed entry for a request (using up one of its `times`), dropping expired ones. */
function takeFrom<T extends FaultMatch>(
  armed: Armed<T>[],
  method: string,
  path: string,
  now: number,
): T | null {
  for (let i = armed.length - 1; i >= 0; i--) {
    const until = armed[i]?.spec.until;
    if (until !== undefined && now >= until) armed.splice(i, 1);
  }
  const index = armed.findIndex(({ spec }) => matches(spec, method, path));
  const fault = armed[index];
  if (!fault) return null;
  if (fault.spec.until === undefined) {
    fault.remaining -= 1;
    if (fault.remaining <= 0) armed.splice(index, 1);
  }
  return fault.spec;
}

/** Queue of armed faults, consumed in order of arming. */
export class FaultInjector {
  readonly #armed: Armed<FaultSpec>[] = [];
  readonly #unknownOutcomes: Armed<UnknownOutcomeSpec>[] = [];

  /** Arms a fault. */
  add(spec: FaultSpec): void {
    this.#armed.push({ spec, remaining: spec.times ?? 1 });
  }

  /** Arms an unknown outcome. */
  addUnknownOutcome(spec: UnknownOutcomeSpec): void {
    this.#unknownOutcomes.push({ spec, remaining: spec.times ?? 1 });
  }

  /** The fault for this request, if one is armed for it (and uses it up). */
  take(method: string, path: string, now: number): FaultSpec | null {
    return takeFrom(this.#armed, method, path, now);
  }

  /** The unknown outcome for this request, if one is armed for it (and uses it up). */
  takeUnknownOutcome(
    method: string,
    path: string,
    now: number,
  ): UnknownOutcomeSpec | null {
    return takeFrom(this.#unknownOutcomes, method, path, now);
  }

  /** Disarms everything. */
  clear(): void {
    this.#armed.length = 0;
    this.#unknownOutcomes.length = 0;
  }
}

/** Work to do after a matching request was applied and before it is answered (one-shot). */
export interface AnswerHook {
  method?: string;
  path?: RegExp;
  /** Runs before the answer leaves (e.g. a concurrent change in another system). */
  run: () => Promise<void>;
}

/** Armed {@linkcode AnswerHook}s, each used once, in order of arming. */
export class AnswerHooks {
  readonly #armed: AnswerHook[] = [];

  /** Arms a hook. */
  add(hook: AnswerHook): void {
    this.#armed.push(hook);
  }

  /** Takes the first hook matching this request, if any. */
  take(method: string, path: string): AnswerHook | undefined {
    const index = this.#armed.findIndex((hook) =>
      (hook.method === undefined || hook.method.toUpperCase() === method) &&
      (hook.path === undefined || hook.path.test(path))
    );
    return index < 0 ? undefined : this.#armed.splice(index, 1)[0];
  }
}
