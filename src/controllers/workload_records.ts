// Trimmed ReplicaSet and Ingress records: what the watcher caches of each (thousands of them), and their decoders.
import { z } from "zod";
import type { KubeObject } from "../kube/kube_object.ts";
import type {
  IngressView,
  ReplicaSetView,
} from "../reconcile/workload_readiness.ts";

const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

const trimmedMeta = z.object({
  name: z.string(),
  namespace: z.string().exactOptional(),
  uid: z.string().exactOptional(),
  resourceVersion: z.string().exactOptional(),
  creationTimestamp: z.string().exactOptional(),
  labels: z.record(z.string(), z.string()).exactOptional(),
  annotations: z.record(z.string(), z.string()).optional()
    .transform((a) => a?.[REVISION_ANNOTATION]),
  ownerReferences: z.array(z.object({
    uid: z.string(),
    kind: z.string().exactOptional(),
    name: z.string().exactOptional(),
    controller: z.boolean().exactOptional(),
  })).optional().transform((refs) => refs?.find((r) => r.controller)),
});

const replicaSetSchema = z.object({
  metadata: trimmedMeta,
  spec: z.object({
    replicas: z.number().int().exactOptional(),
    template: z.object({
      spec: z.object({
        containers: z.array(z.object({ image: z.string().exactOptional() }))
          .exactOptional(),
      }).exactOptional(),
    }).exactOptional(),
  }).exactOptional(),
  status: z.object({ readyReplicas: z.number().int().exactOptional() })
    .exactOptional(),
}).transform((rs) => ({
  metadata: {
    name: rs.metadata.name,
    ...(rs.metadata.namespace === undefined
      ? {}
      : { namespace: rs.metadata.namespace }),
    ...(rs.metadata.resourceVersion === undefined
      ? {}
      : { resourceVersion: rs.metadata.resourceVersion }),
    ...(rs.metadata.labels === undefined ? {} : { labels: rs.metadata.labels }),
  },
  uid: rs.metadata.uid ?? "",
  ownerUid: rs.metadata.ownerReferences?.uid,
  owner: rs.metadata.ownerReferences
    ? `${rs.metadata.ownerReferences.kind ?? "Owner"}/${
      rs.metadata.ownerReferences.name ?? rs.metadata.ownerReferences.uid
    }`
    : undefined,
  revision: rs.metadata.annotations === undefined
    ? undefined
    : Number(rs.metadata.annotations),
  creationTimestamp: rs.metadata.creationTimestamp ?? "",
  desiredReplicas: rs.spec?.replicas ?? 1,
  readyReplicas: rs.status?.readyReplicas ?? 0,
  images: (rs.spec?.template?.spec?.containers ?? []).flatMap((c) =>
    c.image ? [c.image] : []
  ),
}));

/** The cached form of a ReplicaSet: name, labels (for selectors) and the readiness facts. */
export type ReplicaSetRecord = z.output<typeof replicaSetSchema> & KubeObject;

/** Decodes a ReplicaSet from the API server straight into its trimmed record. */
export function decodeReplicaSetRecord(value: unknown): ReplicaSetRecord {
  return replicaSetSchema.parse(value);
}

/** The readiness view of a cached ReplicaSet. */
export function replicaSetView(record: ReplicaSetRecord): ReplicaSetView {
  return {
    name: record.metadata.name,
    uid: record.uid,
    ...(record.ownerUid === undefined ? {} : { ownerUid: record.ownerUid }),
    ...(record.owner === undefined ? {} : { owner: record.owner }),
    ...(record.revision === undefined || Number.isNaN(record.revision)
      ? {}
      : { revision: record.revision }),
    creationTimestamp: record.creationTimestamp,
    desiredReplicas: record.desiredReplicas,
    readyReplicas: record.readyReplicas,
    images: record.images,
  };
}

const ingressSchema = z.object({
  metadata: trimmedMeta,
  spec: z.object({
    rules: z.array(z.object({ host: z.string().exactOptional() }))
      .exactOptional(),
  }).exactOptional(),
}).transform((ing) => ({
  metadata: {
    name: ing.metadata.name,
    ...(ing.metadata.namespace === undefined
      ? {}
      : { namespace: ing.metadata.namespace }),
    ...(ing.metadata.resourceVersion === undefined
      ? {}
      : { resourceVersion: ing.metadata.resourceVersion }),
  },
  hosts: (ing.spec?.rules ?? []).flatMap((r) => r.host ? [r.host] : []),
}));

/** The cached form of an Ingress: its name and the hosts it serves. */
export type IngressRecord = z.output<typeof ingressSchema> & KubeObject;

/** Decodes an Ingress from the API server straight into its trimmed record. */
export function decodeIngressRecord(value: unknown): IngressRecord {
  return ingressSchema.parse(value);
}

/** The readiness view of a cached Ingress. */
export function ingressView(record: IngressRecord): IngressView {
  return { name: record.metadata.name, hosts: record.hosts };
}
