// Unit tests of the list+watch state machine with scripted list/watch functions and virtual time.

import assert from "node:assert/strict";
import { KubeApiError } from "../../../src/kube/kube_errors.ts";
import type { KubeObject } from "../../../src/kube/kube_object.ts";
import type { ListPage } from "../../../src/kube/resource_list_watch.ts";
import type { WatchEvent } from "../../../src/kube/watch_event.ts";
import {
  WatchClosedEarlyError,
  Watcher,
  watcher,
  type WatcherEvent,
  WatchIdleError,
} from "../../../src/kube/watcher.ts";
import type { WatchSource } from "../../../src/kube/watch_source.ts";
import { FakeClock, settle } from "../../support/fake_clock.ts";

function obj(name: string, resourceVersion: string): KubeObject {
  return { metadata: { name, namespace: "ns", resourceVersion } };
}

function apiError(
  status: number,
  reason: string,
  retryAfterSeconds?: number,
): KubeApiError {
  return new KubeApiError({
    method: "GET",
    path: "/api/v1/configmaps",
    status,
    reason,
    message: "scripted",
    retryAfterSeconds,
  });
}

type ListScript = () => AsyncIterable<ListPage<KubeObject>>;
type WatchScript = (
  signal: AbortSignal,
) => AsyncIterable<WatchEvent<KubeObject>>;

/** A WatchSource that plays scripted lists and watches in order and records the calls. */
class ScriptedSource implements WatchSource<KubeObject> {
  readonly lists: ListScript[] = [];
  readonly watches: WatchScript[] = [];
  readonly watchCalls: { resourceVersion: string; timeoutSeconds: number }[] =
    [];
  listCalls = 0;
  abortedStreams = 0;

  list(): AsyncIterable<ListPage<KubeObject>> {
    this.listCalls++;
    const script = this.lists.shift();
    assert.ok(script, "unexpected list");
    return script();
  }

  watch(
    resourceVersion: string,
    timeoutSeconds: number,
    signal: AbortSignal,
  ): AsyncIterable<WatchEvent<KubeObject>> {
    this.watchCalls.push({ resourceVersion, timeoutSeconds });
    signal.addEventListener("abort", () => this.abortedStreams++, {
      once: true,
    });
    const script = this.watches.shift();
    assert.ok(script, "unexpected watch");
    return script(signal);
  }
}

function pages(
  resourceVersion: string,
  ...batches: KubeObject[][]
): ListScript {
  return async function* () {
    for (const [i, items] of batches.entries()) {
      yield {
        items,
        resourceVersion,
        continue: i < batches.length - 1 ? `token-${i}` : undefined,
      };
    }
  };
}

function failingList(error: unknown): ListScript {
  // deno-lint-ignore require-yield
  return async function* () {
    throw error;
  };
}

function events(...items: WatchEvent<KubeObject>[]): WatchScript {
  return async function* () {
    yield* items;
  };
}

function failingWatch(
  error: unknown,
  ...before: WatchEvent<KubeObject>[]
): WatchScript {
  return async function* () {
    yield* before;
    throw error;
  };
}

/** A watch that stays open until its signal aborts. */
function hangingWatch(...before: WatchEvent<KubeObject>[]): WatchScript {
  return async function* (signal) {
    yield* before;
    await new Promise((_resolve, reject) => {
      signal.addEventListener("abort", () => reject(signal.reason), {
        once: true,
      });
    });
  };
}

function newWatcher(
  source: ScriptedSource,
  clock: FakeClock,
  signal: AbortSignal,
): Watcher<KubeObject> {
  return new Watcher(source, {
    signal,
    clock,
    random: () => 0,
    minTimeoutSeconds: 300,
    maxTimeoutSeconds: 600,
  });
}

/** Runs one step, advancing virtual time until it completes (for backoff waits). */
async function stepThroughTime(
  w: Watcher<KubeObject>,
  clock: FakeClock,
): Promise<WatcherEvent<KubeObject>[]> {
  let done = false;
  const step = w.step().finally(() => {
    done = true;
  });
  await settle();
  while (!done && clock.nextTimerAt() !== undefined) {
    await clock.advanceToNextTimer();
  }
  return await step;
}

Deno.test("Watcher lists page by page, then watches from the list's resourceVersion", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(
    pages("10", [obj("a", "5"), obj("b", "6")], [obj("c", "7")]),
  );
  source.watches.push(hangingWatch(
    { type: "ADDED", object: obj("d", "11") },
    { type: "BOOKMARK", resourceVersion: "15" },
    { type: "DELETED", object: obj("a", "16") },
  ));
  const abort = new AbortController();
  const w = newWatcher(source, clock, abort.signal);

  assert.deepEqual(await w.step(), [{ type: "init" }]);
  assert.equal(w.state.phase, "listing");
  assert.deepEqual(await w.step(), [{
    type: "initPage",
    objects: [obj("a", "5"), obj("b", "6")],
  }]);
  assert.deepEqual(await w.step(), [{
    type: "initPage",
    objects: [obj("c", "7")],
  }]);
  assert.deepEqual(await w.step(), [{
    type: "initDone",
    resourceVersion: "10",
  }]);
  assert.deepEqual(w.state, { phase: "listed", resourceVersion: "10" });

  assert.deepEqual(await w.step(), []);
  assert.deepEqual(w.state, { phase: "watching", resourceVersion: "10" });
  assert.deepEqual(await w.step(), [{ type: "apply", object: obj("d", "11") }]);
  assert.equal(source.watchCalls[0]?.resourceVersion, "10");
  const timeout = source.watchCalls[0]!.timeoutSeconds;
  assert.ok(timeout >= 300 && timeout < 600, `server timeout ${timeout}`);
  assert.deepEqual(w.state, { phase: "watching", resourceVersion: "11" });

  assert.deepEqual(await w.step(), [], "a bookmark is not a change");
  assert.deepEqual(w.state, { phase: "watching", resourceVersion: "15" });
  assert.deepEqual(await w.step(), [{
    type: "delete",
    object: obj("a", "16"),
  }]);
  assert.deepEqual(w.state, { phase: "watching", resourceVersion: "16" });

  abort.abort();
  await w.close();
  assert.equal(source.abortedStreams, 1);
});

Deno.test("Watcher resumes from the last resourceVersion when the stream ends cleanly", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", []));
  source.watches.push(events({ type: "MODIFIED", object: obj("a", "12") }));
  source.watches.push(events({ type: "BOOKMARK", resourceVersion: "20" }));
  source.watches.push(hangingWatch());
  const abort = new AbortController();
  const w = newWatcher(source, clock, abort.signal);
  for (let i = 0; i < 4; i++) await w.step(); // init, page, initDone, open watch
  assert.deepEqual(await w.step(), [{ type: "apply", object: obj("a", "12") }]);
  await w.step(); // clean end
  assert.deepEqual(w.state, { phase: "listed", resourceVersion: "12" });
  await w.step(); // reopen
  await w.step(); // bookmark
  await w.step(); // clean end
  assert.deepEqual(w.state, { phase: "listed", resourceVersion: "20" });
  await w.step();
  assert.deepEqual(source.watchCalls.map((c) => c.resourceVersion), [
    "10",
    "12",
    "20",
  ]);
  assert.equal(source.listCalls, 1, "no relist after a clean end");
  abort.abort();
  await w.close();
});

Deno.test("Watcher relists at once when the watch request fails with 410 Gone", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", [obj("a", "5")]));
  source.lists.push(pages("30", [obj("a", "25")]));
  source.watches.push(failingWatch(apiError(410, "Expired")));
  const w = newWatcher(source, clock, new AbortController().signal);
  for (let i = 0; i < 4; i++) await w.step();
  assert.deepEqual(await w.step(), []);
  assert.deepEqual(
    w.state,
    { phase: "empty" },
    "410 goes straight to a relist, without backoff",
  );
  assert.deepEqual(await w.step(), [{ type: "init" }]);
  assert.deepEqual(await w.step(), [{
    type: "initPage",
    objects: [obj("a", "25")],
  }]);
  assert.deepEqual(await w.step(), [{
    type: "initDone",
    resourceVersion: "30",
  }]);
  assert.equal(source.listCalls, 2);
});

Deno.test("Watcher backs off before relisting when the watch after a relist expires at once too", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", []));
  source.lists.push(pages("20", []));
  source.watches.push(failingWatch(apiError(410, "Expired")));
  source.watches.push(failingWatch(apiError(410, "Expired")));
  const w = newWatcher(source, clock, new AbortController().signal);
  for (let i = 0; i < 4; i++) await w.step();
  assert.deepEqual(await w.step(), []);
  assert.deepEqual(w.state, { phase: "empty" }, "the first 410: at once");
  for (let i = 0; i < 4; i++) await w.step();
  assert.deepEqual(await w.step(), []);
  const state = w.state;
  assert.equal(state.phase, "backoff", "the second 410 at once: backoff");
  assert.deepEqual(state.phase === "backoff" && state.then, { phase: "empty" });
  assert.equal(source.listCalls, 2);
});

Deno.test("Watcher relists when the stream carries a 410 ERROR event", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", []));
  source.lists.push(pages("40", []));
  source.watches.push(hangingWatch(
    { type: "ADDED", object: obj("a", "11") },
    { type: "ERROR", error: apiError(410, "Expired") },
  ));
  const w = newWatcher(source, clock, new AbortController().signal);
  for (let i = 0; i < 4; i++) await w.step();
  assert.deepEqual(await w.step(), [{ type: "apply", object: obj("a", "11") }]);
  assert.deepEqual(await w.step(), []);
  assert.deepEqual(w.state, { phase: "empty" });
  assert.equal(source.abortedStreams, 1, "the expired stream is closed");
  assert.deepEqual(await w.step(), [{ type: "init" }]);
  assert.equal(source.listCalls, 2);
  await w.close();
});

Deno.test("Watcher backs off on errors, keeps its resourceVersion, and resets after a healthy period", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", []));
  const boom = apiError(500, "InternalError");
  source.watches.push(
    failingWatch(boom),
    failingWatch(boom),
    failingWatch(boom),
  );
  source.watches.push(events({ type: "ADDED", object: obj("a", "11") }));
  source.watches.push(failingWatch(boom));
  const w = newWatcher(source, clock, new AbortController().signal);
  for (let i = 0; i < 4; i++) await w.step();

  const delays: number[] = [];
  for (let i = 0; i < 3; i++) {
    await w.step(); // fails
    const state = w.state;
    assert.equal(state.phase, "backoff");
    if (state.phase !== "backoff") return;
    assert.equal(state.error, boom);
    assert.deepEqual(state.then, { phase: "listed", resourceVersion: "10" });
    delays.push(state.delayMs);
    await stepThroughTime(w, clock); // waits the delay
    assert.deepEqual(w.state, { phase: "listed", resourceVersion: "10" });
    await w.step(); // reopen
  }
  assert.deepEqual(delays, [800, 1600, 3200]);
  assert.deepEqual(await w.step(), [{ type: "apply", object: obj("a", "11") }]);
  await clock.advance(150_000); // healthy for longer than the reset period
  await w.step(); // clean end
  await w.step(); // reopen
  await w.step(); // fails again
  assert.equal(w.state.phase === "backoff" && w.state.delayMs, 800);
  assert.deepEqual(source.watchCalls.map((c) => c.resourceVersion), [
    "10",
    "10",
    "10",
    "10",
    "11",
  ]);
  assert.equal(source.listCalls, 1);
});

Deno.test("Watcher waits at least the server's Retry-After", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", []));
  source.watches.push(failingWatch(apiError(429, "TooManyRequests", 12)));
  const w = newWatcher(source, clock, new AbortController().signal);
  for (let i = 0; i < 5; i++) await w.step();
  assert.equal(w.state.phase === "backoff" && w.state.delayMs, 12_000);
});

Deno.test("Watcher backs off and relists when the list fails", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(failingList(apiError(403, "Forbidden")));
  source.lists.push(pages("10", [obj("a", "5")]));
  const w = newWatcher(source, clock, new AbortController().signal);
  assert.deepEqual(await w.step(), [{ type: "init" }]);
  assert.deepEqual(await w.step(), []);
  assert.equal(w.state.phase, "backoff");
  assert.deepEqual(w.state.phase === "backoff" && w.state.then, {
    phase: "empty",
  });
  await stepThroughTime(w, clock);
  assert.deepEqual(await w.step(), [{ type: "init" }], "the list starts over");
  assert.deepEqual(await w.step(), [{
    type: "initPage",
    objects: [obj("a", "5")],
  }]);
});

Deno.test("Watcher treats a watch that closes at once without events as a failure", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", []));
  source.watches.push(events());
  const w = newWatcher(source, clock, new AbortController().signal);
  for (let i = 0; i < 5; i++) await w.step();
  const state = w.state;
  assert.equal(state.phase, "backoff");
  assert.ok(
    state.phase === "backoff" && state.error instanceof WatchClosedEarlyError,
  );
});

Deno.test("Watcher reconnects a watch that stays silent past the idle timeout", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", []));
  source.watches.push(hangingWatch());
  const w = newWatcher(source, clock, new AbortController().signal);
  for (let i = 0; i < 4; i++) await w.step();
  let done = false;
  const step = w.step().finally(() => {
    done = true;
  });
  await clock.advance(300_000);
  assert.equal(done, false, "still within the server timeout");
  await clock.advance(30_000);
  await step;
  const state = w.state;
  assert.ok(state.phase === "backoff" && state.error instanceof WatchIdleError);
  assert.equal(source.abortedStreams, 1, "the dead stream is aborted");
  assert.deepEqual(state.phase === "backoff" && state.then, {
    phase: "listed",
    resourceVersion: "10",
  });
});

Deno.test("watcher() stops when the signal aborts and releases the open stream", async () => {
  const clock = new FakeClock(0);
  const source = new ScriptedSource();
  source.lists.push(pages("10", [obj("a", "5")]));
  source.watches.push(hangingWatch({ type: "ADDED", object: obj("b", "11") }));
  const abort = new AbortController();
  const seen: WatcherEvent<KubeObject>[] = [];
  const consumer = (async () => {
    for await (
      const event of watcher(source, {
        signal: abort.signal,
        clock,
        random: () => 0,
      })
    ) {
      seen.push(event);
      if (event.type === "apply") abort.abort();
    }
  })();
  await consumer;
  assert.deepEqual(seen.map((e) => e.type), [
    "init",
    "initPage",
    "initDone",
    "apply",
  ]);
  assert.equal(source.abortedStreams, 1);
  assert.equal(clock.pendingTimers, 0);
});
