// Manifests of the objects the scenarios create (realistically sized ReplicaSets and Pods) and raw writes.
import type { KubeClient } from "../../src/kube/kube_client.ts";
import { KubeApiError } from "../../src/kube/kube_errors.ts";
import { RESOURCE_GROUP, SUBSCRIPTION_ID } from "./simulators.ts";

/** The default rule: an APIMAPI targets the ReplicaSets labelled with its name. */
export const NAME_LABEL = "app.kubernetes.io/name";

const MERGE_PATCH = "application/merge-patch+json";

/** API paths of the kinds the benchmark writes. */
export const paths = {
  namespaces: "/api/v1/namespaces",
  replicaSets: (ns: string) => `/apis/apps/v1/namespaces/${ns}/replicasets`,
  replicaSet: (ns: string, name: string) =>
    `/apis/apps/v1/namespaces/${ns}/replicasets/${name}`,
  pods: (ns: string) => `/api/v1/namespaces/${ns}/pods`,
  apimApis: (ns: string) =>
    `/apis/apim.operator.io/v1/namespaces/${ns}/apimapis`,
  apimApi: (ns: string, name: string) =>
    `/apis/apim.operator.io/v1/namespaces/${ns}/apimapis/${name}`,
  apimServices: (ns: string) =>
    `/apis/apim.operator.io/v1/namespaces/${ns}/apimservices`,
};

/** A workload: the fake Deployment its ReplicaSets belong to. */
export interface App {
  namespace: string;
  name: string;
  /** UID of the (never created) Deployment owning the ReplicaSets. */
  deploymentUid: string;
}

/** A new app identity in `namespace`. */
export function app(namespace: string, name: string): App {
  return { namespace, name, deploymentUid: crypto.randomUUID() };
}

function hashOf(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  }
  return (h >>> 0).toString(36).padStart(7, "0").slice(0, 10);
}

/** Name of revision `revision` of an app's ReplicaSet (`<app>-<template hash>`). */
export function replicaSetName(a: App, revision: number): string {
  return `${a.name}-${hashOf(`${a.deploymentUid}/${revision}`)}`;
}

function podSpec(a: App, revision: number) {
  return {
    serviceAccountName: "default",
    containers: [{
      name: "api",
      image: `registry.example.com/team/${a.name}:1.${revision}.0`,
      ports: [{ name: "http", containerPort: 8080, protocol: "TCP" }],
      env: [
        { name: "ASPNETCORE_URLS", value: "http://+:8080" },
        { name: "LOG_LEVEL", value: "Information" },
        { name: "OTEL_SERVICE_NAME", value: a.name },
        {
          name: "OTEL_EXPORTER_OTLP_ENDPOINT",
          value: "http://otel-collector.observability:4317",
        },
        {
          name: "POD_NAME",
          valueFrom: { fieldRef: { fieldPath: "metadata.name" } },
        },
        {
          name: "POD_NAMESPACE",
          valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } },
        },
      ],
      resources: {
        requests: { cpu: "100m", memory: "128Mi" },
        limits: { cpu: "500m", memory: "512Mi" },
      },
      readinessProbe: {
        httpGet: { path: "/health/ready", port: "http" },
        periodSeconds: 10,
      },
      livenessProbe: {
        httpGet: { path: "/health/live", port: "http" },
        periodSeconds: 20,
      },
      volumeMounts: [{ name: "config", mountPath: "/app/config" }],
    }],
    volumes: [{ name: "config", configMap: { name: `${a.name}-config` } }],
  };
}

function labelsOf(a: App, revision: number): Record<string, string> {
  return {
    [NAME_LABEL]: a.name,
    "app.kubernetes.io/instance": a.name,
    "app.kubernetes.io/part-of": "benchmark",
    "app.kubernetes.io/version": `1.${revision}.0`,
    "pod-template-hash": hashOf(`${a.deploymentUid}/${revision}`),
  };
}

/** A ReplicaSet of revision `revision` as the Deployment controller writes it (~2.5 KB of JSON). */
export function replicaSetManifest(
  a: App,
  revision: number,
  replicas: number,
): object {
  const labels = labelsOf(a, revision);
  return {
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name: replicaSetName(a, revision),
      namespace: a.namespace,
      labels,
      annotations: {
        "deployment.kubernetes.io/revision": String(revision),
        "deployment.kubernetes.io/desired-replicas": String(replicas),
        "deployment.kubernetes.io/max-replicas": String(replicas + 1),
      },
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "Deployment",
        name: a.name,
        uid: a.deploymentUid,
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: {
      replicas,
      selector: {
        matchLabels: {
          [NAME_LABEL]: a.name,
          "pod-template-hash": labels["pod-template-hash"],
        },
      },
      template: {
        metadata: {
          labels,
          annotations: { "prometheus.io/scrape": "true" },
        },
        spec: podSpec(a, revision),
      },
    },
  };
}

/** A Pod of a ReplicaSet (created directly: there is no controller-manager). */
export function podManifest(a: App, revision: number, index: number): object {
  const rs = replicaSetName(a, revision);
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: `${rs}-${hashOf(`${rs}/${index}`).slice(0, 5)}`,
      namespace: a.namespace,
      labels: labelsOf(a, revision),
      ownerReferences: [{
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        name: rs,
        uid: crypto.randomUUID(),
        controller: true,
        blockOwnerDeletion: true,
      }],
    },
    spec: podSpec(a, revision),
  };
}

/** An APIMService naming the simulator's instance. */
export function apimServiceManifest(
  namespace: string,
  name: string,
  azureName: string,
): object {
  return {
    apiVersion: "apim.operator.io/v1",
    kind: "APIMService",
    metadata: { name, namespace },
    spec: {
      name: azureName,
      resourceGroup: RESOURCE_GROUP,
      subscription: SUBSCRIPTION_ID,
    },
  };
}

/** An APIMAPI for app `name` (the default target rule matches its ReplicaSets). */
export function apimApiManifest(
  namespace: string,
  name: string,
  spec: {
    apimService: string;
    serviceUrl: string;
    openApiDefinitionUrl: string;
    productIds?: string[];
    tagIds?: string[];
  },
): object {
  return {
    apiVersion: "apim.operator.io/v1",
    kind: "APIMAPI",
    metadata: { name, namespace },
    spec: {
      APIID: name,
      routePrefix: `/${name}`,
      productIds: [],
      tagIds: [],
      ...spec,
    },
  };
}

/** Raw writes with a shared client; bodies are not decoded (bulk speed). */
export class Writer {
  constructor(readonly kube: KubeClient) {}

  /** POSTs `body` to `path`; an existing object is fine when `allowExisting`. */
  async create(
    path: string,
    body: object,
    allowExisting = false,
  ): Promise<void> {
    try {
      await this.kube.request({ method: "POST", path, body });
    } catch (error) {
      if (
        allowExisting && error instanceof KubeApiError &&
        error.isAlreadyExists()
      ) return;
      throw error;
    }
  }

  /** Creates a namespace (an existing one is fine). */
  async namespace(name: string): Promise<void> {
    await this.create(paths.namespaces, {
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name, labels: { "bench.apim.operator.io/run": "true" } },
    }, true);
  }

  /** Merge-patches an object (or its status). */
  async mergePatch(path: string, body: object): Promise<void> {
    await this.kube.request({
      method: "PATCH",
      path,
      body,
      contentType: MERGE_PATCH,
    });
  }

  /** Creates revision `revision` of an app's ReplicaSet and sets `ready` of `replicas` ready. */
  async replicaSet(
    a: App,
    revision: number,
    replicas: number,
    ready: number,
  ): Promise<string> {
    await this.create(
      paths.replicaSets(a.namespace),
      replicaSetManifest(a, revision, replicas),
    );
    const name = replicaSetName(a, revision);
    await this.setReady(a.namespace, name, replicas, ready);
    return name;
  }

  /** Sets a ReplicaSet's status as its controller would for `ready` ready pods. */
  async setReady(
    namespace: string,
    name: string,
    replicas: number,
    ready: number,
  ): Promise<void> {
    await this.mergePatch(`${paths.replicaSet(namespace, name)}/status`, {
      status: {
        replicas,
        fullyLabeledReplicas: replicas,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: 1,
      },
    });
  }

  /** Deletes an object; a missing one is fine. */
  async delete(path: string): Promise<void> {
    try {
      await this.kube.request({ method: "DELETE", path });
    } catch (error) {
      if (error instanceof KubeApiError && error.isNotFound()) return;
      throw error;
    }
  }

  /** How many objects a collection holds (one list request with limit=1). */
  async count(path: string): Promise<number> {
    const list = await this.kube.request({
      method: "GET",
      path,
      query: { limit: 1 },
    }) as {
      items?: unknown[];
      metadata?: { remainingItemCount?: number };
    };
    return (list.items?.length ?? 0) +
      (list.metadata?.remainingItemCount ?? 0);
  }
}
