// Entity id rules (APIM's `^[^*#&+:<>?]+$` and lengths) and the `{apiId};rev={n}` revision addressing.

import { invalidField } from "./arm_error.ts";

const ID_PATTERN = /^[^*#&+:<>?]+$/;

/** Validates an id path parameter: 1..`maxLength` characters matching `^[^*#&+:<>?]+$`. */
export function validateId(
  target: string,
  value: string,
  maxLength: number,
): void {
  if (value.length < 1 || value.length > maxLength) {
    throw invalidField(
      target,
      `The field ${target} must be a string with a minimum length of '1' and a maximum length of '${maxLength}'.`,
    );
  }
  if (!ID_PATTERN.test(value)) {
    throw invalidField(
      target,
      `The field ${target} must match the regular expression '^[^*#&+:<>?]+$'. Value: '${value}'.`,
    );
  }
}

/** An API as addressed in a URL: `echo-api` (current revision) or `echo-api;rev=3`. */
export interface ApiAddress {
  /** API id without the revision suffix. */
  root: string;
  /** Revision number when addressed with `;rev=n`. */
  revision: string | null;
  /** The id exactly as addressed (after percent-decoding). */
  addressed: string;
}

const REVISION_SUFFIX = /^(.*);rev=(\d+)$/i;

/** Parses and validates an `ApiIdRevParameter` (`{id}` or `{id};rev={n}`, raw or `%3Brev%3D`-encoded). */
export function parseApiAddress(apiId: string): ApiAddress {
  validateId("apiId", apiId, 256);
  const m = REVISION_SUFFIX.exec(apiId);
  if (!m) return { root: apiId, revision: null, addressed: apiId };
  const root = m[1] ?? "";
  const revision = String(Number(m[2]));
  validateId("apiId", root, 256);
  if (revision === "0") {
    throw invalidField("apiId", `Revision '0' of API '${root}' is not valid.`);
  }
  return { root, revision, addressed: apiId };
}

/** `{root};rev={n}`. */
export function revisionName(root: string, revision: string): string {
  return `${root};rev=${revision}`;
}

/** URL path segment of an API: the percent-encoded id plus a raw `;rev=n` when given. */
export function apiPathSegment(
  address: { root: string; revision: string | null },
): string {
  const root = encodeURIComponent(address.root);
  return address.revision === null ? root : `${root};rev=${address.revision}`;
}

/** The API id inside an ARM id `.../apis/{id}` (with or without `;rev=`), or null. */
export function apiIdFromResourceId(resourceId: string): string | null {
  const m = /\/apis\/([^/]+)\/?$/i.exec(resourceId);
  if (!m?.[1]) return null;
  try {
    return decodeURIComponent(m[1]);
  } catch {
    return null;
  }
}
