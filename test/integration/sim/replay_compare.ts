// Compares the simulator's answer with a recorded APIM answer: status, LRO and ETag headers, rate-limit names, body shape.

/** One way the simulator's answer differs from the recording. */
export interface Difference {
  /** What differs: `status`, a header name, `rate-limit names`, or `body <path>` (`[]` for array items). */
  aspect: string;
  /** `missing`, `unexpected`, `type`, `value`, `items`, `quoting`, `query` or `shape`. */
  kind: string;
  detail: string;
}

/** An answer as compared: status, headers, and the parsed JSON body ("" when empty). */
export interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
}

const RATE_LIMIT_PREFIX = "x-ms-ratelimit-remaining-";

/**
 * Fields whose value (not only type) follows from the request and is compared exactly: the
 * `id`, `name` and `type` of an ARM resource (an object with `properties`), and any `apiId`.
 */
const RESOURCE_FIELDS = new Set(["id", "name", "type"]);

function comparesValue(key: string, holder: Record<string, unknown>): boolean {
  return key === "apiId" ||
    (RESOURCE_FIELDS.has(key) && "properties" in holder);
}

function kind(value: unknown): string {
  if (value === null) return "null";
  return Array.isArray(value) ? "array" : typeof value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return kind(value) === "object";
}

function presence(
  name: string,
  recorded: string | null,
  actual: string | null,
): Difference[] {
  if ((recorded === null) === (actual === null)) return [];
  return [{
    aspect: name,
    kind: recorded === null ? "unexpected" : "missing",
    detail: recorded === null
      ? `recorded none, simulator sent "${actual}"`
      : `recorded "${recorded}", simulator sent none`,
  }];
}

function compareEtag(recorded: string | null, actual: string | null) {
  const differences = presence("ETag", recorded, actual);
  const quoted = (v: string) => /^(W\/)?".*"$/.test(v);
  if (
    recorded !== null && actual !== null && quoted(recorded) !== quoted(actual)
  ) {
    differences.push({
      aspect: "ETag",
      kind: "quoting",
      detail: `recorded ${recorded}, simulator ${actual}`,
    });
  }
  return differences;
}

/** The path of a URL with its long-running-operation id replaced, decoded, without host. */
function urlShape(url: string): { path: string; query: Set<string> } {
  const parsed = new URL(url, "https://host.invalid");
  const path = decodeURIComponent(parsed.pathname)
    .replace(/\/operationResults\/[^/]+$/i, "/operationResults/{id}");
  return { path, query: new Set(parsed.searchParams.keys()) };
}

function compareOperationUrl(
  name: string,
  recorded: string | null,
  actual: string | null,
): Difference[] {
  const differences = presence(name, recorded, actual);
  if (recorded === null || actual === null) return differences;
  const want = urlShape(recorded);
  const got = urlShape(actual);
  if (want.path.toLowerCase() !== got.path.toLowerCase()) {
    differences.push({
      aspect: name,
      kind: "value",
      detail: `recorded path ${want.path}, simulator ${got.path}`,
    });
  }
  const missing = [...want.query].filter((q) => !got.query.has(q));
  const extra = [...got.query].filter((q) => !want.query.has(q));
  if (missing.length > 0 || extra.length > 0) {
    differences.push({
      aspect: name,
      kind: "query",
      detail: `query parameters missing [${missing}], unexpected [${extra}]`,
    });
  }
  const code = (u: string) =>
    new URL(u, "https://host.invalid").searchParams.get("asyncCode");
  if (code(recorded) !== code(actual)) {
    differences.push({
      aspect: name,
      kind: "value",
      detail: `asyncCode recorded ${code(recorded)}, simulator ${code(actual)}`,
    });
  }
  return differences;
}

function rateLimitNames(headers: Headers): Set<string> {
  return new Set(
    [...headers.keys()].filter((k) => k.startsWith(RATE_LIMIT_PREFIX)),
  );
}

function compareRateLimitNames(
  recorded: Headers,
  actual: Headers,
): Difference[] {
  const have = rateLimitNames(actual);
  const missing = [...rateLimitNames(recorded)].filter((n) => !have.has(n));
  return missing.length === 0 ? [] : [{
    aspect: "rate-limit names",
    kind: "missing",
    detail: `recorded ${missing.join(", ")}; simulator sent ${
      [...have].join(", ") || "none"
    }`,
  }];
}

function shapeDifferences(
  recorded: unknown,
  actual: unknown,
  path: string,
): Difference[] {
  const aspect = `body ${path || "(root)"}`;
  if (recorded === null) return [];
  if (kind(recorded) !== kind(actual)) {
    return [{
      aspect,
      kind: "type",
      detail: `recorded ${kind(recorded)}, simulator ${kind(actual)}`,
    }];
  }
  if (Array.isArray(recorded) && Array.isArray(actual)) {
    const differences: Difference[] = recorded.length === actual.length
      ? []
      : [{
        aspect,
        kind: "items",
        detail: `recorded ${recorded.length} items, simulator ${actual.length}`,
      }];
    const n = Math.min(recorded.length, actual.length);
    for (let i = 0; i < n; i++) {
      differences.push(
        ...shapeDifferences(recorded[i], actual[i], `${path}[]`),
      );
    }
    return differences;
  }
  if (isRecord(recorded) && isRecord(actual)) {
    return objectDifferences(recorded, actual, path);
  }
  return [];
}

function objectDifferences(
  recorded: Record<string, unknown>,
  actual: Record<string, unknown>,
  path: string,
): Difference[] {
  const differences: Difference[] = [];
  const at = (key: string) => (path === "" ? key : `${path}.${key}`);
  for (const [key, value] of Object.entries(recorded)) {
    // `null` means "not set": the simulator may leave the field out, except `nextLink`,
    // whose explicit null (revision lists) is part of the list shape.
    const mustExist = value !== null || key === "nextLink";
    if (!(key in actual)) {
      if (mustExist) {
        differences.push({
          aspect: `body ${at(key)}`,
          kind: "missing",
          detail: `recorded ${JSON.stringify(value)?.slice(0, 120)}`,
        });
      }
      continue;
    }
    const got = actual[key];
    if (key === "nextLink" && (value === null) !== (got === null)) {
      differences.push({
        aspect: `body ${at(key)}`,
        kind: "type",
        detail: `recorded ${JSON.stringify(value)}, simulator ${
          JSON.stringify(got)
        }`,
      });
      continue;
    }
    if (
      comparesValue(key, recorded) && typeof value === "string" &&
      typeof got === "string" && value !== got
    ) {
      differences.push({
        aspect: `body ${at(key)}`,
        kind: "value",
        detail: `recorded "${value}", simulator "${got}"`,
      });
    }
    differences.push(...shapeDifferences(value, got, at(key)));
  }
  for (const key of Object.keys(actual)) {
    if (!(key in recorded)) {
      differences.push({
        aspect: `body ${at(key)}`,
        kind: "unexpected",
        detail: `simulator sent ${JSON.stringify(actual[key])?.slice(0, 120)}`,
      });
    }
  }
  return differences;
}

function compareBody(recorded: unknown, actual: unknown): Difference[] {
  if (recorded === "" || actual === "") {
    return (recorded === "") === (actual === "") ? [] : [{
      aspect: "body (root)",
      kind: recorded === "" ? "unexpected" : "missing",
      detail: recorded === ""
        ? `recorded no body, simulator sent ${
          JSON.stringify(actual)?.slice(0, 120)
        }`
        : "simulator sent no body",
    }];
  }
  return shapeDifferences(recorded, actual, "");
}

/** Every difference between a recorded answer and the simulator's. */
export function compareAnswer(recorded: Answer, actual: Answer): Difference[] {
  const r = recorded.headers;
  const a = actual.headers;
  const status: Difference[] = recorded.status === actual.status ? [] : [{
    aspect: "status",
    kind: "value",
    detail: `recorded ${recorded.status}, simulator ${actual.status}`,
  }];
  return [
    ...status,
    ...compareEtag(r.get("etag"), a.get("etag")),
    ...compareOperationUrl("Location", r.get("location"), a.get("location")),
    ...compareOperationUrl(
      "Azure-AsyncOperation",
      r.get("azure-asyncoperation"),
      a.get("azure-asyncoperation"),
    ),
    ...presence("Retry-After", r.get("retry-after"), a.get("retry-after")),
    ...presence("Content-Type", r.get("content-type"), a.get("content-type")),
    ...compareRateLimitNames(r, a),
    ...compareBody(recorded.body, actual.body),
  ];
}
