// Unit tests of RequestBudget in virtual time: nothing held back until ARM reports, then paced at the class's refill rate.

import assert from "node:assert/strict";
import { tightestRemaining } from "../../../src/azure/arm_headers.ts";
import { RequestBudget } from "../../../src/azure/request_budget.ts";
import { FakeClock, settle } from "../../support/fake_clock.ts";

function budget(clock: FakeClock): RequestBudget {
  return new RequestBudget({
    refillPerSecond: { writes: 10, reads: 25 },
    reserve: 2,
    clock,
  });
}

Deno.test("RequestBudget holds nothing back before ARM reports a remaining budget", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  const dones = await Promise.all(
    Array.from({ length: 50 }, () => b.acquire("sub", "writes")),
  );
  assert.equal(dones.length, 50);
  assert.equal(b.available("sub|writes"), undefined);
});

Deno.test("RequestBudget lets writes through while ARM reports room", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub", "writes"))(100);
  for (let i = 0; i < 10; i++) (await b.acquire("sub", "writes"))(99 - i);
  assert.equal(clock.now(), 0, "no write waited");
  assert.equal(b.available("sub|writes"), 90);
});

Deno.test("RequestBudget spaces writes at the refill rate once the reserve is reached", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub", "writes"))(3); // 3 left: one more fits above the reserve of 2
  (await b.acquire("sub", "writes"))(2);
  const granted: number[] = [];
  const waiting = (async () => {
    for (let i = 0; i < 3; i++) {
      const done = await b.acquire("sub", "writes");
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

Deno.test("RequestBudget counts writes still in flight against what ARM reported", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  const first = await b.acquire("sub", "writes");
  const second = await b.acquire("sub", "writes");
  first(4); // the second write has not been answered: it will spend one of those 4
  assert.equal(b.available("sub|writes"), 3);
  second(3);
  assert.equal(b.available("sub|writes"), 3);
});

Deno.test("RequestBudget keeps subscriptions apart", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("a", "writes"))(0);
  const other = await b.acquire("b", "writes");
  other(undefined);
  assert.equal(b.available("a|writes"), 0);
  assert.equal(b.available("b|writes"), undefined);
});

Deno.test("RequestBudget stops waiting when the signal aborts", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub", "writes"))(0);
  const abort = new AbortController();
  const waiting = b.acquire("sub", "writes", abort.signal);
  abort.abort(new Error("shutdown"));
  await assert.rejects(waiting, /shutdown/);
});

Deno.test("RequestBudget paces reads apart from writes, at the reads' refill rate", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub", "writes"))(0);
  (await b.acquire("sub", "reads"))(2);
  const granted: number[] = [];
  const reads = (async () => {
    for (let i = 0; i < 2; i++) {
      const done = await b.acquire("sub", "reads");
      granted.push(clock.now());
      done(2);
    }
  })();
  await settle();
  assert.deepEqual(granted, [], "reads wait at their own reserve");
  await clock.advance(1000);
  await reads;
  assert.deepEqual(granted, [40, 80], "25 reads a second");
  assert.equal(b.available("sub|writes"), 10, "writes refill on their own");
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

Deno.test("RequestBudget serves waiters in the order they asked, and lets an aborted one leave the line", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub", "writes"))(0);
  const order: string[] = [];
  const leaving = new AbortController();
  const ask = (name: string, signal?: AbortSignal) =>
    b.acquire("sub", "writes", signal).then((done) => {
      order.push(name);
      done(undefined);
    });
  const first = ask("first");
  const gone = ask("gone", leaving.signal);
  const second = ask("second");
  leaving.abort(new Error("shutdown"));
  await assert.rejects(gone, /shutdown/);
  await clock.advance(2_000);
  await Promise.all([first, second]);
  assert.deepEqual(order, ["first", "second"]);
});

Deno.test("RequestBudget holds every request of a class until a 429's Retry-After has passed", async () => {
  const clock = new FakeClock(0);
  const b = budget(clock);
  (await b.acquire("sub", "reads"))(0, 5_000); // throttled: Retry-After 5 s
  const granted: number[] = [];
  const next = b.acquire("sub", "reads").then((done) => {
    granted.push(clock.now());
    done(100);
  });
  await clock.advance(4_900);
  assert.deepEqual(granted, [], "nothing before Retry-After");
  await clock.advance(200);
  await next;
  assert.ok((granted[0] ?? 0) >= 5_000);
});
