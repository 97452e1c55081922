// AccessReviewer against the API server: TokenReview for bearer tokens, SubjectAccessReview for non-resource URLs.

import { z } from "zod";
import type { KubeClient } from "../kube/kube_client.ts";
import type {
  AccessReviewer,
  AuthenticationResult,
  AuthorizationResult,
  NonResourceAttributes,
  UserInfo,
} from "./access_review.ts";

const tokenReviewSchema = z.object({
  status: z.object({
    authenticated: z.boolean().optional(),
    user: z.object({
      username: z.string().optional(),
      uid: z.string().optional(),
      groups: z.array(z.string()).nullish(),
      extra: z.record(z.string(), z.array(z.string()).nullable()).nullish(),
    }).optional(),
    error: z.string().optional(),
  }).optional(),
});

const subjectAccessReviewSchema = z.object({
  status: z.object({
    allowed: z.boolean(),
    denied: z.boolean().optional(),
    reason: z.string().optional(),
    evaluationError: z.string().optional(),
  }),
});

/**
 * Reviews through the API server like controller-runtime's secure metrics filter: POSTs a
 * `TokenReview` (authentication.k8s.io/v1) and a `SubjectAccessReview` (authorization.k8s.io/v1).
 * The client's identity needs `create` on both. API and decoding errors are thrown.
 */
export class KubeAccessReviewer implements AccessReviewer {
  readonly #client: KubeClient;

  constructor(client: KubeClient) {
    this.#client = client;
  }

  async authenticate(
    token: string,
    signal?: AbortSignal,
  ): Promise<AuthenticationResult> {
    const response = await this.#client.request({
      method: "POST",
      path: "/apis/authentication.k8s.io/v1/tokenreviews",
      body: {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenReview",
        spec: { token },
      },
      signal,
    });
    const status = tokenReviewSchema.parse(response).status;
    const user = status?.user;
    if (!status?.authenticated || user?.username === undefined) {
      return {
        authenticated: false,
        ...(status?.error ? { reason: status.error } : {}),
      };
    }
    const extra: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(user.extra ?? {})) {
      extra[key] = values ?? [];
    }
    return {
      authenticated: true,
      user: {
        username: user.username,
        ...(user.uid ? { uid: user.uid } : {}),
        groups: user.groups ?? [],
        extra,
      },
    };
  }

  async authorize(
    user: UserInfo,
    attributes: NonResourceAttributes,
    signal?: AbortSignal,
  ): Promise<AuthorizationResult> {
    const response = await this.#client.request({
      method: "POST",
      path: "/apis/authorization.k8s.io/v1/subjectaccessreviews",
      body: {
        apiVersion: "authorization.k8s.io/v1",
        kind: "SubjectAccessReview",
        spec: {
          user: user.username,
          ...(user.uid ? { uid: user.uid } : {}),
          groups: user.groups,
          extra: user.extra,
          nonResourceAttributes: {
            path: attributes.path,
            verb: attributes.verb,
          },
        },
      },
      signal,
    });
    const status = subjectAccessReviewSchema.parse(response).status;
    const allowed = status.allowed && status.denied !== true;
    const reason = status.reason || status.evaluationError;
    return { allowed, ...(reason ? { reason } : {}) };
  }
}
