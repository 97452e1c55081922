// What a new APIM instance already holds: the Echo API and the Starter product that contains it.
//
// Evidence (test/fixtures/azure-recordings): a freshly created service lists exactly one API,
// `echo-api` (net-ApiTests#2, #3), and has a `starter` product holding it (net-ProductTests#2, #3,
// #6). The values below are the recorded ones. Real instances also have an "Unlimited" product;
// the pack does not show it, so it is not created.

import { writeRevision } from "./api_state.ts";
import type { ApimRuntime } from "./context.ts";
import type { ServiceState } from "./store.ts";

const ECHO_API = "echo-api";
const STARTER = "starter";

/** Adds the Echo API and the Starter product (with the API linked) to an empty service. */
export function addDefaultContent(
  runtime: ApimRuntime,
  service: ServiceState,
): void {
  writeRevision(runtime, service, ECHO_API, "1", {
    properties: {
      displayName: "Echo API",
      path: "echo",
      serviceUrl: "http://echoapi.cloudapp.net/api",
      protocols: ["https"],
      subscriptionRequired: true,
      subscriptionKeyParameterNames: {
        header: "Ocp-Apim-Subscription-Key",
        query: "subscription-key",
      },
      isOnline: true,
      extra: {},
    },
    operations: [],
    makeCurrent: true,
  }).api.visibleAt = runtime.clock.now();
  service.products.set(STARTER, {
    name: STARTER,
    displayName: "Starter",
    description:
      "Subscribers will be able to run 5 calls/minute up to a maximum of 100 calls/week.",
    terms: "",
    subscriptionRequired: true,
    approvalRequired: false,
    subscriptionsLimit: 2147483647,
    state: "published",
    groups: ["administrators"],
    subscriptionCount: 0,
    etag: runtime.etags.next(),
  });
  service.productLinks.link(STARTER, ECHO_API, ECHO_API, runtime.etags.next());
}
