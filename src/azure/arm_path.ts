// ARM request paths built from typed segments: every id is exactly one percent-encoded segment.

import { InvalidArmRequestError } from "./arm_error.ts";

const REVISION_SUFFIX = /^(.+);rev=(\d+)$/s;

/**
 * Percent-encodes one path segment. `/`, `?`, `#`, `%` and everything else outside the
 * unreserved set are escaped, so a value can never leave its segment; the literal `;rev=n`
 * suffix of an APIM revision id is kept raw (`;` and `=` cannot change the target).
 *
 * @throws {InvalidArmRequestError} for an empty segment, `.` or `..`
 */
export function encodeSegment(value: string): string {
  if (value === "" || value === "." || value === "..") {
    throw new InvalidArmRequestError(
      `Invalid path segment "${value}": must not be empty, "." or ".."`,
    );
  }
  const revision = REVISION_SUFFIX.exec(value);
  if (revision?.[1] && revision[2]) {
    return `${encodeSegment(revision[1])};rev=${revision[2]}`;
  }
  return encodeURIComponent(value);
}

function fill(
  prefix: string,
  literals: TemplateStringsArray,
  ids: readonly string[],
): string {
  let path = prefix + (literals[0] ?? "");
  ids.forEach((id, i) => {
    const after = literals[i + 1] ?? "";
    if (!path.endsWith("/") || (after !== "" && !after.startsWith("/"))) {
      throw new TypeError(
        `Invalid ARM path template: id ${i} must fill a whole segment`,
      );
    }
    path += encodeSegment(id) + after;
  });
  if (!path.startsWith("/")) {
    throw new TypeError(`Invalid ARM path template: "${path}" is not absolute`);
  }
  return path;
}

/**
 * A percent-encoded ARM path (`/subscriptions/...`). Made only by the {@linkcode armPath} and
 * {@linkcode ArmPath.append} templates: literal parts are written in code, each interpolated
 * value is an id that fills exactly one whole segment and is percent-encoded.
 */
export class ArmPath {
  readonly #value: string;

  private constructor(value: string) {
    this.#value = value;
  }

  /** The empty path: every path is appended to it (see {@linkcode armPath}). */
  static readonly root: ArmPath = new ArmPath("");

  /** A child path: ``parent.append`/apis/${apiId}` ``. */
  append(literals: TemplateStringsArray, ...ids: string[]): ArmPath {
    return new ArmPath(fill(this.#value, literals, ids));
  }

  /** The encoded path. */
  toString(): string {
    return this.#value;
  }
}

/**
 * Tagged template for a root ARM path.
 *
 * @example
 * ```ts
 * armPath`/subscriptions/${sub}/resourceGroups/${rg}`;
 * ```
 */
export function armPath(
  literals: TemplateStringsArray,
  ...ids: string[]
): ArmPath {
  return ArmPath.root.append(literals, ...ids);
}

/** The subscription id a path is under, lower-cased (the key of ARM's request budgets). */
export function subscriptionOf(path: string): string | undefined {
  const [, first, id] = path.split("/");
  return first?.toLowerCase() === "subscriptions" && id
    ? id.toLowerCase()
    : undefined;
}

/**
 * The top-level ARM resource a path belongs to, lower-cased
 * (`/subscriptions/{s}/resourcegroups/{rg}/providers/{ns}/{type}/{name}`), or undefined for
 * paths above that level. For APIM this is the service id: the key of the write limit.
 */
export function topLevelResourceId(path: string): string | undefined {
  const segments = path.split("/").slice(1, 9);
  if (
    segments.length < 8 || segments[0]?.toLowerCase() !== "subscriptions" ||
    segments[2]?.toLowerCase() !== "resourcegroups" ||
    segments[4]?.toLowerCase() !== "providers"
  ) {
    return undefined;
  }
  return "/" + segments.join("/").toLowerCase();
}
