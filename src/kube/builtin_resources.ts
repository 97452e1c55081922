// Descriptors of the built-in resources the operator and its tests use.

import type { ResourceDescriptor } from "./resource.ts";

/** core/v1 Namespace. */
export const namespaces: ResourceDescriptor = {
  group: "",
  version: "v1",
  plural: "namespaces",
  kind: "Namespace",
  namespaced: false,
};

/** core/v1 ConfigMap. */
export const configMaps: ResourceDescriptor = {
  group: "",
  version: "v1",
  plural: "configmaps",
  kind: "ConfigMap",
  namespaced: true,
};

/** core/v1 Pod. */
export const pods: ResourceDescriptor = {
  group: "",
  version: "v1",
  plural: "pods",
  kind: "Pod",
  namespaced: true,
};

/** apps/v1 ReplicaSet. */
export const replicaSets: ResourceDescriptor = {
  group: "apps",
  version: "v1",
  plural: "replicasets",
  kind: "ReplicaSet",
  namespaced: true,
};

/** networking.k8s.io/v1 Ingress. */
export const ingresses: ResourceDescriptor = {
  group: "networking.k8s.io",
  version: "v1",
  plural: "ingresses",
  kind: "Ingress",
  namespaced: true,
};

/** coordination.k8s.io/v1 Lease (leader election). */
export const leases: ResourceDescriptor = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};

/** events.k8s.io/v1 Event. */
export const events: ResourceDescriptor = {
  group: "events.k8s.io",
  version: "v1",
  plural: "events",
  kind: "Event",
  namespaced: true,
};

/** apiextensions.k8s.io/v1 CustomResourceDefinition. */
export const customResourceDefinitions: ResourceDescriptor = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
};
