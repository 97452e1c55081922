// The operator's Prometheus metric families (controller-runtime names where they exist) and their hooks.
import type { ArmRequestEvent } from "../azure/arm_request_report.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type {
  Counter,
  Gauge,
  Histogram,
  MetricsRegistry,
} from "../http/metrics.ts";
import { registerProcessMetrics } from "../http/process_metrics.ts";
import { findCondition } from "../reconcile/conditions.ts";
import type {
  ControllerMetrics,
  ReconcileResult,
} from "../kube/run_controller.ts";

const SECONDS = [
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  30,
  60,
];
const IMPORT_SECONDS = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800];
const DOCUMENT_BYTES = [1e3, 1e4, 5e4, 1e5, 5e5, 1e6, 4e6, 8e6];

/** Hooks the controllers and the ARM client report into. No object names are used as labels. */
export class OperatorMetrics implements ControllerMetrics {
  readonly #reconciles: Counter;
  readonly #reconcileErrors: Counter;
  readonly #reconcileTime: Histogram;
  readonly #depth = new Map<string, number>();
  readonly #armRequests: Counter;
  readonly #armThrottled: Counter;
  readonly #armDuration: Histogram;
  readonly #importDuration: Histogram;
  readonly #documentBytes: Histogram;
  readonly #registrations: Counter;
  readonly #driftCorrections: Counter;
  readonly #leader: Gauge;
  readonly #apis: Gauge;
  /** Token requests to Entra ID; wired to the token source at start. */
  readonly tokenRequests: Counter;
  /** Token requests that failed; wired to the token source at start. */
  readonly tokenFailures: Counter;

  constructor(registry: MetricsRegistry) {
    this.#reconciles = registry.counter(
      "controller_runtime_reconcile_total",
      "Total number of reconciliations per controller.",
      ["controller", "result"],
    );
    this.#reconcileErrors = registry.counter(
      "controller_runtime_reconcile_errors_total",
      "Total number of reconciliation errors per controller.",
      ["controller"],
    );
    this.#reconcileTime = registry.histogram(
      "controller_runtime_reconcile_time_seconds",
      "Length of time per reconciliation per controller.",
      ["controller"],
      SECONDS,
    );
    registry.gauge("workqueue_depth", "Current depth of the work queue.", [
      "name",
    ])
      .collectWith(() =>
        [...this.#depth].map(([name, depth]) => [{ name }, depth])
      );
    this.#armRequests = registry.counter(
      "apim_arm_requests_total",
      "Azure Resource Manager requests by method and HTTP status.",
      ["method", "code"],
    );
    this.#armThrottled = registry.counter(
      "apim_arm_throttled_requests_total",
      "Azure Resource Manager requests answered with 429.",
      ["method"],
    );
    this.#armDuration = registry.histogram(
      "apim_arm_request_duration_seconds",
      "Duration of Azure Resource Manager requests.",
      ["method"],
      SECONDS,
    );
    this.#importDuration = registry.histogram(
      "apim_import_duration_seconds",
      "Time from an API import request to its completion in API Management.",
      ["result"],
      IMPORT_SECONDS,
    );
    this.#documentBytes = registry.histogram(
      "apim_openapi_document_bytes",
      "Size of fetched OpenAPI documents.",
      [],
      DOCUMENT_BYTES,
    );
    this.#registrations = registry.counter(
      "apim_registrations_total",
      "API registrations by result.",
      ["result"],
    );
    // Both results from the start, so that the first failure is an increase (alerts use increase()).
    this.#registrations.inc({ result: "succeeded" }, 0);
    this.#registrations.inc({ result: "failed" }, 0);
    this.#driftCorrections = registry.counter(
      "apim_drift_corrections_total",
      "Out-of-band changes in API Management that were corrected, by kind.",
      ["kind"],
    );
    this.tokenRequests = registry.counter(
      "apim_azure_token_requests_total",
      "Access tokens requested from Microsoft Entra ID (refreshes included).",
    );
    this.tokenFailures = registry.counter(
      "apim_azure_token_request_failures_total",
      "Access token requests to Microsoft Entra ID that failed (refreshes included).",
    );
    this.#leader = registry.gauge(
      "leader_election_master_status",
      "1 while this replica leads (holds the Lease), 0 otherwise (client-go's name).",
      ["name"],
    );
    this.#apis = registry.gauge(
      "apim_apis",
      "APIMAPI objects in the watched namespaces by state (ready, progressing, stalled).",
      ["state"],
    );
    registerProcessMetrics(registry);
  }

  /** Reports leadership of the Lease `name` at scrape time (without leader election: always true). */
  reportLeadership(name: string, isLeader: () => boolean): void {
    this.#leader.collectWith(() => [[{ name }, isLeader() ? 1 : 0]]);
  }

  /** Counts the APIMAPIs that `list` returns (the cache) by state, at scrape time. */
  countApis(list: () => Iterable<ApimApi>): void {
    this.#apis.collectWith(() => {
      const counts = { ready: 0, progressing: 0, stalled: 0 };
      for (const api of list()) counts[apiState(api)]++;
      return Object.entries(counts).map(([state, n]) => [{ state }, n]);
    });
  }

  observeReconcile(
    controller: string,
    result: ReconcileResult,
    durationMs: number,
  ): void {
    this.#reconciles.inc({ controller, result });
    if (result === "error" || result === "terminal") {
      this.#reconcileErrors.inc({ controller });
    }
    this.#reconcileTime.observe({ controller }, durationMs / 1000);
  }

  setQueueDepth(controller: string, depth: number): void {
    this.#depth.set(controller, depth);
  }

  /** The ARM client's per-attempt hook. */
  observeArmRequest(event: ArmRequestEvent): void {
    this.#armRequests.inc({ method: event.method, code: String(event.status) });
    if (event.throttled) this.#armThrottled.inc({ method: event.method });
    this.#armDuration.observe(
      { method: event.method },
      event.durationMs / 1000,
    );
  }

  /** A finished import (from request to terminal state). */
  observeImport(result: "succeeded" | "failed", durationMs: number): void {
    this.#importDuration.observe({ result }, durationMs / 1000);
  }

  /** A fetched document's size. */
  observeDocument(sizeBytes: number): void {
    this.#documentBytes.observe({}, sizeBytes);
  }

  /** A registration that ended. */
  countRegistration(result: "succeeded" | "failed"): void {
    this.#registrations.inc({ result });
  }

  /** A drift that was corrected. */
  countDriftCorrection(kind: string): void {
    this.#driftCorrections.inc({ kind });
  }
}

/** An APIMAPI's state from its kstatus conditions: Stalled wins, then Ready, else progressing. */
export function apiState(api: ApimApi): "ready" | "progressing" | "stalled" {
  const conditions = api.status?.conditions;
  if (findCondition(conditions, "Stalled")?.status === "True") return "stalled";
  return findCondition(conditions, "Ready")?.status === "True"
    ? "ready"
    : "progressing";
}
