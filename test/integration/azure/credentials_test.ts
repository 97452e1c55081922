// Integration: @azure/identity credentials and the cached TokenSource against the Entra simulator.

import assert from "node:assert/strict";
import { createTokenSource } from "../../../src/azure/credentials.ts";
import { TokenRequestError } from "../../../src/azure/token_source.ts";
import {
  type EntraSimulator,
  startEntraSimulator,
  TOKEN_EXCHANGE_AUDIENCE,
} from "../../sim/entra_simulator.ts";
import { loadTestTls } from "../../support/test_tls.ts";
import { JumpClock } from "../../unit/azure/arm_fakes.ts";

const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const CLIENT_ID = "0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5";
const CLIENT_SECRET = "Zx8Q~simulated.secret-value";
const WORKLOAD_CLIENT_ID = "9f8e7d6c-5b4a-4c3d-9e2f-1a0b9c8d7e6f";
const ISSUER = "https://oidc.example.test/cluster";
const SUBJECT = "system:serviceaccount:apim-operator:azure-apim-operator";

async function withEntra(
  test: (entra: EntraSimulator) => Promise<void>,
): Promise<void> {
  const entra = await startEntraSimulator({
    tls: await loadTestTls(),
    tenantId: TENANT_ID,
    clients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      {
        clientId: WORKLOAD_CLIENT_ID,
        federatedCredentials: [{ issuer: ISSUER, subject: SUBJECT }],
      },
    ],
  });
  try {
    await test(entra);
  } finally {
    await entra.stop();
  }
}

function secretEnv(entra: EntraSimulator, secret = CLIENT_SECRET) {
  return {
    AZURE_TENANT_ID: TENANT_ID,
    AZURE_CLIENT_ID: CLIENT_ID,
    AZURE_CLIENT_SECRET: secret,
    AZURE_AUTHORITY_HOST: entra.url,
  };
}

function base64Url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-")
    .replace(/\//g, "_");
}

/** A projected service-account token as kubelet writes it (the simulator checks iss/sub/aud/exp). */
function serviceAccountToken(): string {
  const now = Math.floor(Date.now() / 1000);
  return [
    base64Url({ alg: "RS256", kid: "k" }),
    base64Url({
      iss: ISSUER,
      sub: SUBJECT,
      aud: [TOKEN_EXCHANGE_AUDIENCE],
      iat: now,
      exp: now + 3600,
    }),
    "c2lnbmF0dXJl",
  ].join(".");
}

Deno.test("a client-secret token is requested once and reused across many calls", async () => {
  await withEntra(async (entra) => {
    const source = createTokenSource(secretEnv(entra), {
      scope: entra.armScope,
    });
    const concurrent = await Promise.all(
      Array.from({ length: 25 }, () => source.getToken()),
    );
    for (let i = 0; i < 25; i++) await source.getToken();
    assert.equal(entra.tokensIssued, 1);
    assert.equal(source.tokenRequests, 1);
    assert.equal(new Set(concurrent.map((t) => t.token)).size, 1);
    const token = concurrent[0]?.token ?? "";
    assert.equal(entra.verifyAccessToken(`Bearer ${token}`).ok, true);
    // Instance discovery was disabled: nothing went to login.microsoftonline.com, only to the simulator.
    assert.ok(
      entra.requests.every((r) => !r.path.includes("discovery/instance")),
    );
  });
});

Deno.test("a short-lived token is refreshed near expiry", async () => {
  await withEntra(async (entra) => {
    entra.tokenLifetimeSeconds = 240;
    const clock = new JumpClock(Date.now());
    const source = createTokenSource(secretEnv(entra), {
      scope: entra.armScope,
      clock,
    });
    const first = await source.getToken();
    await clock.sleep(100_000);
    assert.equal((await source.getToken()).token, first.token);
    assert.equal(entra.tokensIssued, 1);
    // Past half the lifetime (the 5-minute margin is capped at half of a 4-minute token).
    await clock.sleep(30_000);
    const second = await source.getToken();
    assert.notEqual(second.token, first.token);
    assert.equal(entra.tokensIssued, 2);
    assert.equal(source.tokenRequests, 2);
  });
});

Deno.test("workload identity exchanges the federated token file for an ARM token", async () => {
  await withEntra(async (entra) => {
    const dir = await Deno.makeTempDir();
    try {
      const tokenFile = `${dir}/azure-identity-token`;
      await Deno.writeTextFile(tokenFile, serviceAccountToken());
      const source = createTokenSource({
        AZURE_TENANT_ID: TENANT_ID,
        AZURE_CLIENT_ID: WORKLOAD_CLIENT_ID,
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
        AZURE_AUTHORITY_HOST: entra.url,
      }, { scope: entra.armScope });
      const token = await source.getToken();
      const verdict = entra.verifyAccessToken(`Bearer ${token.token}`);
      assert.ok(verdict.ok);
      assert.equal(verdict.principal.appId, WORKLOAD_CLIENT_ID);
      assert.equal(entra.requests.at(-1)?.clientId, WORKLOAD_CLIENT_ID);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});

Deno.test("a rejected secret surfaces the AADSTS code and message, never the secret", async () => {
  await withEntra(async (entra) => {
    const wrong = "Wr0ng~secret.value-that-must-not-leak";
    const source = createTokenSource(secretEnv(entra, wrong), {
      scope: entra.armScope,
    });
    const error = await source.getToken().catch((e) => e);
    assert.ok(error instanceof TokenRequestError, String(error));
    assert.equal(error.aadstsCode, "AADSTS7000215");
    assert.equal(error.code, "invalid_client");
    assert.match(error.message, /AADSTS7000215/);
    assert.ok(!error.message.includes(wrong));
    assert.equal(entra.tokensIssued, 0);
  });
});

Deno.test("a federation mismatch surfaces AADSTS70021", async () => {
  await withEntra(async (entra) => {
    const dir = await Deno.makeTempDir();
    try {
      const tokenFile = `${dir}/token`;
      await Deno.writeTextFile(tokenFile, serviceAccountToken());
      const source = createTokenSource({
        AZURE_TENANT_ID: TENANT_ID,
        AZURE_CLIENT_ID: CLIENT_ID, // has no federated credential
        AZURE_FEDERATED_TOKEN_FILE: tokenFile,
        AZURE_AUTHORITY_HOST: entra.url,
      }, { scope: entra.armScope });
      const error = await source.getToken().catch((e) => e);
      assert.ok(error instanceof TokenRequestError, String(error));
      assert.equal(error.aadstsCode, "AADSTS70021");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
});
