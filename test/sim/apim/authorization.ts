// ARM RBAC as the simulator models it: the action of a request and 403 AuthorizationFailed for denied actions.

import type { Principal } from "../auth_result.ts";
import { ArmError } from "./arm_error.ts";
import type { HttpMethod } from "./context.ts";

/** `{resourceType}/{read|write|delete}`, e.g. `Microsoft.ApiManagement/service/apis/write`. */
export function actionOf(resourceType: string, method: HttpMethod): string {
  const verb = method === "GET" || method === "HEAD"
    ? "read"
    : method === "DELETE"
    ? "delete"
    : "write";
  return `${resourceType}/${verb}`;
}

function patternMatches(pattern: string, action: string): boolean {
  const regex = new RegExp(
    `^${
      pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\/]/g, "\\$&"))
        .join(".*")
    }$`,
    "i",
  );
  return regex.test(action);
}

/** 403 when `action` matches one of `denied` (exact, case-insensitive, `*` wildcards). */
export function authorize(
  principal: Principal,
  action: string,
  scope: string,
  denied: readonly string[],
): void {
  if (!denied.some((pattern) => patternMatches(pattern, action))) return;
  throw new ArmError(
    403,
    "AuthorizationFailed",
    `The client '${principal.appId}' with object id '${principal.objectId}' does not have authorization to perform action '${action}' over scope '${scope}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
  );
}
