// One-shot fault injection: canned answers for matching requests, and hooks run before a matching request is answered.

import type { JsonValue } from "./json.ts";

/** A canned failure for matching requests. */
export interface FaultSpec {
  /** HTTP method to match (any when omitted). */
  method?: string;
  /** Pattern for the decoded path (any when omitted). */
  path?: RegExp;
  status: number;
  /** JSON body (none when omitted). */
  body?: JsonValue;
  headers?: Record<string, string>;
  /** How many matching requests fail (default 1). */
  times?: number;
}

interface ArmedFault {
  spec: FaultSpec;
  remaining: number;
}

/** Queue of armed faults, consumed in order of arming. */
export class FaultInjector {
  readonly #armed: ArmedFault[] = [];

  /** Arms a fault. */
  add(spec: FaultSpec): void {
    this.#armed.push({ spec, remaining: spec.times ?? 1 });
  }

  /** The fault for this request, if one is armed for it (and uses it up). */
  take(method: string, path: string): FaultSpec | null {
    const index = this.#armed.findIndex(({ spec }) =>
      (spec.method === undefined || spec.method.toUpperCase() === method) &&
      (spec.path === undefined || spec.path.test(path))
    );
    const fault = this.#armed[index];
    if (!fault) return null;
    fault.remaining -= 1;
    if (fault.remaining <= 0) this.#armed.splice(index, 1);
    return fault.spec;
  }

  /** Disarms everything. */
  clear(): void {
    this.#armed.length = 0;
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
