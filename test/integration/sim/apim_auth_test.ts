// §C9: ARM authentication (401 with WWW-Authenticate) and authorization (403 for denied actions) mid-reconcile.

import { ClientSecretCredential } from "@azure/identity";
import assert from "node:assert/strict";
import { FakeClock } from "../../support/fake_clock.ts";
import {
  armError,
  CLIENT_ID,
  CLIENT_SECRET,
  putApi,
  SERVICE_PATH,
  startSimulators,
  TENANT_ID,
} from "./sim_fixture.ts";

Deno.test("no token: 401 AuthenticationFailed with a WWW-Authenticate challenge", async () => {
  await using sim = await startSimulators();
  const res = await sim.arm("GET", "/apis", { anonymous: true });
  assert.equal(res.status, 401);
  assert.equal(armError(res.body).code, "AuthenticationFailed");
  assert.match(
    res.headers.get("www-authenticate") ?? "",
    new RegExp(
      `^Bearer authorization_uri="${sim.entra.url}/${TENANT_ID}", error="invalid_token"`,
    ),
  );
});

Deno.test("an expired token gets 401 ExpiredAuthenticationToken; a refreshed token works again", async () => {
  const clock = new FakeClock(Date.now());
  await using sim = await startSimulators({
    apim: { clock },
    entra: { clock, tokenLifetimeSeconds: 3600 },
  });
  assert.equal((await sim.arm("GET", "/apis")).status, 200);
  await clock.advance(3_601_000);
  const expired = await sim.arm("GET", "/apis");
  assert.equal(expired.status, 401);
  assert.equal(armError(expired.body).code, "ExpiredAuthenticationToken");
  assert.ok(expired.headers.get("www-authenticate"));
  const fresh = new ClientSecretCredential(
    TENANT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    {
      authorityHost: sim.entra.url,
      disableInstanceDiscovery: true,
    },
  );
  const token = await fresh.getToken(sim.entra.armScope);
  const res = await fetch(
    `${sim.apim.url}${SERVICE_PATH}/apis?api-version=2024-05-01`,
    {
      headers: { authorization: `Bearer ${token.token}` },
    },
  );
  await res.body?.cancel();
  assert.equal(res.status, 200);
  assert.equal(sim.entra.tokensIssued, 2);
});

Deno.test("a token for another audience or signed by a retired key is refused with ARM's codes", async () => {
  await using sim = await startSimulators();
  const call = async (token: string) => {
    const res = await fetch(
      `${sim.apim.url}${SERVICE_PATH}?api-version=2024-05-01`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    return { status: res.status, code: armError(await res.json()).code };
  };
  const vault = sim.entra.issueToken(CLIENT_ID, {
    audience: "https://vault.azure.net",
  });
  assert.deepEqual(await call(vault), {
    status: 401,
    code: "InvalidAuthenticationTokenAudience",
  });
  const old = sim.entra.issueToken(CLIENT_ID);
  sim.entra.rotateSigningKey();
  assert.deepEqual(await call(old), {
    status: 401,
    code: "InvalidAuthenticationToken",
  });
});

Deno.test("denied actions answer 403 AuthorizationFailed with ARM's message; other actions still work", async () => {
  await using sim = await startSimulators();
  sim.apim.knobs.deniedActions = ["Microsoft.ApiManagement/service/apis/write"];
  const denied = await putApi(sim, "echo", {});
  assert.equal(denied.status, 403);
  const error = armError(denied.body);
  assert.equal(error.code, "AuthorizationFailed");
  const verdict = sim.entra.verifyAccessToken(
    `Bearer ${(await sim.credential.getToken(sim.entra.armScope)).token}`,
  );
  assert.ok(verdict.ok);
  assert.equal(
    error.message,
    `The client '${CLIENT_ID}' with object id '${verdict.principal.objectId}' does not have authorization to perform action 'Microsoft.ApiManagement/service/apis/write' over scope '${SERVICE_PATH}/apis/echo' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
  assert.equal((await sim.arm("GET", "/apis")).status, 200);
  assert.equal(
    (await sim.arm("PUT", "/tags/t", {
      body: { properties: { displayName: "t" } },
    })).status,
    201,
  );
  sim.apim.knobs.deniedActions = ["Microsoft.ApiManagement/service/*/delete"];
  assert.equal(
    (await sim.arm("DELETE", "/tags/t", { headers: { "if-match": "*" } }))
      .status,
    403,
  );
  assert.ok(sim.service.tag("t"));
});
