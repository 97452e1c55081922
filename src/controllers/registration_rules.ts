// The user's levers on a registration (retry and adopt annotations) and the identity it records.
import type { ApimApi, RegisteredApi } from "../crd/apim_api.ts";
import type { ApimService } from "../crd/apim_service.ts";
import { instanceOf } from "./service_lookup.ts";

/** Annotation whose new value retries a registration that failed permanently. */
export const RETRY_ANNOTATION = "apim.operator.io/retry";

/** Annotation (`"true"`) that lets an APIMAPI take over an API that exists without the operator's marker. */
export const ADOPT_ANNOTATION = "apim.operator.io/adopt";

/**
 * What a failed registration is retried on besides a spec change: a new value of the retry
 * annotation, or the adopt annotation being set.
 */
export function retryToken(api: ApimApi): string {
  const annotations = api.metadata.annotations ?? {};
  const retry = annotations[RETRY_ANNOTATION] ?? "";
  return annotations[ADOPT_ANNOTATION] === "true" ? `${retry}|adopt` : retry;
}

/** Where an API of `service` is registered in Azure. */
export function registrationIdentity(
  service: ApimService,
  apiId: string,
): RegisteredApi {
  return { ...instanceOf(service), apiId };
}
