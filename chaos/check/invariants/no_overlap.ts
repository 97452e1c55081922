// Invariant 2, no overlap: never a second import of an API while one runs, and never the same content imported twice
// in a row when nothing in between undid the first.
import type { Snapshot, Violation } from "../snapshot.ts";

/** How far before an import a disturbance may lie and still explain a repeat (its PUT was in flight). */
const BEFORE_MS = 2_000;

const IMPORT_PUT = /\/apis\/([^/]+)$/;

function rootOf(path: string): string | undefined {
  const segment = IMPORT_PUT.exec(path)?.[1];
  return segment?.split(";")[0]?.toLowerCase();
}

function lostAnswerFor(
  s: Snapshot,
  root: string,
  from: number,
  to: number,
): boolean {
  return s.requests.some((r) =>
    r.answerLost && r.method === "PUT" && rootOf(r.path) === root &&
    r.at >= from && r.at <= to
  );
}

/** Operator faults and watch breaks in [from, to]: the operator may not know what it had started. */
function disturbed(s: Snapshot, from: number, to: number): boolean {
  return s.marks.some((m) =>
    (m.kind === "operator" || m.kind === "watch") && m.at >= from && m.at <= to
  );
}

function overlaps(s: Snapshot): Violation[] {
  const imports = s.operations.filter((o) => o.kind === "import");
  const out: Violation[] = [];
  for (const request of s.requests) {
    const root = rootOf(request.path);
    if (
      request.method !== "PUT" || root === undefined ||
      request.status !== 409 ||
      request.errorCode !== "PessimisticConcurrencyConflict" || request.injected
    ) continue;
    const running = imports.find((op) =>
      op.apiRoot.toLowerCase() === root && op.startedAt <= request.at &&
      (op.endedAt === null || op.endedAt >= request.at)
    );
    if (!running) continue;
    const from = running.startedAt - BEFORE_MS;
    if (
      disturbed(s, from, request.at) ||
      lostAnswerFor(s, root, from, request.at)
    ) continue;
    out.push({
      invariant: "no-overlap",
      subject: `API ${running.apiRoot}`,
      message: `a second import PUT was sent ${
        request.at - running.startedAt
      }ms into running import ${running.id} (nothing had hidden that import from the operator)`,
    });
  }
  return out;
}

function repeats(s: Snapshot): Violation[] {
  const out: Violation[] = [];
  const byApi = new Map<string, typeof s.operations>();
  for (const op of s.operations) {
    const list = byApi.get(op.apiRoot.toLowerCase()) ?? [];
    list.push(op);
    byApi.set(op.apiRoot.toLowerCase(), list);
  }
  for (const [root, ops] of byApi) {
    const succeeded = ops.filter((o) => o.kind === "import" && o.succeeded);
    for (let i = 1; i < succeeded.length; i++) {
      const first = succeeded[i - 1];
      const second = succeeded[i];
      if (!first || !second || first.content !== second.content) continue;
      const from = first.startedAt;
      const to = second.startedAt;
      const undone = ops.some((o) =>
        o.startedAt > from && o.startedAt < to &&
        (o.kind === "delete" || (o.kind === "import" && o.succeeded === false))
      ) ||
        s.marks.some((m) =>
          (m.kind === "portal" || m.kind === "apimapi") &&
          m.subject?.toLowerCase() === root && m.at >= from && m.at <= to
        ) ||
        lostAnswerFor(s, root, from - BEFORE_MS, to);
      if (undone) continue;
      out.push({
        invariant: "no-overlap",
        subject: `API ${first.apiRoot}`,
        message: `imported the same content twice in a row (${first.id} at +${
          Math.round((to - from) / 100) / 10
        }s apart, revisions ${first.revision} and ${second.revision}) with nothing in between that changed or removed it`,
      });
    }
  }
  return out;
}

/** Invariant 2. */
export function checkNoOverlap(s: Snapshot): Violation[] {
  return [...overlaps(s), ...repeats(s)];
}
