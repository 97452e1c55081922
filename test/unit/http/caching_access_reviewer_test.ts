// Unit tests of review caching: answers are remembered for their TTL (in virtual time), errors are not.
import assert from "node:assert/strict";
import { CachingAccessReviewer } from "../../../src/http/caching_access_reviewer.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { StubReviewer, user } from "./stub_reviewer.ts";

const METRICS = { path: "/metrics", verb: "get" };

function setup() {
  const clock = new FakeClock();
  const stub = new StubReviewer();
  const cached = new CachingAccessReviewer(stub, {
    clock,
    allowTtlMs: 60_000,
    denyTtlMs: 10_000,
    maxEntries: 2,
  });
  return { clock, stub, cached };
}

Deno.test("CachingAccessReviewer remembers an authenticated token for the allow TTL", async () => {
  const { clock, stub, cached } = setup();
  stub.tokens.set("t1", user("alice"));
  assert.equal((await cached.authenticate("t1")).authenticated, true);
  stub.tokens.delete("t1"); // revoked upstream
  await clock.advance(59_999);
  assert.equal((await cached.authenticate("t1")).authenticated, true);
  await clock.advance(1);
  assert.equal((await cached.authenticate("t1")).authenticated, false);
});

Deno.test("CachingAccessReviewer remembers a rejected token for the deny TTL only", async () => {
  const { clock, stub, cached } = setup();
  assert.equal((await cached.authenticate("t2")).authenticated, false);
  stub.tokens.set("t2", user("bob")); // becomes valid upstream
  await clock.advance(9_999);
  assert.equal((await cached.authenticate("t2")).authenticated, false);
  await clock.advance(1);
  assert.deepEqual(await cached.authenticate("t2"), {
    authenticated: true,
    user: user("bob"),
  });
});

Deno.test("CachingAccessReviewer remembers decisions per user and request for their TTLs", async () => {
  const { clock, stub, cached } = setup();
  const alice = user("alice", ["readers"]);
  assert.equal((await cached.authorize(alice, METRICS)).allowed, false);
  stub.allowed.add("readers get /metrics");
  assert.equal((await cached.authorize(alice, METRICS)).allowed, false);
  // Another group set is another question, answered afresh.
  assert.equal(
    (await cached.authorize(user("alice", ["readers", "x"]), METRICS)).allowed,
    true,
  );
  await clock.advance(10_000);
  assert.equal((await cached.authorize(alice, METRICS)).allowed, true);
  stub.allowed.clear();
  await clock.advance(59_999);
  assert.equal((await cached.authorize(alice, METRICS)).allowed, true);
  assert.equal(
    (await cached.authorize(alice, { path: "/metrics", verb: "post" }))
      .allowed,
    false,
  );
  await clock.advance(1);
  assert.equal((await cached.authorize(alice, METRICS)).allowed, false);
});

Deno.test("CachingAccessReviewer does not cache failures and stays within its bound", async () => {
  const { stub, cached } = setup();
  stub.failure = new Error("apiserver unreachable");
  await assert.rejects(cached.authenticate("t3"), /unreachable/);
  stub.failure = undefined;
  stub.tokens.set("t3", user("carol"));
  assert.equal((await cached.authenticate("t3")).authenticated, true);

  // maxEntries 2: a third token pushes out the least recently used one.
  stub.tokens.set("t4", user("dave"));
  stub.tokens.set("t5", user("erin"));
  await cached.authenticate("t4");
  await cached.authenticate("t5");
  stub.tokens.clear();
  assert.equal((await cached.authenticate("t5")).authenticated, true);
  assert.equal((await cached.authenticate("t3")).authenticated, false);
});
