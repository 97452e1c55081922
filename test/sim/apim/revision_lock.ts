// The rule that a non-current revision cannot change the API-wide properties: name, description, path, version.
//
// APIM keeps displayName, description, path and apiVersion per API: a write to a revision that is
// not current (and does not become current) must leave them as the current revision has them,
// else 400 ValidationError "Can't change property {Name|Description|Path|ApiVersion} for
// non-current revision " (with the trailing space, as in the raw body of Azure/apiops#436). An
// import reports it when its operation is polled (apiops#436: on the `asyncId` Location URL;
// azure-powershell#9270: "Long running operation failed with status 'BadRequest'"). Reports:
// Name (azure-powershell#9270), Description (azure-cli#19277, azure-powershell#9270,
// apiops#285), Path (apiops#436), ApiVersion (hashicorp/terraform-provider-azurerm#18093).
// Other properties may differ: the recorded revision 2 has its own serviceUrl
// (net-ApiRevisionTests#9). Which property is reported first when several change is not known;
// the order below is the simulator's choice.

import { type ArmError, validationFailure } from "./arm_error.ts";
import type { ApiProperties, ApiState } from "./store.ts";

const API_WIDE: readonly [keyof ApiProperties, string][] = [
  ["displayName", "Name"],
  ["description", "Description"],
  ["path", "Path"],
  ["apiVersion", "ApiVersion"],
];

/**
 * The error for writing `properties` to revision `revisionNo` of `api` when that revision is not
 * current and would change an API-wide property; null when the write is allowed.
 */
export function nonCurrentRevisionChange(
  api: ApiState | undefined,
  revisionNo: string,
  properties: ApiProperties,
): ArmError | null {
  if (!api || api.currentRevision === revisionNo) return null;
  const current = api.revisions.get(api.currentRevision);
  if (!current) return null;
  const changed = API_WIDE.find(([field]) =>
    (current.properties[field] ?? "") !== (properties[field] ?? "")
  );
  return changed
    ? validationFailure(
      `Can't change property ${changed[1]} for non-current revision `,
    )
    : null;
}
