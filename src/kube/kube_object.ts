// The generic object shape (metadata + anything), its decoder, and the namespace/name key.

import { z } from "zod";
import type { ObjectMeta } from "kubernetes-types/meta/v1.d.ts";

/** Any Kubernetes object: built-in types from `kubernetes-types` and our CRDs both fit. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** Validates an object from the network and returns it typed (e.g. a zod schema's `parse`). */
export type Decoder<T> = (value: unknown) => T;

const stringMap = z.record(z.string(), z.string());

/**
 * `metadata` of any object. Known fields are type-checked; unknown ones (managedFields, ...)
 * are kept, so a decoded object can be written back without losing data.
 */
export const objectMetaSchema = z.looseObject({
  name: z.string().exactOptional(),
  generateName: z.string().exactOptional(),
  namespace: z.string().exactOptional(),
  uid: z.string().exactOptional(),
  resourceVersion: z.string().exactOptional(),
  generation: z.number().int().exactOptional(),
  creationTimestamp: z.string().exactOptional(),
  deletionTimestamp: z.string().exactOptional(),
  labels: stringMap.exactOptional(),
  annotations: stringMap.exactOptional(),
  finalizers: z.array(z.string()).exactOptional(),
  ownerReferences: z.array(z.looseObject({
    apiVersion: z.string(),
    kind: z.string(),
    name: z.string(),
    uid: z.string(),
    controller: z.boolean().exactOptional(),
    blockOwnerDeletion: z.boolean().exactOptional(),
  })).exactOptional(),
});

/** An object with checked metadata and every other field kept as is. */
export const kubeObjectSchema = z.looseObject({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema.exactOptional(),
});

/** A generic object: checked metadata plus arbitrary other fields. */
export type GenericObject = z.infer<typeof kubeObjectSchema>;

/** Decoder for {@linkcode GenericObject}; use a specific schema where fields matter. */
export function decodeGenericObject(value: unknown): GenericObject {
  return kubeObjectSchema.parse(value);
}

/** The cache and work-queue key: `namespace/name`, or `name` for cluster-scoped objects. */
export function objectKey(object: KubeObject): string {
  const name = object.metadata?.name ?? "";
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** Splits an {@linkcode objectKey} back into namespace (undefined when cluster-scoped) and name. */
export function parseObjectKey(
  key: string,
): { namespace: string | undefined; name: string } {
  const slash = key.indexOf("/");
  if (slash < 0) return { namespace: undefined, name: key };
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
