// JSON value types and helpers shared by the APIM simulator modules.

/** Any JSON value. */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | JsonObject;

/** A JSON object. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** Whether `value` is a JSON object (not an array, not null). */
export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Drops `undefined` members so optional fields do not appear in responses. */
export function compact(
  fields: Record<string, JsonValue | undefined>,
): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(fields)) {
    if (v !== undefined) out[k] = v;
  }
  return out;
}

/** JSON text with object keys sorted, to compare values structurally. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v: unknown) =>
      isJsonObject(v)
        ? Object.fromEntries(
          Object.keys(v).sort().map((k) => [k, v[k]]),
        )
        : v,
  );
}
