// Fixtures of the secure-metrics tests: ServiceAccounts, a /metrics reader ClusterRole bound to a subject, scraping.

import { z } from "zod";
import { KubeRequestError } from "../controlplane/control_plane.ts";
import type { ControlPlane } from "../controlplane/control_plane.ts";
import { waitFor } from "./wait.ts";

/** Creates ServiceAccount `namespace/name` and returns a bound token for it. */
export async function serviceAccountWithToken(
  plane: ControlPlane,
  namespace: string,
  name: string,
): Promise<string> {
  const path = `/api/v1/namespaces/${namespace}/serviceaccounts`;
  const created = await plane.request("POST", path, {
    body: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name } },
  });
  if (created.status !== 201) throw new KubeRequestError("POST", path, created);
  return await plane.serviceAccountToken(namespace, name);
}

/** An RBAC subject: a ServiceAccount, or a group. */
export type Subject =
  | { kind: "ServiceAccount"; namespace: string; name: string }
  | { kind: "Group"; name: string };

async function create(
  plane: ControlPlane,
  path: string,
  body: unknown,
): Promise<void> {
  const response = await plane.request("POST", path, { body });
  if (response.status !== 201) {
    throw new KubeRequestError("POST", path, response);
  }
}

/**
 * Creates ClusterRole `name` allowing `get` on the non-resource URL `/metrics` and binds it to
 * `subject`; disposing deletes both (cluster-scoped objects outlive test namespaces).
 */
export async function grantMetricsReader(
  plane: ControlPlane,
  name: string,
  subject: Subject,
): Promise<AsyncDisposable> {
  const rbac = "/apis/rbac.authorization.k8s.io/v1";
  await create(plane, `${rbac}/clusterroles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRole",
    metadata: { name },
    rules: [{ nonResourceURLs: ["/metrics"], verbs: ["get"] }],
  });
  await create(plane, `${rbac}/clusterrolebindings`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "ClusterRoleBinding",
    metadata: { name },
    roleRef: {
      apiGroup: "rbac.authorization.k8s.io",
      kind: "ClusterRole",
      name,
    },
    subjects: [
      subject.kind === "Group"
        ? {
          kind: "Group",
          apiGroup: "rbac.authorization.k8s.io",
          name: subject.name,
        }
        : subject,
    ],
  });
  return {
    [Symbol.asyncDispose]: async () => {
      await plane.request("DELETE", `${rbac}/clusterrolebindings/${name}`);
      await plane.request("DELETE", `${rbac}/clusterroles/${name}`);
    },
  };
}

const reviewStatus = z.object({
  status: z.object({ allowed: z.boolean() }),
});

/** Waits until the API server's authorizer (its RBAC cache) allows `user` in `groups` to get /metrics. */
export async function waitUntilAllowed(
  plane: ControlPlane,
  user: string,
  groups: string[],
): Promise<void> {
  await waitFor(async () => {
    const review = await plane.request(
      "POST",
      "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      {
        body: {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user,
            groups,
            nonResourceAttributes: { path: "/metrics", verb: "get" },
          },
        },
      },
    );
    const allowed = reviewStatus.safeParse(review.body).data?.status.allowed;
    return allowed === true ? true : undefined;
  }, { description: `${user} to be allowed to get /metrics` });
}

/** GETs `url` with an optional bearer token; returns status and body text. */
export async function scrape(
  url: string,
  token?: string,
  client?: Deno.HttpClient,
): Promise<{ status: number; text: string }> {
  const response = await fetch(url, {
    ...(client ? { client } : {}),
    ...(token ? { headers: { authorization: `Bearer ${token}` } } : {}),
  });
  return { status: response.status, text: await response.text() };
}
