// Shared set-up for the simulators' own tests: both simulators over HTTPS, a real ClientSecretCredential, and an ARM caller.

import { ClientSecretCredential } from "@azure/identity";
import { z } from "zod";
import {
  type ApimSimulator,
  type ApimSimulatorOptions,
  type ServiceHandle,
  startApimSimulator,
} from "../../sim/apim_simulator.ts";
import {
  type EntraSimulator,
  type EntraSimulatorOptions,
  startEntraSimulator,
} from "../../sim/entra_simulator.ts";
import { loadTestTls } from "../../support/test_tls.ts";

export const TENANT_ID = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const CLIENT_ID = "6f1d7e2a-0c55-4a8e-9a3e-3d2f0e5b1c11";
export const CLIENT_SECRET = "sim-secret-value";
export const SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000";
export const RESOURCE_GROUP = "rg1";
export const SERVICE_NAME = "apimService1";

/** Path of the test service (`/subscriptions/.../service/apimService1`). */
export const SERVICE_PATH =
  `/subscriptions/${SUBSCRIPTION_ID}/resourceGroups/${RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/${SERVICE_NAME}`;

/** A response read to the end. */
export interface ArmResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON, or null for an empty body. */
  body: unknown;
}

/** Options of one ARM call. */
export interface ArmCall {
  body?: unknown;
  headers?: Record<string, string>;
  /** Default 2024-05-01; null sends none. */
  apiVersion?: string | null;
  /** Extra query parameters. */
  query?: Record<string, string>;
  /** Send no Authorization header. */
  anonymous?: boolean;
}

/** Both simulators, the test service and a token-carrying ARM caller. */
export interface SimFixture extends AsyncDisposable {
  entra: EntraSimulator;
  apim: ApimSimulator;
  service: ServiceHandle;
  credential: ClientSecretCredential;
  /** Calls `path` (relative to the service when it starts with no `/subscriptions`) with a bearer token. */
  arm(method: string, path: string, call?: ArmCall): Promise<ArmResponse>;
  /** GETs an absolute URL (Location, nextLink) with a bearer token. */
  get(url: string): Promise<ArmResponse>;
}

/** Reads a response body as JSON (null when empty). */
export async function readArm(response: Response): Promise<ArmResponse> {
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? null : JSON.parse(text),
  };
}

/**
 * @azure/identity talks HTTPS through node:https, which trusts NODE_EXTRA_CA_CERTS, not DENO_CERT.
 * Fails early with a clear message instead of MSAL's "endpoints_resolution_error".
 */
export function requireNodeCaTrust(): void {
  if (!Deno.env.get("NODE_EXTRA_CA_CERTS")) {
    throw new Error(
      "NODE_EXTRA_CA_CERTS is not set: @azure/identity (node:https) needs it to trust the test CA, in addition to DENO_CERT",
    );
  }
}

/** Starts Entra + APIM simulators with one service; APIM verifies tokens with Entra. */
export async function startSimulators(
  options: {
    apim?: Omit<ApimSimulatorOptions, "verify">;
    entra?: Partial<EntraSimulatorOptions>;
  } = {},
): Promise<SimFixture> {
  requireNodeCaTrust();
  const tls = await loadTestTls();
  const entra = await startEntraSimulator({
    tls,
    tenantId: TENANT_ID,
    clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
    ...options.entra,
  });
  const apim = await startApimSimulator({
    tls,
    verify: entra.verifyAccessToken,
    ...options.apim,
  });
  const service = apim.addService({
    subscriptionId: SUBSCRIPTION_ID,
    resourceGroup: RESOURCE_GROUP,
    name: SERVICE_NAME,
  });
  const credential = new ClientSecretCredential(
    TENANT_ID,
    CLIENT_ID,
    CLIENT_SECRET,
    {
      authorityHost: entra.url,
      disableInstanceDiscovery: true,
    },
  );
  const authorization = async (
    anonymous: boolean,
  ): Promise<Record<string, string>> => {
    if (anonymous) return {};
    const token = await credential.getToken(entra.armScope);
    return { authorization: `Bearer ${token.token}` };
  };
  const arm = async (method: string, path: string, call: ArmCall = {}) => {
    const url = new URL(
      path.startsWith("/subscriptions") ? path : `${SERVICE_PATH}${path}`,
      apim.url,
    );
    const apiVersion = call.apiVersion === undefined
      ? "2024-05-01"
      : call.apiVersion;
    if (apiVersion !== null) url.searchParams.set("api-version", apiVersion);
    for (const [k, v] of Object.entries(call.query ?? {})) {
      url.searchParams.set(k, v);
    }
    const headers: Record<string, string> = {
      ...(await authorization(call.anonymous ?? false)),
      ...(call.body === undefined
        ? {}
        : { "content-type": "application/json" }),
      ...call.headers,
    };
    return await readArm(
      await fetch(url, {
        method,
        headers,
        ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      }),
    );
  };
  const get = async (url: string) =>
    await readArm(await fetch(url, { headers: await authorization(false) }));
  return {
    entra,
    apim,
    service,
    credential,
    arm,
    get,
    async [Symbol.asyncDispose]() {
      await apim.stop();
      await entra.stop();
    },
  };
}

/** A minimal OpenAPI 3 document with the given operations (`"GET /pets"` or `["GET /pets", "listPets"]`). */
export function openApiDocument(
  title: string,
  operations: readonly (string | readonly [string, string])[],
): string {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const entry of operations) {
    const [signature, operationId] = typeof entry === "string"
      ? [entry, undefined]
      : entry;
    const [method = "GET", path = "/"] = signature.split(" ");
    paths[path] ??= {};
    paths[path][method.toLowerCase()] = {
      ...(operationId ? { operationId } : {}),
      responses: { "200": { description: "OK" } },
    };
  }
  return JSON.stringify({
    openapi: "3.0.1",
    info: { title, version: "1.0" },
    servers: [{ url: "https://backend.example.com/api" }],
    paths,
  });
}

/** The body of an inline `openapi+json` import into `path`. */
export function importBody(
  document: string,
  path: string,
  extra: Record<string, unknown> = {},
): { properties: Record<string, unknown> } {
  return {
    properties: {
      format: "openapi+json",
      value: document,
      path,
      serviceUrl: "https://backend.example.com/api",
      subscriptionRequired: true,
      ...extra,
    },
  };
}

const armErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.array(
      z.object({ code: z.string(), target: z.string(), message: z.string() }),
    )
      .nullish(),
  }),
});

/** `body.error` of an ARM error response (throws when the body is not one). */
export function armError(
  body: unknown,
): z.infer<typeof armErrorSchema>["error"] {
  return armErrorSchema.parse(body).error;
}

const resourceSchema = z.object({
  id: z.string(),
  type: z.string(),
  name: z.string(),
  properties: z.record(z.string(), z.unknown()),
});

/** An ARM resource body `{id, type, name, properties}`. */
export function resource(body: unknown): z.infer<typeof resourceSchema> {
  return resourceSchema.parse(body);
}

const listSchema = z.object({
  value: z.array(z.record(z.string(), z.unknown())),
  count: z.number().optional(),
  // Revision lists end with `"nextLink": null` (cli-test_apim_api_revision#2).
  nextLink: z.string().nullish(),
});

/** A collection body `{value, count?, nextLink?}`. */
export function collection(body: unknown): z.infer<typeof listSchema> {
  return listSchema.parse(body);
}

/** Follows a Location URL until it stops answering 202 (at most `maxPolls` polls). */
export async function pollLocation(
  sim: SimFixture,
  location: string,
  maxPolls = 20,
): Promise<{ final: ArmResponse; polls: number }> {
  for (let polls = 1; polls <= maxPolls; polls++) {
    const response = await sim.get(location);
    if (response.status !== 202) return { final: response, polls };
  }
  throw new Error(`Still 202 after ${maxPolls} polls of ${location}`);
}

/** Creates (or updates) an API without import; answers the PUT response. */
export async function putApi(
  sim: SimFixture,
  apiId: string,
  properties: Record<string, unknown>,
  call: ArmCall = {},
): Promise<ArmResponse> {
  return await sim.arm("PUT", `/apis/${apiId}`, {
    ...call,
    body: { properties: { displayName: apiId, path: apiId, ...properties } },
  });
}

/** Imports `document` into `apiId` and polls the operation to its end; answers the final poll. */
export async function importApi(
  sim: SimFixture,
  apiId: string,
  document: string,
  path: string,
  apiVersion = "2024-05-01",
): Promise<ArmResponse> {
  const put = await sim.arm("PUT", `/apis/${apiId}`, {
    apiVersion,
    body: importBody(document, path),
  });
  const location = put.headers.get("location");
  if (!location) {
    throw new Error(`Import answered ${put.status} without Location`);
  }
  return (await pollLocation(sim, location)).final;
}

/** What {@linkcode createApiWithParents} creates. */
export interface ApiWithParents {
  apiId: string;
  productId: string;
  tagId: string;
  /** Also link the API to the product and the tag (default true). */
  link?: boolean;
}

/** Creates an API, a product and a tag (display names = ids) and, unless told otherwise, links them. */
export async function createApiWithParents(
  sim: SimFixture,
  spec: ApiWithParents,
): Promise<void> {
  const { apiId, productId, tagId } = spec;
  const calls: [string, unknown?][] = [
    [`/products/${productId}`, { properties: { displayName: productId } }],
    [`/tags/${tagId}`, { properties: { displayName: tagId } }],
  ];
  if (spec.link !== false) {
    calls.push([`/products/${productId}/apis/${apiId}`], [
      `/apis/${apiId}/tags/${tagId}`,
    ]);
  }
  await putApi(sim, apiId, {});
  for (const [path, body] of calls) {
    const res = await sim.arm("PUT", path, body === undefined ? {} : { body });
    if (res.status >= 300) {
      throw new Error(`PUT ${path} answered ${res.status}`);
    }
  }
}
