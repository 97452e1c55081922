// Unit tests of the bounded expiring cache, in virtual time.
import assert from "node:assert/strict";
import { TtlCache } from "../../../src/http/ttl_cache.ts";
import { FakeClock } from "../../support/fake_clock.ts";

Deno.test("TtlCache forgets an entry when its time to live has passed", async () => {
  const clock = new FakeClock();
  const cache = new TtlCache<string>(clock, 10);
  cache.set("short", "a", 1_000);
  cache.set("long", "b", 5_000);
  cache.set("never", "c", 0);
  assert.equal(cache.get("short"), "a");
  assert.equal(cache.get("never"), undefined);
  await clock.advance(999);
  assert.equal(cache.get("short"), "a");
  await clock.advance(1);
  assert.equal(cache.get("short"), undefined);
  assert.equal(cache.get("long"), "b");
  await clock.advance(4_000);
  assert.equal(cache.get("long"), undefined);
  assert.equal(cache.size, 0);
});

Deno.test("TtlCache holds at most maxEntries, dropping the least recently used", () => {
  const cache = new TtlCache<number>(new FakeClock(), 2);
  cache.set("a", 1, 60_000);
  cache.set("b", 2, 60_000);
  assert.equal(cache.get("a"), 1); // a is now more recent than b
  cache.set("c", 3, 60_000);
  assert.equal(cache.size, 2);
  assert.equal(cache.get("b"), undefined);
  assert.equal(cache.get("a"), 1);
  assert.equal(cache.get("c"), 3);
  cache.set("a", 10, 60_000); // replacing does not grow it
  assert.equal(cache.size, 2);
  assert.equal(cache.get("a"), 10);
  assert.throws(() => new TtlCache(new FakeClock(), 0), RangeError);
});
