// Tests of the Entra simulator through the real @azure/identity credentials (secret and workload identity).

import {
  ClientSecretCredential,
  WorkloadIdentityCredential,
} from "@azure/identity";
import assert from "node:assert/strict";
import { unsignedJwt } from "../../sim/entra/jwt.ts";
import {
  type EntraSimulator,
  startEntraSimulator,
  TOKEN_EXCHANGE_AUDIENCE,
} from "../../sim/entra_simulator.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { loadTestTls } from "../../support/test_tls.ts";
import { z } from "zod";
import {
  CLIENT_ID,
  CLIENT_SECRET,
  readArm,
  requireNodeCaTrust,
  TENANT_ID,
} from "./sim_fixture.ts";

const ISSUER = "https://oidc.cluster.example/abc";
const SUBJECT = "system:serviceaccount:apim-operator:azure-apim-operator";
const WORKLOAD_CLIENT = "9c1f3b55-1111-4e4e-8f8f-222233334444";

const openIdConfigurationSchema = z.object({
  issuer: z.string(),
  token_endpoint: z.string(),
  authorization_endpoint: z.string(),
  jwks_uri: z.string(),
});

const aadErrorSchema = z.object({
  error: z.string(),
  error_description: z.string(),
  error_codes: z.array(z.number()),
});

async function withEntra(
  fn: (entra: EntraSimulator) => Promise<void> | void,
  clock?: FakeClock,
): Promise<void> {
  requireNodeCaTrust();
  const entra = await startEntraSimulator({
    tls: await loadTestTls(),
    tenantId: TENANT_ID,
    clients: [
      { clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
      {
        clientId: WORKLOAD_CLIENT,
        federatedCredentials: [{ issuer: ISSUER, subject: SUBJECT }],
      },
    ],
    ...(clock ? { clock } : {}),
  });
  try {
    await fn(entra);
  } finally {
    await entra.stop();
  }
}

/** A client-credentials token request with the client secret, sent by hand (no MSAL). */
async function postSecretTokenRequest(
  entra: EntraSimulator,
  tenant: string,
  scope: string,
) {
  return await readArm(
    await fetch(
      `${entra.url}/${tenant}/oauth2/v2.0/token?client-request-id=1`,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "client_credentials",
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          scope,
        }),
      },
    ),
  );
}

function secretCredential(
  authorityHost: string,
  secret = CLIENT_SECRET,
  clientId = CLIENT_ID,
) {
  return new ClientSecretCredential(TENANT_ID, clientId, secret, {
    authorityHost,
    disableInstanceDiscovery: true,
  });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof Error);
    return error;
  }
  assert.fail("expected a rejection");
}

Deno.test("openid-configuration names endpoints on the simulator's own host", async () => {
  await withEntra(async (entra) => {
    const res = await readArm(
      await fetch(
        `${entra.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
      ),
    );
    assert.equal(res.status, 200);
    const body = openIdConfigurationSchema.parse(res.body);
    for (const url of Object.values(body)) {
      assert.ok(url.startsWith(`${entra.url}/${TENANT_ID}/`), url);
    }
    const discovery = await readArm(
      await fetch(
        `${entra.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${body.authorization_endpoint}`,
      ),
    );
    assert.equal(
      z.object({ tenant_discovery_endpoint: z.string() }).parse(discovery.body)
        .tenant_discovery_endpoint,
      `${entra.url}/${TENANT_ID}/v2.0/.well-known/openid-configuration`,
    );
    const jwks = await readArm(await fetch(body.jwks_uri));
    assert.equal(
      z.object({ keys: z.array(z.unknown()) }).parse(jwks.body).keys.length,
      1,
    );
  });
});

Deno.test("ClientSecretCredential gets a token that the ARM-side check accepts", async () => {
  await withEntra(async (entra) => {
    const token = await secretCredential(entra.url).getToken(entra.armScope);
    assert.ok(token.expiresOnTimestamp > Date.now());
    const verdict = entra.verifyAccessToken(`Bearer ${token.token}`);
    assert.equal(verdict.ok, true);
    assert.equal(verdict.ok && verdict.principal.appId, CLIENT_ID);
    assert.equal(verdict.ok && verdict.principal.tenantId, TENANT_ID);
    assert.equal(entra.tokensIssued, 1);
  });
});

Deno.test("the credential caches its token: a second getToken issues none", async () => {
  await withEntra(async (entra) => {
    const credential = secretCredential(entra.url);
    await credential.getToken(entra.armScope);
    await credential.getToken(entra.armScope);
    assert.equal(entra.tokensIssued, 1);
  });
});

Deno.test("a wrong secret fails with invalid_client AADSTS7000215", async () => {
  await withEntra(async (entra) => {
    const error = await rejection(
      secretCredential(entra.url, "wrong").getToken(entra.armScope),
    );
    assert.match(error.message, /AADSTS7000215/);
    assert.equal(entra.tokensIssued, 0);
    assert.ok(
      entra.requests.some((r) => r.status === 401 && r.clientId === CLIENT_ID),
    );
  });
});

Deno.test("an unknown client fails with unauthorized_client AADSTS700016", async () => {
  await withEntra(async (entra) => {
    const error = await rejection(
      secretCredential(entra.url, "x", "00000000-aaaa-bbbb-cccc-000000000000")
        .getToken(
          entra.armScope,
        ),
    );
    assert.match(error.message, /AADSTS700016/);
  });
});

Deno.test("token endpoint errors: unknown tenant AADSTS90002, bad scope AADSTS70011", async () => {
  await withEntra(async (entra) => {
    const post = (tenant: string, scope: string) =>
      postSecretTokenRequest(entra, tenant, scope);
    const tenant = await post(
      "11111111-2222-3333-4444-555555555555",
      entra.armScope,
    );
    assert.equal(tenant.status, 400);
    assert.deepEqual(aadErrorSchema.parse(tenant.body).error_codes, [90002]);
    const scope = await post(
      TENANT_ID,
      "https://management.azure.com/user_impersonation",
    );
    assert.equal(scope.status, 400);
    const error = aadErrorSchema.parse(scope.body);
    assert.equal(error.error, "invalid_scope");
    assert.match(error.error_description, /^AADSTS70011:/);
  });
});

Deno.test("the token endpoint accepts the OpenID Connect scopes MSAL adds to a client-credentials request, like Entra ID", async () => {
  await withEntra(async (entra) => {
    const post = (scope: string) =>
      postSecretTokenRequest(entra, TENANT_ID, scope);
    // What MSAL for Java (and so Azure Identity for Java) sends for a client-credentials token.
    const msal = await post(
      `${entra.armScope} openid offline_access profile`,
    );
    assert.equal(msal.status, 200, JSON.stringify(msal.body));
    const token = z.object({ access_token: z.string() }).parse(msal.body);
    assert.equal(
      entra.verifyAccessToken(`Bearer ${token.access_token}`).ok,
      true,
    );
    // Still refused: two resources, a named permission next to .default, OIDC scopes alone.
    for (
      const scope of [
        `${entra.armScope} https://graph.microsoft.com/.default`,
        `${entra.armScope} https://management.azure.com/user_impersonation`,
        "openid profile offline_access",
      ]
    ) {
      const refused = await post(scope);
      assert.equal(refused.status, 400, scope);
      assert.equal(aadErrorSchema.parse(refused.body).error, "invalid_scope");
    }
  });
});

Deno.test("failNextTokenRequests and throttleNextTokenRequests answer the next requests with the error", async () => {
  await withEntra(async (entra) => {
    entra.throttleNextTokenRequests(1, 7);
    const throttled = await fetch(
      `${entra.url}/${TENANT_ID}/oauth2/v2.0/token`,
      {
        method: "POST",
        body: new URLSearchParams({ grant_type: "client_credentials" }),
      },
    );
    await throttled.body?.cancel();
    assert.equal(throttled.status, 429);
    assert.equal(throttled.headers.get("retry-after"), "7");
    entra.failNextTokenRequests(1, {
      status: 400,
      error: "invalid_request",
      code: 90002,
      description: "Tenant not found.",
    });
    const error = await rejection(
      secretCredential(entra.url).getToken(entra.armScope),
    );
    assert.match(error.message, /AADSTS90002/);
    const token = await secretCredential(entra.url).getToken(entra.armScope);
    assert.ok(token.token.length > 0);
  });
});

Deno.test("token lifetime is a runtime knob and verifyAccessToken enforces exp", async () => {
  const clock = new FakeClock(Date.now());
  await withEntra(async (entra) => {
    entra.tokenLifetimeSeconds = 600;
    const token = await secretCredential(entra.url).getToken(entra.armScope);
    assert.ok(token.expiresOnTimestamp <= Date.now() + 601_000);
    assert.equal(entra.verifyAccessToken(`Bearer ${token.token}`).ok, true);
    await clock.advance(601_000);
    const expired = entra.verifyAccessToken(`Bearer ${token.token}`);
    assert.equal(expired.ok, false);
    assert.equal(!expired.ok && expired.code, "ExpiredAuthenticationToken");
    assert.match(
      !expired.ok ? expired.wwwAuthenticate : "",
      /error="invalid_token"/,
    );
  }, clock);
});

Deno.test("verifyAccessToken rejects missing headers, foreign audiences and rotated keys", async () => {
  await withEntra((entra) => {
    const missing = entra.verifyAccessToken(null);
    assert.equal(!missing.ok && missing.code, "AuthenticationFailed");
    const graph = entra.issueToken(CLIENT_ID, {
      audience: "https://graph.microsoft.com/",
    });
    const audience = entra.verifyAccessToken(`Bearer ${graph}`);
    assert.equal(
      !audience.ok && audience.code,
      "InvalidAuthenticationTokenAudience",
    );
    const other = entra.issueToken(CLIENT_ID, {
      tenantId: "11111111-2222-3333-4444-555555555555",
    });
    const tenant = entra.verifyAccessToken(`Bearer ${other}`);
    assert.equal(!tenant.ok && tenant.code, "InvalidAuthenticationTokenTenant");
    const good = entra.issueToken(CLIENT_ID);
    entra.rotateSigningKey();
    const rotated = entra.verifyAccessToken(`Bearer ${good}`);
    assert.equal(!rotated.ok && rotated.code, "InvalidAuthenticationToken");
  });
});

async function withTokenFile(
  jwt: string,
  fn: (path: string) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/azure-identity-token`, jwt);
    await fn(`${dir}/azure-identity-token`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function workloadCredential(authorityHost: string, tokenFilePath: string) {
  return new WorkloadIdentityCredential({
    tenantId: TENANT_ID,
    clientId: WORKLOAD_CLIENT,
    tokenFilePath,
    authorityHost,
    disableInstanceDiscovery: true,
  });
}

function projectedToken(subject: string): string {
  const now = Math.floor(Date.now() / 1000);
  return unsignedJwt({
    iss: ISSUER,
    sub: subject,
    aud: [TOKEN_EXCHANGE_AUDIENCE],
    iat: now,
    exp: now + 3600,
  });
}

Deno.test("WorkloadIdentityCredential exchanges a matching federated token", async () => {
  await withEntra(async (entra) => {
    await withTokenFile(projectedToken(SUBJECT), async (path) => {
      const token = await workloadCredential(entra.url, path).getToken(
        entra.armScope,
      );
      const verdict = entra.verifyAccessToken(`Bearer ${token.token}`);
      assert.equal(verdict.ok && verdict.principal.appId, WORKLOAD_CLIENT);
    });
  });
});

Deno.test("a federated token with another subject fails with AADSTS70021", async () => {
  await withEntra(async (entra) => {
    await withTokenFile(
      projectedToken("system:serviceaccount:other:sa"),
      async (path) => {
        const error = await rejection(
          workloadCredential(entra.url, path).getToken(entra.armScope),
        );
        assert.match(error.message, /AADSTS70021/);
        assert.equal(entra.tokensIssued, 0);
      },
    );
  });
});
