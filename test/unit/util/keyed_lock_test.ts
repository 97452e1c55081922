// Tests of KeyedLock: one holder per key, a busy key answered at once.
import assert from "node:assert/strict";
import { KeyedLock } from "../../../src/util/keyed_lock.ts";

Deno.test("KeyedLock runs one holder per key and answers a busy key without waiting", async () => {
  const lock = new KeyedLock();
  let release = () => {};
  const held = new Promise<void>((resolve) => release = resolve);
  const first = lock.tryRun("a", "busy", async () => {
    await held;
    return "first";
  });
  assert.equal(
    await lock.tryRun("a", "busy", () => Promise.resolve("x")),
    "busy",
  );
  assert.equal(await lock.tryRun("b", "busy", () => Promise.resolve("b")), "b");
  release();
  assert.equal(await first, "first");
  assert.equal(
    await lock.tryRun("a", "busy", () => Promise.resolve("again")),
    "again",
  );
});

Deno.test("KeyedLock lets go of a key whose work failed", async () => {
  const lock = new KeyedLock();
  await assert.rejects(
    lock.tryRun("a", "busy", () => Promise.reject(new Error("boom"))),
    /boom/,
  );
  assert.equal(await lock.tryRun("a", "busy", () => Promise.resolve(1)), 1);
});
