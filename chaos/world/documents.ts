// The OpenAPI documents apps serve: one per document key (`d<n>` valid, `x<n>` not OpenAPI), with digest and operations (pure).
import { createHash } from "node:crypto";

/** A document as the runner knows it. */
export interface ServedDocument {
  key: string;
  text: string;
  valid: boolean;
  /** `sha256:<hex>` of the bytes, the form the operator reports in status.documentDigest. */
  digest: string;
  /** `METHOD /template`, sorted: what API Management holds after importing it. */
  operations: string[];
}

/** The document `app` serves under document key `key`. */
export function documentFor(app: string, key: string): ServedDocument {
  const version = key.slice(1);
  const valid = key.startsWith("d");
  const paths: Record<string, Record<string, unknown>> = {
    "/items": { get: { operationId: "listItems", responses: ok() } },
    "/items/{id}": {
      get: {
        operationId: "getItem",
        parameters: [{
          name: "id",
          in: "path",
          required: true,
          schema: { type: "string" },
        }],
        responses: ok(),
      },
    },
    [`/v${version}/ping`]: {
      get: { operationId: `ping${version}`, responses: ok() },
    },
  };
  const text = valid
    ? JSON.stringify({
      openapi: "3.0.1",
      info: { title: `${app} API`, version: `1.${version}` },
      paths,
    })
    : JSON.stringify({ kind: "NotAnOpenApiDocument", app, version });
  return {
    key,
    text,
    valid,
    digest: `sha256:${createHash("sha256").update(text).digest("hex")}`,
    operations: valid
      ? Object.keys(paths).map((path) => `GET ${path}`).sort()
      : [],
  };
}

function ok() {
  return { "200": { description: "OK" } };
}
