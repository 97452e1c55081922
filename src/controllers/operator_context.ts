// What every controller receives: clients, caches, the event recorder, metrics and settings.
import type { ArmClient } from "../azure/arm_client.ts";
import type { ApimApi } from "../crd/apim_api.ts";
import type { ApimApiDeployment } from "../crd/apim_api_deployment.ts";
import type { ApimApiVersionSet } from "../crd/apim_api_version_set.ts";
import type { ApimInboundPolicy } from "../crd/apim_inbound_policy.ts";
import type { ApimProduct } from "../crd/apim_product.ts";
import type { ApimService } from "../crd/apim_service.ts";
import type { ApimTag } from "../crd/apim_tag.ts";
import type { Cache } from "../kube/cache.ts";
import type { EventRecorder } from "../kube/event_recorder.ts";
import type { ResourceApi } from "../kube/resource_api.ts";
import type { Logger } from "../log.ts";
import type { FetchDocumentOptions } from "../openapi/fetch_document.ts";
import type { Clock } from "../util/clock.ts";
import type { KeyedLock } from "../util/keyed_lock.ts";
import type { OperatorMetrics } from "./operator_metrics.ts";
import type { IngressRecord, ReplicaSetRecord } from "./workload_records.ts";

/** Typed API access to our kinds. */
export interface KindApis {
  apimServices: ResourceApi<ApimService>;
  apimApis: ResourceApi<ApimApi>;
  apimApiDeployments: ResourceApi<ApimApiDeployment>;
  apimProducts: ResourceApi<ApimProduct>;
  apimTags: ResourceApi<ApimTag>;
  apimApiVersionSets: ResourceApi<ApimApiVersionSet>;
  apimInboundPolicies: ResourceApi<ApimInboundPolicy>;
}

/** The informer caches the controllers read from. */
export interface Caches {
  apimServices: Cache<ApimService>;
  apimApis: Cache<ApimApi>;
  apimApiDeployments: Cache<ApimApiDeployment>;
  apimProducts: Cache<ApimProduct>;
  apimTags: Cache<ApimTag>;
  apimApiVersionSets: Cache<ApimApiVersionSet>;
  apimInboundPolicies: Cache<ApimInboundPolicy>;
  replicaSets: Cache<ReplicaSetRecord>;
  ingresses: Cache<IngressRecord>;
}

/** Settings controllers read (a slice of the operator's configuration). */
export interface ControllerSettings {
  /** Where APIMService references fall back to. */
  operatorNamespace: string;
  /** Period of drift checks and service refreshes (jittered). */
  resyncPeriodMs: number;
  /** Longest an import may run in API Management before it is reported stalled. */
  importBudgetMs: number;
  /** How long a write whose answer was lost may still land before it is sent again. */
  unconfirmedWriteWaitMs: number;
  /** Take over APIs, products, tags and version sets that exist without the operator's marker (migrations). */
  adoptUnmanaged: boolean;
  /** Options of OpenAPI document fetches (timeout, size cap). */
  openApi: Pick<FetchDocumentOptions, "timeoutMs" | "maxBytes" | "resolveHost">;
}

/** Everything a controller needs, built once by main. */
export interface OperatorContext {
  logger: Logger;
  clock: Clock;
  random: () => number;
  settings: ControllerSettings;
  arm: ArmClient;
  kinds: KindApis;
  caches: Caches;
  events: EventRecorder;
  metrics: OperatorMetrics;
  /** Held by any pass that writes an API (registration, deletion, drift), so two never overlap. */
  apiLocks: KeyedLock;
}
