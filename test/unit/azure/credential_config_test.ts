// Tests of credential selection from an environment record, clouds and authority handling.

import assert from "node:assert/strict";
import {
  AZURE_CLOUDS,
  isKnownAuthorityHost,
} from "../../../src/azure/azure_cloud.ts";
import {
  CredentialConfigError,
  resolveCredentialConfigs,
} from "../../../src/azure/credential_config.ts";

const WORKLOAD_ENV = {
  AZURE_CLIENT_ID: "11111111-1111-1111-1111-111111111111",
  AZURE_TENANT_ID: "22222222-2222-2222-2222-222222222222",
  AZURE_FEDERATED_TOKEN_FILE:
    "/var/run/secrets/azure/tokens/azure-identity-token",
  AZURE_AUTHORITY_HOST: "https://login.microsoftonline.com/",
};

Deno.test("auto picks workload identity from the webhook's variables", () => {
  assert.deepEqual(resolveCredentialConfigs(WORKLOAD_ENV), [{
    kind: "workload-identity",
    tenantId: WORKLOAD_ENV.AZURE_TENANT_ID,
    clientId: WORKLOAD_ENV.AZURE_CLIENT_ID,
    tokenFilePath: WORKLOAD_ENV.AZURE_FEDERATED_TOKEN_FILE,
    authorityHost: "https://login.microsoftonline.com",
    disableInstanceDiscovery: false,
  }]);
});

Deno.test("auto picks a client secret when there is no token file", () => {
  const [config] = resolveCredentialConfigs({
    AZURE_CLIENT_ID: "c",
    AZURE_TENANT_ID: "t",
    AZURE_CLIENT_SECRET: "s3cret",
  });
  assert.equal(config?.kind, "client-secret");
});

Deno.test("auto falls back to managed identity, then the Azure CLI", () => {
  assert.deepEqual(
    resolveCredentialConfigs({ AZURE_CLIENT_ID: "c" }).map((c) => c.kind),
    ["managed-identity", "azure-cli"],
  );
  assert.deepEqual(resolveCredentialConfigs({}), [
    { kind: "managed-identity" },
    { kind: "azure-cli" },
  ]);
});

Deno.test("an explicit kind gives exactly that credential", () => {
  assert.deepEqual(
    resolveCredentialConfigs(WORKLOAD_ENV, { kind: "azure-cli" }),
    [{ kind: "azure-cli", tenantId: WORKLOAD_ENV.AZURE_TENANT_ID }],
  );
  assert.deepEqual(
    resolveCredentialConfigs(WORKLOAD_ENV, { kind: "managed-identity" }),
    [{ kind: "managed-identity", clientId: WORKLOAD_ENV.AZURE_CLIENT_ID }],
  );
});

Deno.test("a missing variable is named in the error", () => {
  const { AZURE_TENANT_ID: _, ...withoutTenant } = WORKLOAD_ENV;
  assert.throws(
    () => resolveCredentialConfigs(withoutTenant),
    (error) =>
      error instanceof CredentialConfigError &&
      error.message ===
        'Missing environment variable "AZURE_TENANT_ID": required for workload identity',
  );
  assert.throws(
    () =>
      resolveCredentialConfigs({ AZURE_CLIENT_ID: "c" }, {
        kind: "client-secret",
      }),
    /"AZURE_TENANT_ID"/,
  );
  assert.throws(
    () =>
      resolveCredentialConfigs({ AZURE_CLIENT_ID: "c", AZURE_TENANT_ID: "t" }, {
        kind: "client-secret",
      }),
    /"AZURE_CLIENT_SECRET": required for client secret authentication/,
  );
  assert.throws(
    () => resolveCredentialConfigs({ ...WORKLOAD_ENV, AZURE_CLIENT_ID: "  " }),
    /"AZURE_CLIENT_ID"/,
  );
});

Deno.test("a simulator authority disables instance discovery; option beats variable beats cloud", () => {
  const [fromOption] = resolveCredentialConfigs(WORKLOAD_ENV, {
    authorityHost: "https://127.0.0.1:8443",
  });
  assert.ok(fromOption?.kind === "workload-identity");
  assert.equal(fromOption.authorityHost, "https://127.0.0.1:8443");
  assert.equal(fromOption.disableInstanceDiscovery, true);
  const { AZURE_AUTHORITY_HOST: _, ...noHost } = WORKLOAD_ENV;
  const [china] = resolveCredentialConfigs(noHost, { cloud: "china" });
  assert.ok(china?.kind === "workload-identity");
  assert.equal(china.authorityHost, "https://login.chinacloudapi.cn");
  assert.equal(china.disableInstanceDiscovery, false);
  const [forced] = resolveCredentialConfigs(WORKLOAD_ENV, {
    disableInstanceDiscovery: true,
  });
  assert.ok(forced?.kind === "workload-identity");
  assert.equal(forced.disableInstanceDiscovery, true);
});

Deno.test("an authority that is not https is refused", () => {
  assert.throws(
    () =>
      resolveCredentialConfigs({
        ...WORKLOAD_ENV,
        AZURE_AUTHORITY_HOST: "http://127.0.0.1:1",
      }),
    /Invalid AZURE_AUTHORITY_HOST "http:\/\/127.0.0.1:1": the authority must use https/,
  );
  assert.throws(
    () => resolveCredentialConfigs(WORKLOAD_ENV, { authorityHost: "nonsense" }),
    /Invalid authority host option "nonsense"/,
  );
});

Deno.test("clouds pair ARM endpoints, authorities and scopes", () => {
  assert.equal(
    AZURE_CLOUDS.public.armScope,
    "https://management.azure.com/.default",
  );
  assert.equal(
    AZURE_CLOUDS.usgov.armEndpoint,
    "https://management.usgovcloudapi.net",
  );
  assert.equal(
    AZURE_CLOUDS.usgov.authorityHost,
    "https://login.microsoftonline.us",
  );
  for (const cloud of Object.values(AZURE_CLOUDS)) {
    assert.equal(cloud.armScope, `${cloud.armEndpoint}/.default`);
    assert.equal(isKnownAuthorityHost(cloud.authorityHost), true);
  }
  assert.equal(isKnownAuthorityHost("https://127.0.0.1:9443"), false);
});
