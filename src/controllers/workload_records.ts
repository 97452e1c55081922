// Trimmed ReplicaSet and Ingress records: what the watcher caches of each (thousands of them), and their decoders.
import { z } from "zod";
import type { KubeObject } from "../kube/kube_object.ts";
import type {
  IngressView,
  ReplicaSetView,
} from "../reconcile/workload_readiness.ts";

const REVISION_ANNOTATION = "deployment.kubernetes.io/revision";

/**
 * The non-empty strings, in an array allocated at its length: `flatMap` leaves room for ~40
 * elements, 150 bytes per cached object (see bench/README.md, memory).
 */
function present(values: readonly (string | undefined)[]): string[] {
  return values.filter((v): v is string => v !== undefined && v !== "").slice();
}

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

/**
 * The metadata a record keeps: name, namespace and resourceVersion (what the cache keys objects by
 * and watches resume from), and the labels when selectors need them. One object literal: built
 * from two, it would hold its properties out of line (32 bytes more per cached object).
 */
function recordMeta(
  meta: { name: string; namespace?: string; resourceVersion?: string },
  labels?: Record<string, string>,
): {
  name: string;
  namespace?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
} {
  return {
    name: meta.name,
    ...(meta.namespace === undefined ? {} : { namespace: meta.namespace }),
    ...(meta.resourceVersion === undefined
      ? {}
      : { resourceVersion: meta.resourceVersion }),
    ...(labels === undefined ? {} : { labels }),
  };
}

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
}).transform((rs) => {
  const owner = rs.metadata.ownerReferences;
  const containers = rs.spec?.template?.spec?.containers ?? [];
  return {
    metadata: recordMeta(rs.metadata, rs.metadata.labels),
    uid: rs.metadata.uid ?? "",
    ownerUid: owner?.uid,
    // Kind and name as parsed, joined only in the view: a joined string per ReplicaSet costs
    // twice its size (see bench/README.md, memory).
    ownerKind: owner?.kind,
    ownerName: owner?.name,
    revision: rs.metadata.annotations === undefined
      ? undefined
      : Number(rs.metadata.annotations),
    creationTimestamp: rs.metadata.creationTimestamp ?? "",
    desiredReplicas: rs.spec?.replicas ?? 1,
    readyReplicas: rs.status?.readyReplicas ?? 0,
    images: present(containers.map((c) => c.image)),
  };
});

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
    ...(record.ownerUid === undefined ? {} : {
      owner: `${record.ownerKind ?? "Owner"}/${
        record.ownerName ?? record.ownerUid
      }`,
    }),
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
  metadata: recordMeta(ing.metadata),
  hosts: present((ing.spec?.rules ?? []).map((r) => r.host)),
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
