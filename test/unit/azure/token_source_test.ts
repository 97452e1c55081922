// Tests of CachedTokenSource: caching until near expiry, coalescing, forced refresh, fallback.

import assert from "node:assert/strict";
import {
  type AccessToken,
  CachedTokenSource,
  type TokenCredentialLike,
  TokenRequestError,
} from "../../../src/azure/token_source.ts";
import { JumpClock } from "./arm_fakes.ts";

const MINUTE = 60_000;

/** A credential that issues `t1`, `t2`, ... valid for `lifetimeMs`, optionally failing. */
class FakeCredential implements TokenCredentialLike {
  static issued = 0;
  readonly #clock: JumpClock;
  readonly #lifetimeMs: number;
  fail = false;
  pending: Array<() => void> | undefined;

  constructor(clock: JumpClock, lifetimeMs: number) {
    this.#clock = clock;
    this.#lifetimeMs = lifetimeMs;
  }

  async getToken(): Promise<AccessToken | null> {
    if (this.pending) await new Promise<void>((r) => this.pending?.push(r));
    if (this.fail) {
      throw new TokenRequestError("Entra is down", {
        code: "temporarily_unavailable",
      });
    }
    FakeCredential.issued++;
    return {
      token: `t${FakeCredential.issued}`,
      expiresOnTimestamp: this.#clock.now() + this.#lifetimeMs,
    };
  }
}

function setup(lifetimeMs = 60 * MINUTE) {
  FakeCredential.issued = 0;
  const clock = new JumpClock();
  const credentials: FakeCredential[] = [];
  const source = new CachedTokenSource({
    createCredential: () => {
      const credential = new FakeCredential(clock, lifetimeMs);
      credentials.push(credential);
      return credential;
    },
    scope: "https://management.azure.com/.default",
    clock,
  });
  return { source, clock, credentials };
}

Deno.test("getToken() reuses the cached token until 5 minutes before expiry", async () => {
  const { source, clock } = setup();
  assert.equal((await source.getToken()).token, "t1");
  await clock.sleep(54 * MINUTE);
  assert.equal((await source.getToken()).token, "t1");
  await clock.sleep(2 * MINUTE);
  assert.equal((await source.getToken()).token, "t2");
  assert.equal(source.tokenRequests, 2);
});

Deno.test("getToken() refreshes a short-lived token at half its lifetime", async () => {
  const { source, clock } = setup(4 * MINUTE);
  assert.equal((await source.getToken()).token, "t1");
  await clock.sleep(1.5 * MINUTE);
  assert.equal((await source.getToken()).token, "t1");
  await clock.sleep(MINUTE);
  assert.equal((await source.getToken()).token, "t2");
});

Deno.test("getToken() honours refreshAfterTimestamp", async () => {
  const clock = new JumpClock();
  let issued = 0;
  const source = new CachedTokenSource({
    createCredential: () => ({
      getToken: () =>
        Promise.resolve({
          token: `r${++issued}`,
          expiresOnTimestamp: clock.now() + 60 * MINUTE,
          refreshAfterTimestamp: clock.now() + 10 * MINUTE,
        }),
    }),
    scope: "s",
    clock,
  });
  await source.getToken();
  await clock.sleep(11 * MINUTE);
  assert.equal((await source.getToken()).token, "r2");
});

Deno.test("getToken() coalesces concurrent requests into one", async () => {
  const { source, credentials } = setup();
  const credential = credentials[0];
  assert.ok(credential);
  credential.pending = [];
  const calls = Array.from({ length: 20 }, () => source.getToken());
  credential.pending.splice(0).forEach((release) => release());
  credential.pending = undefined;
  const tokens = await Promise.all(calls);
  assert.deepEqual(new Set(tokens.map((t) => t.token)), new Set(["t1"]));
  assert.equal(source.tokenRequests, 1);
});

Deno.test("getToken({forceRefresh}) gets a new token from a new credential, once per rejected token", async () => {
  const { source, credentials } = setup();
  const first = await source.getToken();
  const refreshed = await source.getToken({
    forceRefresh: true,
    rejectedToken: first.token,
  });
  assert.equal(refreshed.token, "t2");
  assert.equal(credentials.length, 2);
  // Another caller that failed with the same old token gets the new one without a second refresh.
  const again = await source.getToken({
    forceRefresh: true,
    rejectedToken: first.token,
  });
  assert.equal(again.token, "t2");
  assert.equal(source.tokenRequests, 2);
});

Deno.test("getToken() keeps a still-valid token when a proactive refresh fails", async () => {
  const { source, clock, credentials } = setup();
  await source.getToken();
  await clock.sleep(56 * MINUTE);
  const credential = credentials[0];
  assert.ok(credential);
  credential.fail = true;
  assert.equal((await source.getToken()).token, "t1");
  // No new attempt for 30 s, then it tries again.
  assert.equal((await source.getToken()).token, "t1");
  assert.equal(source.tokenRequests, 2);
  assert.equal(source.tokenFailures, 1);
  await clock.sleep(31_000);
  credential.fail = false;
  assert.equal((await source.getToken()).token, "t2");
  assert.equal(source.tokenFailures, 1);
});

Deno.test("getToken() fails when there is no valid token to fall back on", async () => {
  const { source, credentials } = setup();
  const credential = credentials[0];
  assert.ok(credential);
  credential.fail = true;
  await assert.rejects(source.getToken(), TokenRequestError);
  assert.equal(source.tokenFailures, 1);
  credential.fail = false;
  assert.equal((await source.getToken()).token, "t1");
  assert.deepEqual([source.tokenRequests, source.tokenFailures], [2, 1]);
});
