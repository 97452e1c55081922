// The API an APIMAPI asks for, as API Management will hold it, with its desired-state hash and owner marker.
import type { ApimApiSpec } from "../crd/apim_api.ts";
import { hashOf } from "./hash.ts";

/** A protocol the gateway accepts. */
export type ApiProtocol = NonNullable<ApimApiSpec["protocols"]>[number];

/** The APIM import format of a document (mirrors what the document parser reports). */
export type ImportFormat = "openapi+json" | "openapi" | "swagger-json";

/** The fetched document as far as the desired state is concerned. */
export interface DocumentFacts {
  digest: string;
  format: ImportFormat;
  /** `info.title`: the display name an import gives the API unless `displayName` is set. */
  title: string;
  /** `info.description`: the description an import gives the API. */
  description?: string | undefined;
}

/** Everything the import PUT sends except the document text itself. */
export interface DesiredApi {
  apiId: string;
  /** API URL suffix without the leading slash, as API Management stores it. */
  path: string;
  serviceUrl: string;
  subscriptionRequired: boolean;
  displayName?: string;
  protocols?: ApiProtocol[];
  format: ImportFormat;
  /** ARM id of the version set the API is a version of. */
  apiVersionSetId?: string;
  /** The version inside that set. */
  apiVersion?: string;
  /** The display name API Management ends up with: `displayName`, else the document's title. */
  shownName: string;
  /** The description API Management ends up with (the document's). */
  description?: string;
  /** `sha256:<hex>` of the fetched document's bytes. */
  digest: string;
  /** Hash of everything above plus the document digest. */
  hash: string;
  /**
   * Hash of what only an import changes: the document, its format, the API's identity, name,
   * protocols and version. Path, serviceUrl and subscriptionRequired are left out: a PATCH sets them.
   */
  importHash: string;
  /** Text stored in the API's `apiRevisionDescription`: owner and hash, read back to skip no-op imports. */
  marker: string;
}

/** Identity of the APIMAPI that owns an API in API Management. */
export interface OwnerRef {
  namespace: string;
  name: string;
}

const MARKER_PREFIX = "Managed by azure-apim-operator";
const MARKER_LIMIT = 256;

/** `routePrefix` as an APIM path: no leading or trailing slash. */
export function apimPath(routePrefix: string): string {
  return routePrefix.replace(/^\/+/, "").replace(/\/+$/, "");
}

function ownerToken(owner: OwnerRef): string {
  const plain = `${owner.namespace}/${owner.name}`;
  // Keep the marker within APIM's 256-character limit for long names.
  return plain.length <= 120 ? plain : `sha256:${hashOf(plain).slice(0, 32)}`;
}

/** What an owner marker on an API says. */
export interface OwnerMarker {
  owner: string;
  hash: string;
  /** The import hash, on markers written since PATCH-only changes were told apart. */
  doc?: string;
  adopted: boolean;
}

/**
 * The marker text for an owner and a desired hash; `doc` is the import hash (what a PATCH cannot
 * change), `adopted` marks an API the operator took over.
 */
export function ownerMarker(
  owner: OwnerRef,
  hash: string,
  options: { adopted?: boolean; doc?: string } = {},
): string {
  const doc = options.doc ? `; doc=${options.doc.slice(0, 16)}` : "";
  const adopted = options.adopted ? "; adopted" : "";
  return `${MARKER_PREFIX}; owner=${ownerToken(owner)}; hash=${
    hash.slice(0, 32)
  }${doc}${adopted}`.slice(0, MARKER_LIMIT);
}

/** What a marker found on an API says, or undefined when the API carries no marker of ours. */
export function parseOwnerMarker(
  text: string | undefined,
): OwnerMarker | undefined {
  const match = text?.match(
    /^Managed by azure-apim-operator; owner=([^;]+); hash=([0-9a-f]+)(?:; doc=([0-9a-f]+))?(; adopted)?$/,
  );
  if (!match) return undefined;
  return {
    owner: match[1] ?? "",
    hash: match[2] ?? "",
    ...(match[3] === undefined ? {} : { doc: match[3] }),
    adopted: match[4] !== undefined,
  };
}

/** Whether a parsed marker names `owner`. */
export function markerOwnedBy(
  marker: { owner: string },
  owner: OwnerRef,
): boolean {
  return marker.owner === ownerToken(owner);
}

/** Whether a parsed marker carries `hash`. */
export function markerHasHash(marker: { hash: string }, hash: string): boolean {
  return marker.hash === hash.slice(0, 32);
}

/** Whether a parsed marker says the API holds the import with `importHash`. */
export function markerHasImport(
  marker: { doc?: string },
  importHash: string,
): boolean {
  return marker.doc === importHash.slice(0, 16);
}

/**
 * The desired API for an APIMAPI spec and its fetched document; `apiVersionSetId` is the ARM id of
 * the version set `spec.versionSet` names. Unset version fields leave the hash of an unversioned
 * API as it was.
 */
export function desiredApi(
  spec: ApimApiSpec,
  document: DocumentFacts,
  owner: OwnerRef,
  apiVersionSetId?: string,
): DesiredApi {
  const protocols = spec.protocols ? [...spec.protocols].sort() : undefined;
  const apiVersion = apiVersionSetId === undefined
    ? undefined
    : spec.apiVersion;
  const hashed = {
    apiId: spec.APIID,
    path: apimPath(spec.routePrefix),
    serviceUrl: spec.serviceUrl,
    subscriptionRequired: spec.subscriptionRequired,
    displayName: spec.displayName,
    protocols,
    format: document.format,
    digest: document.digest,
    apiVersionSetId,
    apiVersion,
  };
  const hash = hashOf(hashed);
  const {
    path: _path,
    serviceUrl: _url,
    subscriptionRequired: _sub,
    ...imported
  } = hashed;
  const importHash = hashOf(imported);
  return {
    apiId: hashed.apiId,
    path: hashed.path,
    serviceUrl: hashed.serviceUrl,
    subscriptionRequired: hashed.subscriptionRequired,
    ...(spec.displayName === undefined
      ? {}
      : { displayName: spec.displayName }),
    ...(protocols === undefined ? {} : { protocols }),
    format: document.format,
    ...(apiVersionSetId === undefined ? {} : { apiVersionSetId }),
    ...(apiVersion === undefined ? {} : { apiVersion }),
    shownName: spec.displayName ?? document.title,
    ...(document.description === undefined
      ? {}
      : { description: document.description }),
    digest: document.digest,
    hash,
    importHash,
    marker: ownerMarker(owner, hash, { doc: importHash }),
  };
}
