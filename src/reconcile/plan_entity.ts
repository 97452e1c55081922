// Desired properties of products, tags and version sets, whether API Management's copy needs a write, and their deletion.
import type {
  ProductProperties,
  TagProperties,
  VersionSetProperties,
} from "../azure/apim_schemas.ts";
import type { ApimApiVersionSetSpec } from "../crd/apim_api_version_set.ts";
import type { ApimProductSpec } from "../crd/apim_product.ts";
import type { ApimTagSpec } from "../crd/apim_tag.ts";
import type { ApimInstance, DeletionPolicy } from "../crd/meta.ts";
import { canonicalJson, type Hashable } from "./hash.ts";
import { effectivePolicy, type Release } from "./plan_deletion.ts";

/** The product API Management should hold for a spec (unset optional fields are left to APIM). */
export function productProperties(spec: ApimProductSpec): ProductProperties {
  return {
    displayName: spec.displayName,
    subscriptionRequired: spec.subscriptionRequired,
    state: spec.published ? "published" : "notPublished",
    ...(spec.description === undefined
      ? {}
      : { description: spec.description }),
    ...(spec.terms === undefined ? {} : { terms: spec.terms }),
    ...(spec.approvalRequired === undefined
      ? {}
      : { approvalRequired: spec.approvalRequired }),
    ...(spec.subscriptionsLimit === undefined
      ? {}
      : { subscriptionsLimit: spec.subscriptionsLimit }),
  };
}

/** The tag API Management should hold for a spec. */
export function tagProperties(spec: ApimTagSpec): TagProperties {
  return { displayName: spec.displayName };
}

/** The version set API Management should hold for a spec (the name of the unused scheme stays unset). */
export function versionSetProperties(
  spec: ApimApiVersionSetSpec,
): VersionSetProperties {
  return {
    displayName: spec.displayName,
    versioningScheme: spec.versioningScheme,
    ...(spec.description === undefined
      ? {}
      : { description: spec.description }),
    ...(spec.versioningScheme === "Header" && spec.versionHeaderName
      ? { versionHeaderName: spec.versionHeaderName }
      : {}),
    ...(spec.versioningScheme === "Query" && spec.versionQueryName
      ? { versionQueryName: spec.versionQueryName }
      : {}),
  };
}

/**
 * Fields of `desired` whose value in `observed` differs (absent counts as different), so that a
 * write happens only when API Management's copy drifted from the spec.
 */
export function differingFields(
  desired: Readonly<Record<string, unknown>>,
  observed: Readonly<Record<string, unknown>> | undefined,
): string[] {
  return Object.keys(desired).filter((field) =>
    canonicalJson((observed?.[field] ?? null) as Hashable) !==
      canonicalJson(desired[field] as Hashable)
  );
}

/** What the operator knows of an entity it manages for a CR (product or tag). */
export interface EntityOwnershipFacts {
  /** The entity exists in API Management. */
  exists: boolean;
  /** The status says the operator created it, adopted it, or (older versions) wrote it successfully. */
  created: boolean;
  adopted: boolean;
  /**
   * The APIMService names another instance than the one status records: what was created or
   * adopted there says nothing about an entity of the same id here.
   */
  instanceChanged: boolean;
  /** The CR asks to take over an entity that exists without an owner (annotation or operator flag). */
  adoptionAllowed: boolean;
}

/**
 * How a CR relates to its entity: `create` (record that the operator creates it, then PUT),
 * `manage` (the operator's own or already adopted), `adopt` (record the takeover, then manage),
 * or `refuse` (it exists and was not created by the operator: adopting needs to be asked for). In
 * another instance than the recorded one, nothing is the operator's until it creates or adopts it.
 */
export function decideEntityOwnership(
  facts: EntityOwnershipFacts,
): "create" | "manage" | "adopt" | "refuse" {
  const owned = !facts.instanceChanged && (facts.created || facts.adopted);
  if (!facts.exists) return owned ? "manage" : "create";
  if (owned) return "manage";
  return facts.adoptionAllowed ? "adopt" : "refuse";
}

/** What the deletion of a product, tag or version set CR knows. */
export interface EntityRemovalFacts {
  /** "Product", "Tag" or "Version set", for messages. */
  noun: string;
  id: string;
  /** `spec.deletionPolicy` as written (undefined when the user did not set one). */
  policy: DeletionPolicy | undefined;
  adopted: boolean;
  /** The CR created or adopted the entity (status says so); a refused CR never managed it. */
  managed: boolean;
  /** `spec.apimService`, for messages. */
  apimService: string;
  /**
   * Where the entity is: the instance recorded in status before it was written there, else (objects
   * from before) the one its APIMService names; undefined when neither is known.
   */
  instance: ApimInstance | undefined;
  /** An older live CR manages the same entity in that instance. */
  claimedByOlder: boolean;
}

/** Let the CR go with an Event, or delete the entity from `instance` first. */
export type EntityRemoval =
  | { action: "release"; release: Release }
  | { action: "delete"; instance: ApimInstance };

function letGo(
  type: Release["type"],
  reason: string,
  note: string,
): EntityRemoval {
  return { action: "release", release: { type, reason, note } };
}

/**
 * Decides what the deletion of an entity CR does: retained (explicitly, or adopted without an
 * explicit Delete), never managed by it (refused: it exists without an owner and was not adopted),
 * nowhere known to delete it from, left to an older owner, or deleted from the
 * instance it was written to — which the recorded instance knows after its APIMService is gone
 * (a namespace teardown deletes them all at once).
 */
export function decideEntityRemoval(f: EntityRemovalFacts): EntityRemoval {
  const noun = f.noun.toLowerCase();
  if (effectivePolicy(f.policy, f.adopted) === "Retain") {
    return letGo(
      "Normal",
      "Retained",
      f.adopted && f.policy === undefined
        ? `Left ${noun} "${f.id}" in API Management: it was adopted, and deletionPolicy is not set to Delete`
        : `Left ${noun} "${f.id}" in API Management`,
    );
  }
  if (!f.managed) {
    return letGo(
      "Normal",
      "NotManaged",
      `Left ${noun} "${f.id}" in API Management: this resource never created or adopted it`,
    );
  }
  if (!f.instance) {
    return letGo(
      "Warning",
      "APIMServiceNotFound",
      `APIMService "${f.apimService}" is gone; released the finalizer without deleting ${noun} "${f.id}"`,
    );
  }
  if (f.claimedByOlder) {
    return letGo(
      "Warning",
      "NotOwned",
      `Left ${noun} "${f.id}" to its older owner`,
    );
  }
  return { action: "delete", instance: f.instance };
}
