// What every APIM handler receives: the request, its route parameters, the service, and the simulator runtime.

import type { Clock } from "../../../src/util/clock.ts";
import type { Principal } from "../auth_result.ts";
import type { ArmError } from "./arm_error.ts";
import type { EtagSource } from "./etag.ts";
import type { ApimKnobs } from "./knobs.ts";
import type { LongRunningOperations } from "./long_running.ts";
import type { ApimStore, ServiceState } from "./store.ts";

/** api-versions the simulator speaks. */
export type ApiVersion = "2024-05-01" | "2022-08-01";

/** Supported api-versions, newest first. */
export const SUPPORTED_API_VERSIONS: readonly ApiVersion[] = [
  "2024-05-01",
  "2022-08-01",
];

/** Methods the routes implement. */
export type HttpMethod = "GET" | "HEAD" | "PUT" | "PATCH" | "DELETE";

/** Downloads the document of a `*-link` import; rejects when it cannot. */
export type LinkFetcher = (url: string) => Promise<string>;

/** Simulator-wide state and services shared by all handlers. */
export interface ApimRuntime {
  readonly store: ApimStore;
  readonly knobs: ApimKnobs;
  readonly clock: Clock;
  readonly etags: EtagSource;
  readonly operations: LongRunningOperations;
  /** Base URL of the simulator (for Location, nextLink). */
  readonly baseUrl: string;
  readonly fetchLink: LinkFetcher;
  /** Failures the next imports end with (one each, in order). */
  readonly importFailures: ArmError[];
  /** Errors the next asynchronous API deletes end with (one each), leaving the API in place. */
  readonly deleteFailures: ArmError[];
}

/** One request on its way through a handler. */
export interface RequestContext {
  readonly request: Request;
  readonly url: URL;
  readonly method: HttpMethod;
  readonly apiVersion: ApiVersion;
  /** Decoded path parameters by name (`apiId`, `productId`, ...). */
  readonly params: Readonly<Record<string, string>>;
  readonly service: ServiceState;
  readonly runtime: ApimRuntime;
  readonly principal: Principal;
}

/** Produces the response for one route and method. */
export type Handler = (ctx: RequestContext) => Response | Promise<Response>;

/** A resource path under the service (`:name` segments are parameters) and its methods. */
export interface Route {
  pattern: readonly string[];
  handlers: Partial<Record<HttpMethod, Handler>>;
  /** The route exists only from this api-version on (e.g. apiLinks in 2024-05-01). */
  since?: ApiVersion;
}

/** A path parameter the route pattern guarantees. */
export function param(ctx: RequestContext, name: string): string {
  const value = ctx.params[name];
  if (value === undefined) throw new Error(`Route has no parameter "${name}"`);
  return value;
}

/** Current clock time as an ISO string (for created/updated dates). */
export function nowIso(ctx: RequestContext): string {
  return new Date(ctx.runtime.clock.now()).toISOString();
}
