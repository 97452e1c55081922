// The APIM simulator's request log and the counting helpers tests use (reads, writes and polls apart).

/** How a request counts: a read, a write, or a poll of a long-running operation. */
export type RequestKind = "read" | "write" | "poll";

/** One answered request. */
export interface RequestLogEntry {
  method: string;
  /** Decoded path (`;rev=` shown raw). */
  path: string;
  /** Query string including the leading `?`, or "". */
  query: string;
  status: number;
  /** Clock time in ms when the request arrived. */
  at: number;
  apiVersion: string | null;
  kind: RequestKind;
  /** Whether the answer was a throttling 429. */
  throttled: boolean;
  /** The answer's `Retry-After` in seconds, if it had one. */
  retryAfter: number | null;
  /** The long-running operation a poll asked about (`asyncId`, or the operationResults id). */
  asyncId: string | null;
  /** `error.code` of an error answer. */
  errorCode: string | null;
  /** The answer came from an injected fault (not from the simulated service). */
  injected: boolean;
  /** The service ran the request but the answer was lost on the way (unknown outcome). */
  answerLost: boolean;
  /**
   * The caller's `User-Agent`, or null without one. ARM passes client headers through to the
   * resource provider (azure-resource-manager-rpc common-api-details, "Client Request Headers");
   * the operator names its process instance there, so the log tells replicas apart.
   */
  userAgent: string | null;
}

/** Selects log entries; every given field must match. */
export interface RequestFilter {
  method?: string;
  /** Substring of, or pattern for, the decoded path. */
  path?: string | RegExp;
  kind?: RequestKind;
  status?: number;
  throttled?: boolean;
}

function matches(entry: RequestLogEntry, filter: RequestFilter): boolean {
  const { method, path, kind, status, throttled } = filter;
  if (method !== undefined && entry.method !== method.toUpperCase()) {
    return false;
  }
  if (typeof path === "string" && !entry.path.includes(path)) return false;
  if (path instanceof RegExp && !path.test(entry.path)) return false;
  if (kind !== undefined && entry.kind !== kind) return false;
  if (status !== undefined && entry.status !== status) return false;
  return throttled === undefined || entry.throttled === throttled;
}

/** Bounded in-memory log (oldest entries dropped past `limit`). */
export class RequestLog {
  readonly #entries: RequestLogEntry[] = [];
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Records one request. */
  add(entry: RequestLogEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.#limit) this.#entries.shift();
  }

  /** Entries, oldest first. */
  get entries(): readonly RequestLogEntry[] {
    return this.#entries;
  }

  /** Entries matching `filter`. */
  select(filter: RequestFilter = {}): RequestLogEntry[] {
    return this.#entries.filter((e) => matches(e, filter));
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.length = 0;
  }
}
