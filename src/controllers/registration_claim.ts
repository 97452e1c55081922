// Takes over an API that holds the pass's document already (the original operator imported it): no import, our marker PATCHed on.
import { updateApi } from "../azure/apim_apis.ts";
import type { ApimService } from "../crd/apim_service.ts";
import type { RegistrationStep } from "../reconcile/registration_facts.ts";
import type { RegistrationPass } from "./registration_pass.ts";
import { registrationIdentity } from "./registration_rules.ts";

/**
 * Records the takeover (`status.adopted`, where the API is) before writing, as an import records its
 * intent, then PATCHes the marker and the drifted fields, fenced by the ETag the decision read.
 * Api_Update takes `apiRevisionDescription` (ApiUpdateContract: the fields of ApiEntityBaseContract,
 * learn.microsoft.com/javascript/api/@azure/arm-apimanagement/apiupdatecontract).
 */
export async function claimApi(
  pass: RegistrationPass,
  step: Extract<RegistrationStep, { step: "claimApi" }>,
  service: ApimService,
): Promise<void> {
  const apiId = pass.ref.apiId;
  await pass.event(
    "Normal",
    "AdoptingAPI",
    `Taking over API "${apiId}", which holds the OpenAPI document the original operator imported; not importing it again`,
  );
  await pass.report({
    state: "progressing",
    reason: "AdoptingAPI",
    message:
      `Taking over API "${apiId}" without importing it again: it holds this OpenAPI document already`,
  }, { registeredApi: registrationIdentity(service, apiId), adopted: true });
  pass.logger.info("🤝 Taking over the API the original operator imported", {
    digest: pass.doc?.digest,
    changes: Object.keys(step.changes),
  });
  const patched = await updateApi(pass.ctx.arm, {
    api: pass.ref,
    properties: { ...step.changes, apiRevisionDescription: step.marker },
    ifMatch: step.ifMatch,
  });
  pass.body = patched.entity;
  pass.facts.claimed = true;
}
