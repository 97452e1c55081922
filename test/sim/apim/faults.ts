// One-shot fault injection: answer the next request(s) matching a method and path with a given status and body.

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
