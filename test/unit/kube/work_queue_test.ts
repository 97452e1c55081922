// Unit tests of WorkQueue in virtual time: dedup, delays, one key in flight, backoff, shutdown.

import assert from "node:assert/strict";
import { WorkQueue } from "../../../src/kube/work_queue.ts";
import { FakeClock, settle } from "../../support/fake_clock.ts";

const noJitter = () => 0;

function newQueue(clock: FakeClock): WorkQueue<string> {
  return new WorkQueue<string>({
    clock,
    random: noJitter,
    backoff: { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5 },
  });
}

/** Starts a get() and reports what it resolved to (undefined while pending). */
function track(
  queue: WorkQueue<string>,
): { value: string | undefined; settled: boolean } {
  const result = { value: undefined as string | undefined, settled: false };
  queue.get().then((key) => {
    result.value = key;
    result.settled = true;
  });
  return result;
}

Deno.test("WorkQueue deduplicates a key added several times", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  queue.add("a");
  queue.add("a");
  queue.add("a");
  assert.equal(queue.depth, 1);
  assert.equal(queue.adds, 1);
  assert.equal(await queue.get(), "a");
  queue.done("a");
  const second = track(queue);
  await clock.advance(60_000);
  assert.equal(second.settled, false);
  await queue.shutdown();
});

Deno.test("WorkQueue keeps the earliest due time of a queued key", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  queue.addAfter("late-then-early", 5000);
  queue.addAfter("late-then-early", 1000);
  queue.addAfter("early-then-late", 1000);
  queue.addAfter("early-then-late", 5000);
  const first = track(queue);
  await clock.advance(999);
  assert.equal(first.settled, false);
  await clock.advance(1);
  assert.equal(first.value, "late-then-early");
  const second = track(queue);
  await settle();
  assert.equal(second.value, "early-then-late");
  assert.equal(queue.depth, 0);
  queue.done("late-then-early");
  queue.done("early-then-late");
  await queue.shutdown();
});

Deno.test("WorkQueue hands out due keys in the order their work arrived, and keeps nothing not due", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  queue.addAfter("c", 300);
  queue.addAfter("a", 100);
  queue.addAfter("b", 200);
  queue.addAfter("later", 5_000);
  await clock.advance(1000);
  const order = [await queue.get(), await queue.get(), await queue.get()];
  assert.deepEqual(order, ["c", "a", "b"]);
  for (const key of ["a", "b", "c"]) queue.done(key);
  assert.equal(queue.depth, 1, "the key not due yet stays");
  await queue.shutdown();
});

Deno.test("WorkQueue carries a requeued key's work ahead of work that arrived after it (no lockstep in bursts)", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  queue.add("first");
  assert.equal(await queue.get(), "first");
  // Its reconcile asks to look again in a second (a poll), while a burst of new work arrives.
  queue.addAfter("first", 1000);
  queue.done("first");
  for (let i = 0; i < 5; i++) queue.add(`new-${i}`);
  assert.equal(await queue.get(), "new-0");
  await clock.advance(1000);
  assert.equal(
    await queue.get(),
    "first",
    "the older work goes first once due",
  );
  queue.done("first"); // finished: its arrival is forgotten
  queue.done("new-0");
  queue.add("first");
  const rest = [];
  for (let i = 0; i < 5; i++) rest.push(await queue.get());
  assert.deepEqual(rest, ["new-1", "new-2", "new-3", "new-4", "first"]);
  for (const key of rest) queue.done(key ?? "");
  await queue.shutdown();
});

Deno.test("WorkQueue never hands out a key in flight; a re-add runs once after done", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  queue.add("a");
  assert.equal(await queue.get(), "a");
  queue.add("a");
  queue.add("a");
  assert.equal(queue.depth, 0);
  const waiting = track(queue);
  await clock.advance(10_000);
  assert.equal(
    waiting.settled,
    false,
    "the key in flight must not be handed out again",
  );
  queue.done("a");
  await settle();
  assert.equal(waiting.value, "a");
  queue.done("a");
  const third = track(queue);
  await clock.advance(10_000);
  assert.equal(
    third.settled,
    false,
    "the two re-adds must have merged into one run",
  );
  await queue.shutdown();
  assert.equal(third.value, undefined);
});

Deno.test("WorkQueue addAfter during processing keeps the earliest of the re-adds", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  queue.add("a");
  assert.equal(await queue.get(), "a");
  queue.addAfter("a", 5000);
  queue.addAfter("a", 2000);
  queue.done("a");
  const next = track(queue);
  await clock.advance(1999);
  assert.equal(next.settled, false);
  await clock.advance(1);
  assert.equal(next.value, "a");
  queue.done("a");
  await queue.shutdown();
});

Deno.test("WorkQueue addRateLimited backs off per key and forget resets it", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  const delays: number[] = [];
  for (let i = 0; i < 5; i++) {
    delays.push(queue.addRateLimited("a"));
    await clock.advance(delays.at(-1)!);
    assert.equal(await queue.get(), "a");
    queue.done("a");
  }
  assert.deepEqual(delays, [1000, 2000, 4000, 8000, 8000]);
  assert.equal(queue.failures("a"), 5);
  assert.equal(queue.retries, 5);
  assert.equal(
    queue.addRateLimited("b"),
    1000,
    "other keys have their own backoff",
  );
  queue.forget("a");
  assert.equal(queue.failures("a"), 0);
  assert.equal(queue.addRateLimited("a"), 1000);
  assert.equal(
    queue.addRateLimited("c", 5000),
    5000,
    "the minimum delay is honoured",
  );
  await queue.shutdown();
});

Deno.test("WorkQueue backoff jitter stays within the policy's spread", async () => {
  const clock = new FakeClock();
  const queue = new WorkQueue<string>({
    clock,
    random: () => 0.999,
    backoff: { initialMs: 1000, maxMs: 8000, factor: 2, jitter: 0.5 },
  });
  const delay = queue.addRateLimited("a");
  assert.ok(delay > 1000 && delay <= 1500, `delay ${delay}`);
  await queue.shutdown();
});

Deno.test("WorkQueue shutdown releases waiters and waits for keys in flight", async () => {
  const clock = new FakeClock();
  const queue = newQueue(clock);
  queue.add("a");
  queue.addAfter("b", 1000);
  assert.equal(await queue.get(), "a");
  const waiter = track(queue);
  let drained = false;
  const shutdown = queue.shutdown().then(() => {
    drained = true;
  });
  await settle();
  assert.equal(waiter.settled, true);
  assert.equal(waiter.value, undefined);
  assert.equal(drained, false, "a key is still in flight");
  queue.add("c");
  assert.equal(queue.depth, 0, "adds after shutdown are ignored");
  queue.done("a");
  await shutdown;
  assert.equal(drained, true);
  assert.equal(await queue.get(), undefined);
  assert.equal(clock.pendingTimers, 0, "no timer is left behind");
});
