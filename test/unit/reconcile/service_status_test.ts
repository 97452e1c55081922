// Unit tests for the APIMService status derived from the instance ARM returns.
import assert from "node:assert/strict";
import {
  type ApimService,
  apimServiceSchema,
} from "../../../src/azure/apim_schemas.ts";
import {
  developerPortalHostname,
  proxyHostname,
  serviceStatusFields,
  serviceVerdict,
} from "../../../src/reconcile/service_status.ts";

const EXAMPLE = new URL(
  "../../fixtures/azure-apim-examples/2024-05-01/ApiManagementServiceGetService.json",
  import.meta.url,
);

/** The real ARM example: two Proxy hostnames (the custom one bound by default), a custom portal. */
const example: ApimService = apimServiceSchema.parse(
  JSON.parse(Deno.readTextFileSync(EXAMPLE)).responses["200"].body,
);

type Hostnames = NonNullable<
  ApimService["properties"]["hostnameConfigurations"]
>;

/** The example with some properties replaced (null removes a property's value). */
function service(
  properties: Partial<ApimService["properties"]>,
): ApimService {
  return apimServiceSchema.parse({
    ...example,
    properties: { ...example.properties, ...properties },
  });
}

function hostname(
  type: string,
  hostName: string,
  defaultSslBinding?: boolean,
): Hostnames[number] {
  return {
    type,
    hostName,
    ...(defaultSslBinding === undefined ? {} : { defaultSslBinding }),
  };
}

// ---- proxy host -----------------------------------------------------------------------------

Deno.test("proxyHostname() prefers the Proxy custom domain bound by default", () => {
  assert.equal(proxyHostname(example), "gateway.current.int-azure-api.net");
});

Deno.test("proxyHostname() prefers the default-bound Proxy hostname wherever it is listed", () => {
  const s = service({
    hostnameConfigurations: [
      hostname("Proxy", "first.azure-api.net", false),
      hostname("DeveloperPortal", "portal.example.com", true),
      hostname("Proxy", "second.azure-api.net"),
      hostname("Proxy", "api.example.com", true),
    ],
  });
  assert.equal(proxyHostname(s), "api.example.com");
});

Deno.test("proxyHostname() takes the first Proxy hostname when none is bound by default", () => {
  const s = service({
    hostnameConfigurations: [
      hostname("Management", "mgmt.example.com", true),
      hostname("Proxy", "first.azure-api.net", false),
      hostname("Proxy", "second.example.com"),
    ],
  });
  assert.equal(proxyHostname(s), "first.azure-api.net");
});

for (
  const [what, hostnames] of [
    ["no hostname configurations", null],
    ["an empty list of hostname configurations", []],
    ["only non-Proxy hostnames", [
      hostname("Management", "mgmt.example.com", true),
    ]],
  ] as const
) {
  Deno.test(`proxyHostname() falls back to the gateway URL's host with ${what}`, () => {
    const s = service({
      hostnameConfigurations: hostnames === null ? null : [...hostnames],
    });
    assert.equal(proxyHostname(s), "ogf-z3-06162021-premium.azure-api.net");
  });
}

Deno.test("proxyHostname() finds no host without Proxy hostnames and without a usable gateway URL", () => {
  assert.equal(
    proxyHostname(service({ hostnameConfigurations: [], gatewayUrl: null })),
    undefined,
  );
  assert.equal(
    proxyHostname(service({ hostnameConfigurations: [], gatewayUrl: "" })),
    undefined,
  );
  assert.equal(
    proxyHostname(
      service({ hostnameConfigurations: [], gatewayUrl: "not a url" }),
    ),
    undefined,
  );
});

// ---- developer portal host ------------------------------------------------------------------

Deno.test("developerPortalHostname() takes the DeveloperPortal hostname", () => {
  assert.equal(
    developerPortalHostname(example),
    "developer.current.int-azure-api.net",
  );
});

Deno.test("developerPortalHostname() falls back to the developer portal URL's host", () => {
  const s = service({
    hostnameConfigurations: [hostname("Proxy", "api.example.com", true)],
  });
  assert.equal(
    developerPortalHostname(s),
    "ogf-z3-06162021-premium.developer.azure-api.net",
  );
});

Deno.test("developerPortalHostname() finds no host without a portal hostname or URL", () => {
  const s = service({ hostnameConfigurations: null, developerPortalUrl: null });
  assert.equal(developerPortalHostname(s), undefined);
});

// ---- status fields --------------------------------------------------------------------------

Deno.test("serviceStatusFields() fills the status from the real ARM example", () => {
  assert.deepEqual(serviceStatusFields(example), {
    gatewayUrl: "https://ogf-z3-06162021-premium.azure-api.net",
    developerPortalUrl:
      "https://ogf-z3-06162021-premium.developer.azure-api.net",
    proxyHostname: "gateway.current.int-azure-api.net",
    host: "gateway.current.int-azure-api.net",
    developerPortalHostname: "developer.current.int-azure-api.net",
    hostnames: [
      {
        type: "Proxy",
        hostName: "ogf-z3-06162021-premium.azure-api.net",
        defaultSslBinding: false,
      },
      {
        type: "Proxy",
        hostName: "gateway.current.int-azure-api.net",
        defaultSslBinding: true,
      },
      {
        type: "DeveloperPortal",
        hostName: "developer.current.int-azure-api.net",
        defaultSslBinding: false,
      },
      {
        type: "Management",
        hostName: "mgmt.current.int-azure-api.net",
        defaultSslBinding: false,
      },
      {
        type: "ConfigurationApi",
        hostName: "configuration-api.current.int-azure-api.net",
        defaultSslBinding: false,
      },
    ],
    provisioningState: "Succeeded",
    sku: "Premium",
    location: "East US",
  });
});

Deno.test("serviceStatusFields() leaves out what the instance does not report", () => {
  const s = service({
    gatewayUrl: null,
    developerPortalUrl: null,
    hostnameConfigurations: null,
    provisioningState: null,
  });
  assert.deepEqual(serviceStatusFields(s), {
    hostnames: [],
    sku: "Premium",
    location: "East US",
  });
});

Deno.test("serviceStatusFields() omits defaultSslBinding when ARM sends none", () => {
  const s = service({
    hostnameConfigurations: [
      { ...hostname("Proxy", "api.example.com"), defaultSslBinding: null },
    ],
  });
  assert.deepEqual(serviceStatusFields(s).hostnames, [
    { type: "Proxy", hostName: "api.example.com" },
  ]);
});

// ---- verdict --------------------------------------------------------------------------------

Deno.test("serviceVerdict() is ready for a provisioned instance with a gateway host", () => {
  assert.deepEqual(serviceVerdict(example), {
    state: "ready",
    reason: "ServiceReady",
    message: 'API Management instance "OGF-Z3-06162021-Premium" is ready',
  });
});

Deno.test("serviceVerdict() is ready when ARM reports no provisioning state", () => {
  assert.equal(
    serviceVerdict(service({ provisioningState: null })).state,
    "ready",
  );
});

for (const state of ["Updating", "Created", "Activating"]) {
  Deno.test(`serviceVerdict() is progressing while the instance is ${state}`, () => {
    assert.deepEqual(serviceVerdict(service({ provisioningState: state })), {
      state: "progressing",
      reason: "ServiceProvisioning",
      message: `API Management instance "OGF-Z3-06162021-Premium" is ${state}`,
    });
  });
}

Deno.test("serviceVerdict() is stalled when the instance reports no gateway host", () => {
  const s = service({ hostnameConfigurations: [], gatewayUrl: null });
  assert.deepEqual(serviceVerdict(s), {
    state: "stalled",
    reason: "NoGatewayHost",
    message:
      'API Management instance "OGF-Z3-06162021-Premium" reports no gateway hostname',
  });
});

Deno.test("serviceVerdict() is stalled when the instance failed to provision", () => {
  const verdict = serviceVerdict(service({ provisioningState: "Failed" }));
  assert.equal(verdict.state, "stalled");
  assert.equal(verdict.reason, "ServiceFailed");
});
