// APIM (ARM) simulator: the Microsoft.ApiManagement REST API (2024-05-01, 2022-08-01) over loopback HTTPS.
//
// Stateful and faithful to reference-azure-apim-and-entra.md §C, with knobs for tests, demos and benchmarks.

import { type Clock, systemClock } from "../../src/util/clock.ts";
import type { TestTls } from "../support/test_tls.ts";
import type { AuthVerifier } from "./auth_result.ts";
import { allRoutes } from "./apim/routes.ts";
import { addDefaultContent } from "./apim/default_content.ts";
import type { HttpMethod } from "./apim/context.ts";
import { matchRoute, parseServicePath } from "./apim/router.ts";
import { ArmError, type ErrorDetail } from "./apim/arm_error.ts";
import { fetchLinkWithTimeout } from "./apim/api_import.ts";
import type { ApimRuntime, LinkFetcher } from "./apim/context.ts";
import { EtagSource } from "./apim/etag.ts";
import {
  type AnswerHook,
  AnswerHooks,
  FaultInjector,
  type FaultSpec,
  type UnknownOutcomeSpec,
} from "./apim/faults.ts";
import { type ApimKnobs, defaultKnobs } from "./apim/knobs.ts";
import {
  LongRunningOperations,
  type OperationRecord,
} from "./apim/long_running.ts";
import { handleRequest, type Pipeline } from "./apim/pipeline.ts";
import {
  type RequestFilter,
  RequestLog,
  type RequestLogEntry,
} from "./apim/request_log.ts";
import { newServiceState, type ServiceSpec } from "./apim/service.ts";
import { ServiceHandle } from "./apim/service_handle.ts";
import { ApimStore } from "./apim/store.ts";
import { type RequestClass, Throttle } from "./apim/throttling.ts";
import { type HttpsServer, serveHttps } from "./https_server.ts";

export type { ApimKnobs } from "./apim/knobs.ts";
export type {
  AnswerHook,
  FaultSpec,
  UnknownOutcomeSpec,
} from "./apim/faults.ts";
export type { OperationRecord } from "./apim/long_running.ts";
export type {
  RequestFilter,
  RequestKind,
  RequestLogEntry,
} from "./apim/request_log.ts";
export type { ServiceSpec } from "./apim/service.ts";
export type { ErrorDetail } from "./apim/arm_error.ts";
export type {
  ApiSnapshot,
  ProductSnapshot,
  ReleaseSnapshot,
  RevisionSnapshot,
  ServiceHandle,
  TagSnapshot,
} from "./apim/service_handle.ts";
export type { BucketConfig, ThrottleConfig } from "./apim/throttling.ts";

/** Options of {@linkcode startApimSimulator} and {@linkcode createApimSimulator}. */
export interface ApimSimulatorOptions {
  /** Checks the bearer token of every request (e.g. `entra.verifyAccessToken`); none when omitted. */
  verify?: AuthVerifier;
  /** Clock for LRO timing, throttling, read-after-write lag and dates (default: system clock). */
  clock?: Clock;
  /** Initial knob values (see {@linkcode ApimKnobs}); change them later on `simulator.knobs`. */
  knobs?: Partial<ApimKnobs>;
  /** Downloads `*-link` import documents (default: fetch with a 10 s timeout). */
  fetchLink?: LinkFetcher;
  /** Services to create up front. */
  services?: ServiceSpec[];
  /** Request log size (default 100 000 entries). */
  requestLogLimit?: number;
}

/** Where {@linkcode startApimSimulator} listens. */
export interface ApimServerOptions {
  /** Server certificate and CA (see test/support/test_tls.ts). */
  tls: TestTls;
  /** Fixed port (default: a free one). */
  port?: number;
}

/** An import failure to inject: the error the next import ends with while polling. */
export interface InjectedImportFailure {
  /** Default 400. */
  status?: number;
  code: string;
  message: string;
  details?: ErrorDetail[] | null;
}

/** A simulated ARM endpoint holding APIM services. */
export class ApimSimulator {
  /** Behaviour knobs; mutate at any time. */
  readonly knobs: ApimKnobs;
  /** Base URL (`https://127.0.0.1:PORT`, or the one given to {@linkcode createApimSimulator}). */
  readonly url: string;
  readonly #runtime: ApimRuntime;
  readonly #pipeline: Pipeline;
  readonly #server: HttpsServer | null;

  /** Use {@linkcode startApimSimulator} or {@linkcode createApimSimulator}. */
  constructor(
    options: ApimSimulatorOptions,
    url: string,
    server: HttpsServer | null,
  ) {
    const clock = options.clock ?? systemClock;
    this.url = url;
    this.knobs = { ...defaultKnobs(), ...options.knobs };
    this.#server = server;
    this.#runtime = {
      store: new ApimStore(),
      knobs: this.knobs,
      clock,
      etags: new EtagSource(),
      operations: new LongRunningOperations(clock),
      baseUrl: url,
      fetchLink: options.fetchLink ?? fetchLinkWithTimeout,
      importFailures: [],
      deleteFailures: [],
    };
    this.#pipeline = {
      runtime: this.#runtime,
      routes: allRoutes,
      verify: options.verify ?? null,
      throttle: new Throttle(clock),
      faults: new FaultInjector(),
      hooks: new AnswerHooks(),
      log: new RequestLog(options.requestLogLimit ?? 100_000),
    };
    for (const spec of options.services ?? []) this.addService(spec);
  }

  /** Handles one request without a socket (`(request) => Promise<Response>`). */
  readonly handle = (request: Request): Promise<Response> =>
    handleRequest(this.#pipeline, request);

  /** Adds (or replaces) a service and returns its handle. */
  addService(spec: ServiceSpec): ServiceHandle {
    const service = newServiceState(
      spec,
      this.#runtime.etags.next(),
      this.#runtime.clock.now(),
    );
    this.#runtime.store.add(service);
    if (spec.defaultContent) addDefaultContent(this.#runtime, service);
    return new ServiceHandle(service, this.#runtime);
  }

  /** Removes a service (as when its resource group is deleted); false when there was none. */
  removeService(
    ref: { subscriptionId: string; resourceGroup: string; name: string },
  ): boolean {
    return this.#runtime.store.remove(
      ref.subscriptionId,
      ref.resourceGroup,
      ref.name,
    );
  }

  /** The methods the simulator serves at a (percent-encoded) path; null when it simulates no such resource. */
  methodsAt(pathname: string): HttpMethod[] | null {
    const address = parseServicePath(pathname);
    const match = address && matchRoute(allRoutes, address.rest);
    if (!match) return null;
    const methods: HttpMethod[] = ["GET", "HEAD", "PUT", "PATCH", "DELETE"];
    return methods.filter((m) => match.route.handlers[m] !== undefined);
  }

  /** The handle of an existing service. */
  service(
    ref: { subscriptionId: string; resourceGroup: string; name: string },
  ): ServiceHandle {
    const service = this.#runtime.store.find(
      ref.subscriptionId,
      ref.resourceGroup,
      ref.name,
    );
    if (!service) {
      throw new Error(`No service "${ref.name}" in "${ref.resourceGroup}"`);
    }
    return new ServiceHandle(service, this.#runtime);
  }

  /** Every answered request, oldest first. */
  get requests(): readonly RequestLogEntry[] {
    return this.#pipeline.log.entries;
  }

  /** Requests matching `filter`. */
  selectRequests(filter: RequestFilter = {}): RequestLogEntry[] {
    return this.#pipeline.log.select(filter);
  }

  /** Number of requests matching `filter`. */
  countRequests(filter: RequestFilter = {}): number {
    return this.selectRequests(filter).length;
  }

  /** Number of writes (PUT/PATCH/DELETE), optionally only those matching `filter`. */
  writes(filter: Omit<RequestFilter, "kind"> = {}): number {
    return this.countRequests({ ...filter, kind: "write" });
  }

  /** Number of reads that are not polls (GET/HEAD). */
  reads(filter: Omit<RequestFilter, "kind"> = {}): number {
    return this.countRequests({ ...filter, kind: "read" });
  }

  /** Number of polls of Location / Azure-AsyncOperation URLs. */
  polls(filter: Omit<RequestFilter, "kind"> = {}): number {
    return this.countRequests({ ...filter, kind: "poll" });
  }

  /** Forgets the request log. */
  clearRequests(): void {
    this.#pipeline.log.clear();
  }

  /**
   * The next import (one per call) fails while polling with `failure`; by default the real
   * "All template parameters used in the UriTemplate must be defined..." ValidationError.
   */
  failNextImport(failure?: InjectedImportFailure): void {
    const error = failure ? injectedError(failure) : new ArmError(
      400,
      "ValidationError",
      "One or more fields contain incorrect values:",
      [{
        code: "ValidationError",
        target: "",
        message:
          "All template parameters used in the UriTemplate must be defined in the Operation 'OperationName', and vice-versa.",
      }],
    );
    this.#runtime.importFailures.push(error);
  }

  /**
   * The next asynchronous API delete (knob `asyncDelete`, one per call) fails while polling with
   * `failure`, and the API stays. ARM's LRO contract: a failed operation's Location answers the
   * error (reference A.11).
   */
  failNextDelete(failure: InjectedImportFailure): void {
    this.#runtime.deleteFailures.push(injectedError(failure));
  }

  /** Answers the next request(s) matching method + path pattern with a canned status/body. */
  injectFault(spec: FaultSpec): void {
    this.#pipeline.faults.add(spec);
  }

  /** Runs the next matching write(s) but breaks off the answer, so the client never learns the outcome. */
  injectUnknownOutcome(spec: UnknownOutcomeSpec): void {
    this.#pipeline.faults.addUnknownOutcome(spec);
  }

  /** Disarms injected faults, unknown outcomes and pending import/delete failures. */
  clearFaults(): void {
    this.#pipeline.faults.clear();
    this.#runtime.importFailures.length = 0;
    this.#runtime.deleteFailures.length = 0;
  }

  /** Every request of `cls` from any caller answers 429 for `seconds` (Retry-After counts down). */
  throttleStorm(cls: RequestClass, seconds: number): void {
    this.#pipeline.throttle.storm(cls, seconds);
  }

  /** The long-running operations so far (imports, deletes, writes), with due ones completed first. */
  operationHistory(): OperationRecord[] {
    this.#runtime.operations.settleDue();
    return this.#runtime.operations.history();
  }

  /**
   * Runs `hook.run` once, for the next request matching method + path pattern, after the request
   * took effect and before it is answered: a change elsewhere that lands "during" the request.
   */
  beforeAnswer(hook: AnswerHook): void {
    this.#pipeline.hooks.add(hook);
  }

  /** The `n`th write from now gets 429 with `Retry-After: retryAfterSeconds` (and writes stay blocked until then). */
  throttleNthWrite(n: number, retryAfterSeconds = 1): void {
    this.#pipeline.throttle.failNthWrite(n, retryAfterSeconds);
  }

  /** Refills the throttling buckets and clears throttling faults. */
  resetThrottling(): void {
    this.#pipeline.throttle.reset();
  }

  /** Stops the HTTPS server (no-op without one). */
  async stop(): Promise<void> {
    await this.#server?.shutdown();
  }
}

function injectedError(failure: InjectedImportFailure): ArmError {
  return new ArmError(
    failure.status ?? 400,
    failure.code,
    failure.message,
    failure.details ?? null,
  );
}

/** A simulator without a socket: call `simulator.handle(request)` (`url` is used in Location/nextLink). */
export function createApimSimulator(
  options: ApimSimulatorOptions = {},
  url = "https://apim-simulator.invalid",
): ApimSimulator {
  return new ApimSimulator(options, url, null);
}

/** Starts the APIM simulator on 127.0.0.1 over HTTPS (`port` 0 picks a free port). */
export function startApimSimulator(
  options: ApimSimulatorOptions & ApimServerOptions,
): Promise<ApimSimulator> {
  const holder: { simulator?: ApimSimulator } = {};
  const server = serveHttps(
    options.tls,
    (request) =>
      holder.simulator
        ? holder.simulator.handle(request)
        : Promise.resolve(new Response(null, { status: 503 })),
    options.port,
  );
  holder.simulator = new ApimSimulator(options, server.url, server);
  return Promise.resolve(holder.simulator);
}
