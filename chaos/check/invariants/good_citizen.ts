// Invariant 5, good citizen: no process sends to ARM while a Retry-After it was given runs, and no object in a hot loop.
import type { RequestLogEntry } from "../../../test/sim/apim_simulator.ts";
import type { Snapshot, Violation } from "../snapshot.ts";

/** Requests already on their way when an answer arrived are not counted against it. */
const IN_FLIGHT_GRACE_MS = 1_000;
/** Clock jitter allowed at the end of a Retry-After. */
const EDGE_MS = 250;
/** Early polls of one operation tolerated (one-off looks caused by new events). */
const EARLY_POLLS_ALLOWED = 2;
/** Requests about one object (polls aside) within any minute above which it is a hot loop. */
export const HOT_LOOP_LIMIT = 60;

/** ARM budgets (and throttles) reads, writes and deletes apart (`x-ms-ratelimit-remaining-subscription-{class}`). */
function classOf(entry: RequestLogEntry): "reads" | "writes" | "deletes" {
  if (entry.method === "GET" || entry.method === "HEAD") return "reads";
  return entry.method === "DELETE" ? "deletes" : "writes";
}

/** The object a request is about: an API (also through its links), a product, a tag, or the service. */
export function subjectOf(path: string): string {
  const api = /\/apis\/([^/;]+)/.exec(path)?.[1];
  if (api) return `API ${api.toLowerCase()}`;
  const entity = /\/(products|tags)\/([^/]+)/.exec(path);
  if (entity) {
    return `${entity[1] === "products" ? "product" : "tag"} ${
      entity[2]?.toLowerCase()
    }`;
  }
  return "service";
}

/**
 * Whether a 429 answered to `holder` binds `request`: a process can only honour the Retry-Afters it
 * received, so a request binds to its own caller's 429s (callers told apart by `User-Agent`, which
 * names the operator's process instance). Without a caller on either side, every 429 binds.
 */
function sameCaller(
  holder: RequestLogEntry,
  request: RequestLogEntry,
): boolean {
  return holder.userAgent === null || request.userAgent === null ||
    holder.userAgent === request.userAgent;
}

function throttlingIgnored(s: Snapshot): Violation[] {
  const out: Violation[] = [];
  for (const cls of ["reads", "writes", "deletes"] as const) {
    const entries = s.requests.filter((r) => classOf(r) === cls);
    const windows = entries.filter((r) =>
      r.status === 429 && r.throttled && r.retryAfter !== null
    ).map((r) => ({
      holder: r,
      from: r.at + IN_FLIGHT_GRACE_MS,
      to: r.at + (r.retryAfter ?? 0) * 1000 - EDGE_MS,
    })).filter((w) => w.to > w.from);
    const early = entries.filter((r) =>
      windows.some((w) =>
        r.at > w.from && r.at < w.to && sameCaller(w.holder, r)
      )
    );
    if (early.length === 0) continue;
    const first = early[0];
    const by = first?.userAgent ? ` by ${first.userAgent}` : "";
    out.push({
      invariant: "good-citizen",
      subject: `ARM ${cls}`,
      message:
        `${early.length} ${cls} sent while a 429's Retry-After their sender had received was still running (first: ${first?.method} ${first?.path} → ${first?.status}${by})`,
    });
  }
  return out;
}

/**
 * Polls of one operation sent before the previous answer's Retry-After ran out. A new event may
 * make an operator look once early; more than {@linkcode EARLY_POLLS_ALLOWED} is a polling loop.
 */
function pollsTooSoon(s: Snapshot): Violation[] {
  const byOperation = new Map<string, RequestLogEntry[]>();
  for (const poll of s.requests.filter((r) => r.kind === "poll" && r.asyncId)) {
    const list = byOperation.get(poll.asyncId ?? "") ?? [];
    list.push(poll);
    byOperation.set(poll.asyncId ?? "", list);
  }
  const out: Violation[] = [];
  for (const [id, polls] of byOperation) {
    const early = polls.filter((poll, i) => {
      const before = polls[i - 1];
      if (!before || before.status !== 202 || before.retryAfter === null) {
        return false;
      }
      // A restart forgets when to poll; a relist replays events that look again early.
      const disturbed = s.marks.some((m) =>
        (m.kind === "operator" || m.kind === "watch") && m.at >= before.at &&
        m.at <= poll.at
      );
      return !disturbed &&
        poll.at < before.at + before.retryAfter * 1000 - EDGE_MS;
    });
    if (early.length > EARLY_POLLS_ALLOWED) {
      out.push({
        invariant: "good-citizen",
        subject: `ARM operation ${id}`,
        message:
          `${early.length} of its ${polls.length} polls came before the previous answer's Retry-After had passed`,
      });
    }
  }
  return out;
}

function hotLoops(s: Snapshot): Violation[] {
  const bySubject = new Map<string, number[]>();
  for (const r of s.requests.filter((r) => r.kind !== "poll")) {
    const subject = subjectOf(r.path);
    const times = bySubject.get(subject) ?? [];
    times.push(r.at);
    bySubject.set(subject, times);
  }
  const out: Violation[] = [];
  for (const [subject, times] of bySubject) {
    let start = 0;
    let worst = 0;
    for (let end = 0; end < times.length; end++) {
      while ((times[end] ?? 0) - (times[start] ?? 0) > 60_000) start++;
      worst = Math.max(worst, end - start + 1);
    }
    if (worst > HOT_LOOP_LIMIT) {
      out.push({
        invariant: "good-citizen",
        subject,
        message:
          `${worst} ARM requests within one minute (limit ${HOT_LOOP_LIMIT}, polls aside): a hot loop`,
      });
    }
  }
  return out;
}

/** Invariant 5. */
export function checkGoodCitizen(s: Snapshot): Violation[] {
  return [...throttlingIgnored(s), ...pollsTooSoon(s), ...hotLoops(s)];
}
