// Takes a snapshot of a schedule's world: the simulated instance, the API server's objects, the logs and the ledger.
import type { GenericObject } from "../../src/kube/kube_object.ts";
import type { ApiSnapshot } from "../../test/sim/apim_simulator.ts";
import type { Ledger } from "../execute/ledger.ts";
import { SERVICE_REF } from "../execute/context.ts";
import type { ScheduleWorld } from "../world/world.ts";
import type {
  ApimApiView,
  ApiObject,
  ConditionView,
  EntityObject,
  EventView,
  KubeView,
  Snapshot,
} from "./snapshot.ts";

type Fields = Record<string, unknown>;

function fields(value: unknown): Fields {
  return typeof value === "object" && value !== null ? value as Fields : {};
}

function text(value: unknown, fallback = ""): string {
  return typeof value === "string" ? value : fallback;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => String(v)) : [];
}

function conditionsOf(object: GenericObject): ConditionView[] {
  const list = fields(object["status"])["conditions"];
  return (Array.isArray(list) ? list : []).map((c) => {
    const f = fields(c);
    const generation = f["observedGeneration"];
    return {
      type: text(f["type"]),
      status: text(f["status"]),
      reason: text(f["reason"]),
      message: text(f["message"]),
      observedGeneration: typeof generation === "number" ? generation : null,
    };
  });
}

function apiObject(object: GenericObject): ApiObject {
  const spec = fields(object["spec"]);
  const revisions = fields(spec["revisions"]);
  const status = fields(object["status"]);
  const optional = (v: unknown) => typeof v === "string" ? v : null;
  return {
    name: object.metadata?.name ?? "",
    uid: object.metadata?.uid ?? "",
    generation: object.metadata?.generation ?? 0,
    deleting: object.metadata?.deletionTimestamp !== undefined,
    spec: {
      apiId: text(spec["APIID"]),
      serviceUrl: text(spec["serviceUrl"]),
      routePrefix: text(spec["routePrefix"]),
      productIds: strings(spec["productIds"]),
      tagIds: strings(spec["tagIds"]),
      subscriptionRequired: spec["subscriptionRequired"] !== false,
      revisionMode: text(revisions["mode"], "InPlace"),
      keep: typeof revisions["keep"] === "number" ? revisions["keep"] : 3,
      deletionPolicy: text(spec["deletionPolicy"], "Delete"),
    },
    conditions: conditionsOf(object),
    documentDigest: optional(status["documentDigest"]),
    currentRevision: optional(status["currentRevision"]),
  };
}

function entityObject(
  kind: EntityObject["kind"],
  object: GenericObject,
): EntityObject {
  const spec = fields(object["spec"]);
  const id = kind === "APIMProduct"
    ? text(spec["productID"], text(spec["productId"]))
    : text(spec["tagID"], text(spec["tagId"]));
  return {
    kind,
    name: object.metadata?.name ?? "",
    uid: object.metadata?.uid ?? "",
    id,
    displayName: text(spec["displayName"]),
    deleting: object.metadata?.deletionTimestamp !== undefined,
    generation: object.metadata?.generation ?? 0,
    conditions: conditionsOf(object),
  };
}

function apimApi(api: ApiSnapshot): ApimApiView {
  return {
    name: api.name,
    currentRevision: api.currentRevision,
    revisions: api.revisions.map((r) => ({
      revision: r.revision,
      isCurrent: r.isCurrent,
      serviceUrl: r.properties.serviceUrl ?? null,
      path: r.properties.path,
      subscriptionRequired: r.properties.subscriptionRequired,
      operations: r.operations.map((o) => `${o.method} ${o.urlTemplate}`)
        .sort(),
      description: r.properties.apiRevisionDescription ?? null,
    })),
    productIds: api.productIds,
    tagIds: api.tagIds,
  };
}

async function events(world: ScheduleWorld): Promise<EventView[]> {
  const list = fields(
    await world.cluster.kube.request({
      method: "GET",
      path: `/apis/events.k8s.io/v1/namespaces/${world.namespace}/events`,
    }),
  )["items"];
  return (Array.isArray(list) ? list : []).map((item) => {
    const e = fields(item);
    const regarding = fields(e["regarding"]);
    return {
      kind: text(regarding["kind"]),
      name: text(regarding["name"]),
      type: text(e["type"]),
      reason: text(e["reason"]),
    };
  });
}

async function kubeView(world: ScheduleWorld): Promise<KubeView> {
  const namespace = world.namespace;
  const [apis, products, tags, services] = await Promise.all([
    world.apis.apimApis.list({ namespace }),
    world.apis.apimProducts.list({ namespace }),
    world.apis.apimTags.list({ namespace }),
    world.apis.apimServices.list({ namespace: world.operatorNamespace }),
  ]);
  const all = [
    ...apis.items,
    ...products.items,
    ...tags.items,
    ...services.items,
  ];
  return {
    apis: apis.items.map(apiObject),
    products: products.items.map((o) => entityObject("APIMProduct", o)),
    tags: tags.items.map((o) => entityObject("APIMTag", o)),
    uids: all.map((o) => o.metadata?.uid ?? ""),
    serviceExists: services.items.some((s) =>
      s.metadata?.name === SERVICE_REF && !s.metadata.deletionTimestamp
    ),
    events: await events(world),
  };
}

/** The snapshot the invariants judge. */
export async function collectSnapshot(
  world: ScheduleWorld,
  ledger: Ledger,
): Promise<Snapshot> {
  // Completes the imports whose time is up before the instance is read.
  const operations = world.apim.operationHistory();
  const service = world.service;
  const kube = await kubeView(world);
  return {
    takenAt: Date.now(),
    apim: {
      apis: service.apis().map(apimApi),
      products: service.products().map((p) => ({
        id: p.name,
        displayName: p.displayName,
      })),
      tags: service.tags().map((t) => ({
        id: t.name,
        displayName: t.displayName,
      })),
    },
    requests: [...world.apim.requests],
    operations,
    kube,
    documents: world.config.apps.flatMap((app) => {
      const served = world.documents.served(app.name);
      return served
        ? [{
          app: app.name,
          key: served.key,
          valid: served.valid,
          digest: served.digest,
          operations: served.operations,
        }]
        : [];
    }),
    marks: [...ledger.marks],
    deletions: [...ledger.deletions],
    serviceAbsent: ledger.serviceAbsent.map((gap) => ({ ...gap })),
    incidents: world.fleet.incidents(),
  };
}
