// Unit tests of WriteBudget in virtual time: nothing held back until ARM reports, then paced at the refill rate.

import assert from "node:assert/strict";
import { tightestRemaining } from "../../../src/azure/arm_headers.ts";
import { WriteBudget } from "../../../src/azure/write_budget.ts";
import { FakeClock, settle } from "../../support/fake_clock.ts";

function budget(clock: FakeClock): WriteBudget {
  return new WriteBudget({ refillPerSecond: 10, reserve: 2, clock });
}

Deno.test("WriteBudget holds nothing back before ARM reports a remaining budget", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  const dones = await Promise.all(
    Array.from({ length: 50 }, () => b.acquire("sub")),
  );
  assert.equal(dones.length, 50);
  assert.equal(b.available("sub"), undefined);
});

Deno.test("WriteBudget lets writes through while ARM reports room", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub"))(100);
  for (let i = 0; i < 10; i++) (await b.acquire("sub"))(99 - i);
  assert.equal(clock.now(), 0, "no write waited");
  assert.equal(b.available("sub"), 90);
});

Deno.test("WriteBudget spaces writes at the refill rate once the reserve is reached", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub"))(3); // 3 left: one more fits above the reserve of 2
  (await b.acquire("sub"))(2);
  const granted: number[] = [];
  const waiting = (async () => {
    for (let i = 0; i < 3; i++) {
      const done = await b.acquire("sub");
      granted.push(clock.now());
      done(2);
    }
  })();
  await settle();
  assert.deepEqual(granted, [], "at the reserve, the next write waits");
  await clock.advance(1000);
  await waiting;
  assert.deepEqual(granted, [100, 200, 300], "one write per refill");
});

Deno.test("WriteBudget counts writes still in flight against what ARM reported", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  const first = await b.acquire("sub");
  const second = await b.acquire("sub");
  first(4); // the second write has not been answered: it will spend one of those 4
  assert.equal(b.available("sub"), 3);
  second(3);
  assert.equal(b.available("sub"), 3);
});

Deno.test("WriteBudget keeps subscriptions apart", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("a"))(0);
  const other = await b.acquire("b");
  other(undefined);
  assert.equal(b.available("a"), 0);
  assert.equal(b.available("b"), undefined);
});

Deno.test("WriteBudget stops waiting when the signal aborts", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub"))(0);
  const abort = new AbortController();
  const waiting = b.acquire("sub", abort.signal);
  abort.abort(new Error("shutdown"));
  await assert.rejects(waiting, /shutdown/);
});

Deno.test("tightestRemaining() takes the tighter of the caller's and the global budget, either alone, or none", () => {
  assert.equal(
    tightestRemaining({
      "subscription-writes": 190,
      "subscription-global-writes": 11999,
    }, "writes"),
    190,
  );
  assert.equal(
    tightestRemaining({
      "subscription-writes": 190,
      "subscription-global-writes": 12,
    }, "writes"),
    12,
  );
  assert.equal(
    tightestRemaining({ "subscription-global-deletes": 11999 }, "deletes"),
    11999,
  );
  assert.equal(
    tightestRemaining({ "subscription-reads": 5 }, "writes"),
    undefined,
  );
});
