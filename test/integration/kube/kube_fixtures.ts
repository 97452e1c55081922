// Shared helpers of the kube integration tests: clients from kubeconfigs, ConfigMap and CRD fixtures, whoami.

import { z } from "zod";
import { configMaps } from "../../../src/kube/builtin_resources.ts";
import { KubeClient } from "../../../src/kube/kube_client.ts";
import { objectMetaSchema } from "../../../src/kube/kube_object.ts";
import {
  loadConnection,
  type LoadConnectionOptions,
} from "../../../src/kube/load_connection.ts";
import type { ResourceDescriptor } from "../../../src/kube/resource.ts";
import { ResourceApi } from "../../../src/kube/resource_api.ts";
import type { ControlPlane } from "../../controlplane/control_plane.ts";
import { waitFor } from "../../support/wait.ts";

/** A KubeClient for `kubeconfig`; dispose it (`using`) to close its HTTP clients. */
export async function clientFor(
  kubeconfig: string,
  options: Omit<LoadConnectionOptions, "kubeconfig"> = {},
): Promise<KubeClient & Disposable> {
  const client = new KubeClient(
    await loadConnection({ ...options, kubeconfig }),
    options.clock ? { clock: options.clock } : {},
  ) as KubeClient & Disposable;
  client[Symbol.dispose] = () => client.close();
  return client;
}

const configMapSchema = z.looseObject({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  data: z.record(z.string(), z.string()).exactOptional(),
});

/** A ConfigMap as the tests decode it. */
export type ConfigMapObject = z.infer<typeof configMapSchema>;

/** Validates a ConfigMap from the server. */
export function decodeConfigMap(value: unknown): ConfigMapObject {
  return configMapSchema.parse(value);
}

/** The typed ConfigMap API. */
export function configMapApi(client: KubeClient): ResourceApi<ConfigMapObject> {
  return new ResourceApi(client, configMaps, decodeConfigMap);
}

/** A ConfigMap literal. */
export function configMap(
  namespace: string,
  name: string,
  data: Record<string, string> = {},
  labels?: Record<string, string>,
): ConfigMapObject {
  return {
    metadata: { name, namespace, ...(labels ? { labels } : {}) },
    data,
  };
}

const selfSubjectReviewSchema = z.object({
  status: z.object({
    userInfo: z.object({
      username: z.string(),
      groups: z.array(z.string()).optional(),
    }),
  }),
});

/** The user name the API server sees for `client` (a SelfSubjectReview). */
export async function whoAmI(client: KubeClient): Promise<string> {
  const review = await client.request({
    method: "POST",
    path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    body: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "SelfSubjectReview",
    },
  });
  return selfSubjectReviewSchema.parse(review).status.userInfo.username;
}

/** The namespaced test CRD `widgets.kube-test.example.com` (spec.size, status.phase; status subresource). */
export const widgets: ResourceDescriptor = {
  group: "kube-test.example.com",
  version: "v1",
  plural: "widgets",
  kind: "Widget",
  namespaced: true,
};

const widgetSchema = z.looseObject({
  apiVersion: z.string().exactOptional(),
  kind: z.string().exactOptional(),
  metadata: objectMetaSchema,
  spec: z.object({ size: z.number().int() }).exactOptional(),
  status: z.object({ phase: z.string().exactOptional() }).exactOptional(),
});

/** A Widget as the tests decode it. */
export type WidgetObject = z.infer<typeof widgetSchema>;

/** The typed Widget API. */
export function widgetApi(client: KubeClient): ResourceApi<WidgetObject> {
  return new ResourceApi(client, widgets, (v) => widgetSchema.parse(v));
}

/** Installs the Widget CRD (idempotent) and waits until it is served. */
export async function installWidgetCrd(plane: ControlPlane): Promise<void> {
  const name = `${widgets.plural}.${widgets.group}`;
  const crd = {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name },
    spec: {
      group: widgets.group,
      scope: "Namespaced",
      names: { plural: widgets.plural, singular: "widget", kind: widgets.kind },
      versions: [{
        name: widgets.version,
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: {
                type: "object",
                properties: { size: { type: "integer", minimum: 0 } },
              },
              status: {
                type: "object",
                properties: { phase: { type: "string" } },
              },
            },
          },
        },
      }],
    },
  };
  const created = await plane.request(
    "POST",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    { body: crd },
  );
  if (created.status !== 201 && created.status !== 409) {
    throw new Error(
      `Could not create the Widget CRD: ${JSON.stringify(created.body)}`,
    );
  }
  await waitFor(async () => {
    const list = await plane.request(
      "GET",
      `/apis/${widgets.group}/${widgets.version}/${widgets.plural}`,
    );
    return list.status === 200 ? true : undefined;
  }, { description: `CRD "${name}" to be served` });
}

/** Waits until the synchronous `probe` (local state, e.g. a cache) yields a value other than undefined/false. */
export async function until<T>(
  probe: () => T | undefined | false,
  description: string,
): Promise<T> {
  return await waitFor(() => {
    const value = probe();
    return Promise.resolve(value === false ? undefined : value);
  }, { description });
}
