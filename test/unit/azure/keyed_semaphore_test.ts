// Tests of KeyedSemaphore: a limit per key, first come first served, abort while waiting.

import assert from "node:assert/strict";
import { KeyedSemaphore } from "../../../src/azure/keyed_semaphore.ts";

Deno.test("acquire() admits up to the limit per key and queues the rest in order", async () => {
  const semaphore = new KeyedSemaphore(2);
  const a1 = await semaphore.acquire("a");
  const a2 = await semaphore.acquire("a");
  const b1 = await semaphore.acquire("b");
  assert.equal(semaphore.active("a"), 2);
  assert.equal(semaphore.active("b"), 1);
  const order: string[] = [];
  const third = semaphore.acquire("a").then((release) => {
    order.push("third");
    return release;
  });
  const fourth = semaphore.acquire("a").then((release) => {
    order.push("fourth");
    return release;
  });
  a1();
  a1(); // a second call is harmless
  const r3 = await third;
  assert.deepEqual(order, ["third"]);
  assert.equal(semaphore.active("a"), 2);
  a2();
  const r4 = await fourth;
  assert.deepEqual(order, ["third", "fourth"]);
  r3();
  r4();
  b1();
  assert.equal(semaphore.active("a"), 0);
  assert.equal(semaphore.active("b"), 0);
});

Deno.test("acquire() gives up when its signal aborts while waiting", async () => {
  const semaphore = new KeyedSemaphore(1);
  const held = await semaphore.acquire("k");
  const controller = new AbortController();
  const waiting = semaphore.acquire("k", controller.signal);
  controller.abort(new Error("shutdown"));
  await assert.rejects(waiting, /shutdown/);
  held();
  const next = await semaphore.acquire("k");
  assert.equal(semaphore.active("k"), 1);
  next();
});

Deno.test("KeyedSemaphore refuses a limit below 1", () => {
  assert.throws(() => new KeyedSemaphore(0), RangeError);
});
