// What the original operator leaves in API Management: products, tags, APIs imported without a marker, links, a policy.
// Its calls as reference-original-operator.md §4 documents them, made through the simulator's ARM routes.
import type { ServiceHandle } from "../sim/apim_simulator.ts";
import type { E2eEnvironment } from "./e2e_environment.ts";

/** An API in APIM as the original imported it: the document, path, backend and subscription flag, no marker. */
export interface ImportedApi {
  apiId: string;
  path: string;
  serviceUrl: string;
  document: string;
  productIds: string[];
  tagIds: string[];
}

async function portalWrite(
  env: E2eEnvironment,
  service: ServiceHandle,
  path: string,
  body?: unknown,
): Promise<void> {
  const answer = await env.armAsPortal(service, "PUT", path, body);
  await answer.body?.cancel();
  if (answer.status >= 300) {
    throw new Error(`PUT ${path} answered ${answer.status}`);
  }
}

/**
 * Leaves in the simulated instance what the original wrote (§4): the products and tags it upserted,
 * each API imported with its document (the backend and subscription flag it PATCHed right after
 * are set in the same request here), the links, and an API policy.
 */
export async function leaveInApim(
  env: E2eEnvironment,
  service: ServiceHandle,
  content: {
    products: { id: string; displayName: string; description: string }[];
    tags: { id: string; displayName: string }[];
    apis: ImportedApi[];
    policy: { apiId: string; policyContent: string };
  },
): Promise<void> {
  const knobs = env.apim.knobs;
  const saved = {
    importDurationMs: knobs.importDurationMs,
    lockSettleMs: knobs.lockSettleMs,
  };
  // Imports finish at the next request and leave no lock behind: this is the state afterwards.
  Object.assign(knobs, { importDurationMs: 0, lockSettleMs: 0 });
  try {
    for (const p of content.products) {
      await portalWrite(env, service, `/products/${p.id}`, {
        properties: {
          displayName: p.displayName,
          description: p.description,
          subscriptionRequired: true,
          approvalRequired: false,
          subscriptionsLimit: 1000,
          state: "published",
        },
      });
    }
    for (const t of content.tags) {
      await portalWrite(env, service, `/tags/${t.id}`, {
        properties: { displayName: t.displayName },
      });
    }
    for (const api of content.apis) {
      await portalWrite(env, service, `/apis/${api.apiId}`, {
        properties: {
          format: "openapi+json",
          value: api.document,
          path: api.path,
          serviceUrl: api.serviceUrl,
          subscriptionRequired: true,
        },
      });
      for (const p of api.productIds) {
        await portalWrite(env, service, `/products/${p}/apis/${api.apiId}`);
      }
      for (const t of api.tagIds) {
        await portalWrite(env, service, `/apis/${api.apiId}/tags/${t}`);
      }
    }
    await portalWrite(
      env,
      service,
      `/apis/${content.policy.apiId}/policies/policy`,
      { properties: { format: "xml", value: content.policy.policyContent } },
    );
  } finally {
    Object.assign(knobs, saved);
  }
}
