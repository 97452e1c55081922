// Unit tests of MembershipSnapshots: one list per period shared by many questions, fresh lists on demand.

import assert from "node:assert/strict";
import { MembershipSnapshots } from "../../../src/controllers/membership_snapshots.ts";
import { FakeClock } from "../../support/fake_clock.ts";

function counted(ids: string[]) {
  const lister = {
    calls: 0,
    ids,
    list: () => {
      lister.calls++;
      return Promise.resolve([...lister.ids]);
    },
  };
  return lister;
}

Deno.test("MembershipSnapshots lists once per period for every question", async () => {
  const clock = new FakeClock(0);
  const snapshots = new MembershipSnapshots(60_000, clock);
  const product = counted(["orders", "Billing"]);
  for (const id of ["orders", "billing", "ORDERS"]) {
    assert.equal((await snapshots.members("p", product.list)).has(id), true);
  }
  assert.equal(
    (await snapshots.members("p", product.list)).has("users"),
    false,
  );
  assert.equal(product.calls, 1);
  await clock.advance(60_001);
  const later = await snapshots.members("p", product.list);
  assert.equal(later.fresh, true);
  assert.equal(product.calls, 2, "an older list is not reused");
});

Deno.test("MembershipSnapshots shares one list between callers in flight", async () => {
  const snapshots = new MembershipSnapshots(60_000, new FakeClock(0));
  const product = counted(["orders"]);
  const answers = await Promise.all(
    Array.from({ length: 5 }, () => snapshots.members("p", product.list)),
  );
  assert.ok(answers.every((a) => a.has("orders")));
  assert.equal(product.calls, 1);
});

Deno.test("MembershipSnapshots lists again when asked for a list taken now", async () => {
  const clock = new FakeClock(0);
  const snapshots = new MembershipSnapshots(60_000, clock);
  const product = counted([]);
  const first = await snapshots.members("p", product.list);
  assert.equal(first.fresh, true);
  product.ids.push("orders"); // registered after the snapshot
  await clock.advance(1_000);
  const cached = await snapshots.members("p", product.list);
  assert.equal(cached.has("orders"), false);
  assert.equal(cached.fresh, false);
  const confirmed = await snapshots.members("p", product.list, {
    listedSince: clock.now(),
  });
  assert.equal(confirmed.has("orders"), true);
  assert.equal(product.calls, 2);
});

Deno.test("MembershipSnapshots keeps what the operator added and keys apart", async () => {
  const snapshots = new MembershipSnapshots(60_000, new FakeClock(0));
  const a = counted([]);
  const b = counted(["orders"]);
  await snapshots.members("a", a.list);
  snapshots.add("a", "Orders");
  assert.equal((await snapshots.members("a", a.list)).has("orders"), true);
  assert.equal((await snapshots.members("b", b.list)).has("orders"), true);
  assert.deepEqual([a.calls, b.calls], [1, 1]);
});
