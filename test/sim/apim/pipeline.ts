// The APIM simulator's request pipeline, from latency and ARM authentication to the handler and the log.
//
// Order: latency, authentication (401), throttling (429), api-version (400), injected faults,
// routing (404/405), RBAC (403), subscription/group/service (404), service state and locks
// (422/409), then the handler; every answer gets ARM headers and a log entry. An armed unknown
// outcome then breaks off the answer of a write the service ran (faults.ts).

import { randomUUID } from "node:crypto";
import { systemClock } from "../../../src/util/clock.ts";
import {
  ANONYMOUS_PRINCIPAL,
  type AuthVerifier,
  type Principal,
} from "../auth_result.ts";
import { ArmError, armFrontDoorError } from "./arm_error.ts";
import { actionOf, authorize } from "./authorization.ts";
import {
  type ApimRuntime,
  type ApiVersion,
  type HttpMethod,
  type RequestContext,
  type Route,
  SUPPORTED_API_VERSIONS,
} from "./context.ts";
import type { AnswerHooks, FaultInjector } from "./faults.ts";
import { emptyResponse, errorResponse, jsonResponse } from "./http.ts";
import type { RequestKind, RequestLog } from "./request_log.ts";
import { matchRoute, parseServicePath, type ServicePath } from "./router.ts";
import type { Remaining, RequestClass, Throttle } from "./throttling.ts";
import { nameKey, type ServiceState } from "./store.ts";

/** Everything the pipeline needs besides the request. */
export interface Pipeline {
  runtime: ApimRuntime;
  routes: readonly Route[];
  verify: AuthVerifier | null;
  throttle: Throttle;
  faults: FaultInjector;
  hooks: AnswerHooks;
  log: RequestLog;
}

const METHODS: readonly HttpMethod[] = [
  "GET",
  "HEAD",
  "PUT",
  "PATCH",
  "DELETE",
];

function isMethod(method: string): method is HttpMethod {
  return (METHODS as readonly string[]).includes(method);
}

function decodedPath(pathname: string): string {
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/** Request facts computed once. */
interface Incoming {
  request: Request;
  url: URL;
  path: string;
  cls: RequestClass;
  kind: RequestKind;
}

/** What the steps learned, for headers and the log. */
interface Outcome {
  remaining: Remaining | null;
  throttled: boolean;
  errorCode: string | null;
  injected: boolean;
}

function authenticate(p: Pipeline, incoming: Incoming): Principal {
  if (!p.verify) return ANONYMOUS_PRINCIPAL;
  const result = p.verify(incoming.request.headers.get("authorization"));
  if (result.ok) return result.principal;
  throw new ArmError(401, result.code, result.message, null, {
    "www-authenticate": result.wwwAuthenticate,
  });
}

function throttle(
  p: Pipeline,
  incoming: Incoming,
  principal: Principal,
  outcome: Outcome,
): void {
  const subscription =
    /^\/subscriptions\/([^/]+)/i.exec(incoming.url.pathname)?.[1] ?? "-";
  const verdict = p.throttle.take(
    subscription.toLowerCase(),
    principal.objectId,
    incoming.cls,
    p.runtime.knobs.throttle,
  );
  if (verdict.allowed) {
    outcome.remaining = verdict.remaining;
    return;
  }
  outcome.remaining = { principal: 0, global: 0 };
  outcome.throttled = true;
  const kind = incoming.cls.slice(0, -1);
  throw new ArmError(
    429,
    "SubscriptionRequestsThrottled",
    `Number of '${kind}' requests for subscription '${subscription}' actor '${principal.objectId}' exceeded. Please try again after '${verdict.retryAfterSeconds}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling`,
    null,
    { "retry-after": String(verdict.retryAfterSeconds) },
  );
}

function apiVersionOf(url: URL): ApiVersion {
  const value = url.searchParams.get("api-version");
  if (value === null || value === "") {
    throw new ArmError(
      400,
      "MissingApiVersionParameter",
      "The api-version query parameter (?api-version=) is required for all requests.",
    );
  }
  const version = SUPPORTED_API_VERSIONS.find((v) => v === value);
  if (!version) {
    throw new ArmError(
      400,
      "InvalidApiVersionParameter",
      `The api-version '${value}' is invalid. The supported versions are '${
        SUPPORTED_API_VERSIONS.join(",")
      }'.`,
    );
  }
  return version;
}

function serviceOf(p: Pipeline, address: ServicePath): ServiceState {
  const { subscriptionId, resourceGroup, serviceName } = address;
  const store = p.runtime.store;
  const service = store.find(subscriptionId, resourceGroup, serviceName);
  if (service) return service;
  if (!store.hasSubscription(subscriptionId)) {
    throw armFrontDoorError(
      404,
      "SubscriptionNotFound",
      `The subscription '${subscriptionId}' could not be found.`,
    );
  }
  if (!store.hasResourceGroup(subscriptionId, resourceGroup)) {
    throw armFrontDoorError(
      404,
      "ResourceGroupNotFound",
      `Resource group '${resourceGroup}' could not be found.`,
    );
  }
  throw armFrontDoorError(
    404,
    "ResourceNotFound",
    `The Resource 'Microsoft.ApiManagement/service/${serviceName}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

function checkServiceAccepts(
  p: Pipeline,
  incoming: Incoming,
  service: ServiceState,
  scope: string,
): void {
  if (incoming.cls === "reads") return;
  if (service.provisioningState !== "Succeeded") {
    throw new ArmError(
      422,
      "ManagementApiRequestFailed",
      `The API Management service '${service.name}' is in state '${service.provisioningState}'; management operations are not accepted until it completes.`,
    );
  }
  const lock = p.runtime.knobs.lockedScopes.find((s) =>
    nameKey(scope).startsWith(nameKey(s))
  );
  if (incoming.request.method === "DELETE" && lock !== undefined) {
    throw new ArmError(
      409,
      "ScopeLocked",
      `The scope '${scope}' cannot perform delete operation because following scope(s) are locked: '${lock}'. Please remove the lock and try again.`,
    );
  }
}

function faultCode(body: unknown): string | null {
  if (typeof body !== "object" || body === null || !("error" in body)) {
    return null;
  }
  const error = body.error;
  return typeof error === "object" && error !== null && "code" in error &&
      typeof error.code === "string"
    ? error.code
    : null;
}

function injectedFault(
  p: Pipeline,
  incoming: Incoming,
  outcome: Outcome,
): Response | null {
  const fault = p.faults.take(
    incoming.request.method,
    incoming.path,
    p.runtime.clock.now(),
  );
  if (!fault) return null;
  outcome.injected = true;
  outcome.errorCode = faultCode(fault.body);
  return fault.body === undefined
    ? emptyResponse(fault.status, fault.headers)
    : jsonResponse(fault.status, fault.body, fault.headers);
}

async function dispatch(
  p: Pipeline,
  incoming: Incoming,
  outcome: Outcome,
): Promise<Response> {
  const principal = authenticate(p, incoming);
  throttle(p, incoming, principal, outcome);
  const apiVersion = apiVersionOf(incoming.url);
  const fault = injectedFault(p, incoming, outcome);
  if (fault) return fault;
  const address = parseServicePath(incoming.url.pathname);
  const match = address && matchRoute(p.routes, address.rest);
  if (!address || !match) {
    throw new ArmError(
      404,
      "NotFound",
      `The path '${incoming.path}' does not name a resource the APIM simulator serves.`,
    );
  }
  if (match.route.since && apiVersion < match.route.since) {
    throw new ArmError(
      400,
      "NoRegisteredProviderFound",
      `No registered resource provider found for API version '${apiVersion}' and type '${match.resourceType}'. The supported api-versions are '${match.route.since}'.`,
    );
  }
  const method = incoming.request.method;
  const handler = isMethod(method) ? match.route.handlers[method] : undefined;
  if (!handler || !isMethod(method)) {
    // APIM answers an unsupported method with ASP.NET's own body, not an ARM error
    // (GET of a product-API link: aso-…20240501#89, aso-…578500a#157).
    return jsonResponse(405, {
      Message:
        `The requested resource does not support http method '${method}'.`,
    });
  }
  authorize(
    principal,
    actionOf(match.resourceType, method),
    incoming.path,
    p.runtime.knobs.deniedActions,
  );
  const service = serviceOf(p, address);
  checkServiceAccepts(p, incoming, service, incoming.path);
  p.runtime.operations.settleDue();
  const ctx: RequestContext = {
    request: incoming.request,
    url: incoming.url,
    method,
    apiVersion,
    params: match.params,
    service,
    runtime: p.runtime,
    principal,
  };
  return await handler(ctx);
}

function asyncIdOf(url: URL): string | null {
  return url.searchParams.get("asyncId") ??
    /\/operationResults\/([^/]+)$/i.exec(url.pathname)?.[1] ?? null;
}

function retryAfterOf(response: Response): number | null {
  const value = response.headers.get("retry-after");
  return value === null || !/^\d+$/.test(value) ? null : Number(value);
}

/** The answer of a write that ran, broken off mid-body so that the client never learns the outcome. */
async function lostAnswer(
  response: Response,
  delayMs: number,
): Promise<Response> {
  if (delayMs > 0) await systemClock.sleep(delayMs);
  const headers = new Headers(response.headers);
  // A promised length the body never reaches: the client sees the connection fail.
  headers.set("content-length", "65536");
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode("{"));
      controller.close();
    },
  });
  return new Response(body, { status: response.status, headers });
}

function requestClass(method: string): RequestClass {
  if (method === "GET" || method === "HEAD") return "reads";
  return method === "DELETE" ? "deletes" : "writes";
}

function kindOf(method: string, url: URL): RequestKind {
  if (
    method === "GET" &&
    (url.searchParams.has("asyncId") ||
      /\/operationResults\//i.test(url.pathname))
  ) {
    return "poll";
  }
  return method === "GET" || method === "HEAD" ? "read" : "write";
}

function withArmHeaders(
  response: Response,
  incoming: Incoming,
  outcome: Outcome,
): Response {
  const { request } = incoming;
  const headers = new Headers(response.headers);
  const requestId = randomUUID();
  headers.set("x-ms-request-id", requestId);
  headers.set("x-ms-routing-request-id", `WESTEUROPE:${requestId}`);
  headers.set(
    "x-ms-correlation-request-id",
    request.headers.get("x-ms-correlation-request-id") ?? requestId,
  );
  const clientRequestId = request.headers.get("x-ms-client-request-id");
  if (clientRequestId) headers.set("x-ms-client-request-id", clientRequestId);
  if (outcome.remaining !== null) {
    const prefix = "x-ms-ratelimit-remaining-subscription";
    headers.set(
      `${prefix}-${incoming.cls}`,
      String(outcome.remaining.principal),
    );
    headers.set(
      `${prefix}-global-${incoming.cls}`,
      String(outcome.remaining.global),
    );
  }
  // APIM's ETag header is always a quoted string (every ETag in the recordings, e.g.
  // net-ApiTests#5 `"AAAAAAAALpI="`); the `etag` inside a service body is not.
  const etag = headers.get("etag");
  if (etag !== null && !/^(W\/)?"/.test(etag)) headers.set("etag", `"${etag}"`);
  const body = request.method === "HEAD" ? null : response.body;
  return new Response(body, { status: response.status, headers });
}

/** Handles one ARM request end to end. */
export async function handleRequest(
  p: Pipeline,
  request: Request,
): Promise<Response> {
  const { knobs, clock } = p.runtime;
  const at = clock.now();
  const delay = knobs.latencyMs + Math.random() * knobs.latencyJitterMs;
  if (delay > 0) await systemClock.sleep(delay);
  const url = new URL(request.url);
  const incoming: Incoming = {
    request,
    url,
    path: decodedPath(url.pathname),
    cls: requestClass(request.method),
    kind: kindOf(request.method, url),
  };
  const outcome: Outcome = {
    remaining: null,
    throttled: false,
    errorCode: null,
    injected: false,
  };
  let response: Response;
  try {
    response = await dispatch(p, incoming, outcome);
  } catch (error) {
    const armError = error instanceof ArmError ? error : new ArmError(
      500,
      "InternalServerError",
      error instanceof Error ? error.message : String(error),
    );
    outcome.errorCode = armError.code;
    response = errorResponse(armError);
  }
  const lost = response.status < 300 && !outcome.injected
    ? p.faults.takeUnknownOutcome(request.method, incoming.path, clock.now())
    : null;
  await p.hooks.take(request.method, incoming.path)?.run();
  p.log.add({
    method: request.method,
    path: incoming.path,
    query: url.search,
    status: response.status,
    at,
    apiVersion: url.searchParams.get("api-version"),
    kind: incoming.kind,
    throttled: outcome.throttled,
    retryAfter: retryAfterOf(response),
    asyncId: asyncIdOf(url),
    errorCode: outcome.errorCode,
    injected: outcome.injected,
    answerLost: lost !== null,
    userAgent: request.headers.get("user-agent"),
  });
  const answer = withArmHeaders(response, incoming, outcome);
  return lost ? await lostAnswer(answer, lost.delayMs ?? 0) : answer;
}
