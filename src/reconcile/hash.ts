// Stable hashing of plain JSON values (canonical key order), used for desired-state hashes.
import { createHash } from "node:crypto";

/** JSON values that can be hashed. */
export type Hashable =
  | string
  | number
  | boolean
  | null
  | undefined
  | readonly Hashable[]
  | { readonly [key: string]: Hashable };

/** JSON text with object keys sorted and `undefined` members dropped. */
export function canonicalJson(value: Hashable): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) {
    return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  }
  const record = value as { readonly [key: string]: Hashable };
  const entries = Object.keys(record).sort()
    .filter((k) => record[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(record[k])}`);
  return `{${entries.join(",")}}`;
}

/** Hex SHA-256 of the canonical JSON of `value`. */
export function hashOf(value: Hashable): string {
  return createHash("sha256").update(canonicalJson(value)).digest("hex");
}
