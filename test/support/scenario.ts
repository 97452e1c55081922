// The usual e2e world in one call: namespaces, a simulated instance and its APIMService, a document server, the operator.
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import { DocumentServer, fixtureDocument } from "./document_server.ts";
import {
  type E2eEnvironment,
  isReady,
  type OperatorRunOptions,
} from "./e2e_environment.ts";
import { apimApiManifest, apimServiceManifest } from "./manifests.ts";
import type { OperatorProcess } from "./operator_process.ts";
import { deployReadyWorkload } from "./workload.ts";

/** What {@linkcode startScenario} set up; dispose it (the document server) at the end. */
export interface Scenario extends AsyncDisposable {
  env: E2eEnvironment;
  /** Namespace of the APIMAPIs and workloads. */
  ns: string;
  /** Namespace of the operator (and of the APIMService `apim`, unless it is in the application's). */
  opNs: string;
  service: ServiceHandle;
  /** Serves `petstore.json` until told otherwise. */
  app: DocumentServer;
  /** Options to start (another) operator for this scenario. */
  operatorOptions: OperatorRunOptions;
  operator?: OperatorProcess;
}

/** Options of {@linkcode startScenario}. */
export interface ScenarioOptions {
  /** Extra operator flags. */
  extraArgs?: string[];
  /** Do not start the operator (the test starts it). */
  noOperator?: boolean;
  /** Print the operator's log lines as they come. */
  echo?: boolean;
  /** Put the APIMService `apim` in the application's namespace (default: the operator's). */
  serviceInAppNamespace?: boolean;
}

/** Creates namespaces `<prefix>` and `<prefix>-op`, instance `apim-<prefix>`, APIMService `apim`, and starts the operator. */
export async function startScenario(
  env: E2eEnvironment,
  prefix: string,
  options: ScenarioOptions = {},
): Promise<Scenario> {
  const ns = await env.namespace(prefix);
  const opNs = await env.namespace(`${prefix}-op`);
  const service = env.addService(`apim-${prefix}`);
  const app = new DocumentServer({
    kind: "document",
    body: await fixtureDocument("petstore.json"),
    contentType: "application/json",
  });
  await env.apply([
    apimServiceManifest(
      options.serviceInAppNamespace ? ns : opNs,
      "apim",
      `apim-${prefix}`,
    ),
  ]);
  const operatorOptions: OperatorRunOptions = {
    watchNamespaces: [ns, opNs],
    operatorNamespace: opNs,
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  };
  const operator = options.noOperator ? undefined : env.operator({
    ...operatorOptions,
    // E2E_ECHO=1 prints the operator's log while a test runs, for debugging one test.
    echo: options.echo ?? Deno.env.get("E2E_ECHO") === "1",
  });
  return {
    env,
    ns,
    opNs,
    service,
    app,
    operatorOptions,
    ...(operator ? { operator } : {}),
    [Symbol.asyncDispose]: () => app[Symbol.asyncDispose](),
  };
}

/** The APIMAPI spec a scenario's API `name` gets unless overridden. */
export function apiSpec(
  s: Scenario,
  name: string,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    APIID: name,
    serviceUrl: s.app.url,
    routePrefix: `/${name}`,
    openApiDefinitionUrl: "/openapi.json",
    apimService: "apim",
    ...spec,
  };
}

/** Applies an APIMAPI named like its workload and makes the workload ready. */
export async function applyWithWorkload(
  s: Scenario,
  name: string,
  spec: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): Promise<void> {
  await s.env.apply([
    apimApiManifest(s.ns, name, apiSpec(s, name, spec), metadata),
  ]);
  await deployReadyWorkload(s.env, s.ns, name, {
    "app.kubernetes.io/name": name,
  });
}

/** Applies an APIMAPI named like its workload, makes the workload ready and waits for Ready. */
export async function registerApi(
  s: Scenario,
  name: string,
  spec: Record<string, unknown> = {},
  metadata: Record<string, unknown> = {},
): Promise<void> {
  await applyWithWorkload(s, name, spec, metadata);
  await s.env.waitForObject(
    s.env.apis.apimApis,
    s.ns,
    name,
    isReady,
    `APIMAPI ${name} Ready`,
  );
}

/** The APIMAPI's `status` as a record (empty when it has none). */
export function statusOf(
  object: { [key: string]: unknown } | undefined,
): Record<string, unknown> {
  return (object?.["status"] ?? {}) as Record<string, unknown>;
}

/** Import PUTs the simulator answered for API `apiId` (any answer, or only the accepted ones). */
export function importPuts(
  env: E2eEnvironment,
  apiId: string,
  accepted = false,
): number {
  return env.apim.selectRequests({
    method: "PUT",
    path: new RegExp(`/service/[^/]+/apis/${apiId}(;rev=\\d+)?$`),
  }).filter((r) => !accepted || r.status < 300).length;
}
