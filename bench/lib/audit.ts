// The API server's audit log, restricted to the operator's user: which Kubernetes requests the operator made.
import { z } from "zod";

/** The user the operator authenticates as (a client certificate in system:masters). */
export const OPERATOR_USER = "apim-operator";

/** Audit policy: metadata of the operator's requests, nothing else (the harness's bulk writes stay out). */
export const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived", "ResponseStarted"]
rules:
  - level: Metadata
    users: ["${OPERATOR_USER}"]
  - level: None
`;

const eventSchema = z.object({
  verb: z.string(),
  user: z.object({ username: z.string() }).loose(),
  objectRef: z.object({
    resource: z.string().optional(),
    namespace: z.string().optional(),
    name: z.string().optional(),
    subresource: z.string().optional(),
  }).loose().optional(),
  responseStatus: z.object({ code: z.number().optional() }).loose().optional(),
  requestReceivedTimestamp: z.string(),
}).loose();

/** One request of the operator, as the audit log recorded it. */
export interface AuditedRequest {
  /** When the API server received it (ms). */
  at: number;
  verb: string;
  /** `verb resource[/subresource]`. */
  shape: string;
  code: number;
  namespace: string;
  /** Object name ("" for collections). */
  name: string;
}

/** The operator's Kubernetes requests in a window, by `verb resource[/subresource]`. */
export interface KubeRequestCounts {
  total: number;
  /** Requests that are not get/list/watch. */
  writes: number;
  byShape: Record<string, number>;
  /** Answers with status >= 400 (conflicts, not found). */
  errors: number;
}

/** Reads the operator's requests (watches left out) from the audit log. */
export async function readAuditLog(
  auditLogPath: string,
): Promise<AuditedRequest[]> {
  let text = "";
  try {
    text = await Deno.readTextFile(auditLogPath);
  } catch {
    return [];
  }
  const requests: AuditedRequest[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    let parsed;
    try {
      parsed = eventSchema.safeParse(JSON.parse(line));
    } catch {
      continue;
    }
    if (!parsed.success || parsed.data.user.username !== OPERATOR_USER) {
      continue;
    }
    const event = parsed.data;
    if (event.verb === "watch") continue;
    const resource = event.objectRef?.resource ?? "?";
    const sub = event.objectRef?.subresource;
    requests.push({
      at: Date.parse(event.requestReceivedTimestamp),
      verb: event.verb,
      shape: `${event.verb} ${resource}${sub ? `/${sub}` : ""}`,
      code: event.responseStatus?.code ?? 0,
      namespace: event.objectRef?.namespace ?? "",
      name: event.objectRef?.name ?? "",
    });
  }
  return requests;
}

/**
 * Whether a request concerns the objects named after API `name` in `namespace`: the APIMAPI, its
 * APIMAPIDeployment and their Events (`<name>.<suffix>`); creates carry no name and count too.
 */
export function concerns(
  request: AuditedRequest,
  namespace: string,
  name: string,
): boolean {
  return request.namespace === namespace &&
    (request.name === name || request.name.startsWith(`${name}.`) ||
      (request.name === "" && request.verb === "create"));
}

/** Counts the audited requests received in `[from, to]` (ms) that satisfy `keep`. */
export function countKubeRequests(
  all: readonly AuditedRequest[],
  from: number,
  to: number,
  keep: (request: AuditedRequest) => boolean = () => true,
): KubeRequestCounts {
  const requests = all.filter(keep);
  const counts: KubeRequestCounts = {
    total: 0,
    writes: 0,
    byShape: {},
    errors: 0,
  };
  for (const request of requests) {
    if (request.at < from || request.at > to) continue;
    counts.total++;
    if (!["get", "list"].includes(request.verb)) counts.writes++;
    if (request.code >= 400) counts.errors++;
    counts.byShape[request.shape] = (counts.byShape[request.shape] ?? 0) + 1;
  }
  return counts;
}
