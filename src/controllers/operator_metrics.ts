// The operator's Prometheus metric families (controller-runtime names where they exist) and their hooks.
import type { ArmRequestEvent } from "../azure/arm_client.ts";
import type { Counter, Histogram, MetricsRegistry } from "../http/metrics.ts";
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
  /** Token requests to Entra ID; wired to the token source at start. */
  readonly tokenRequests: Counter;

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
    this.#driftCorrections = registry.counter(
      "apim_drift_corrections_total",
      "Out-of-band changes in API Management that were corrected, by kind.",
      ["kind"],
    );
    this.tokenRequests = registry.counter(
      "apim_azure_token_requests_total",
      "Access tokens requested from Microsoft Entra ID (refreshes included).",
    );
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
