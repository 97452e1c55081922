// A minimal valid APIMAPI for controller unit tests (optional spec and top-level fields), and the 409 its status writes meet.
import { type ApimApi, apimApiSchema } from "../../../src/crd/apim_api.ts";
import { KubeApiError } from "../../../src/kube/kube_errors.ts";

/** The 409 a status write of `shop/orders` gets after someone else wrote the object. */
export const statusConflict = new KubeApiError({
  status: 409,
  reason: "Conflict",
  message: "the object has been modified",
  method: "PATCH",
  path: "/apis/apim.operator.io/v1/namespaces/shop/apimapis/orders/status",
});

/** An APIMAPI `name` in namespace `shop`; `spec` is merged into the required fields, `rest` added as is. */
export function apimApiFixture(
  name: string,
  spec: Record<string, unknown> = {},
  rest: Record<string, unknown> = {},
): ApimApi {
  return apimApiSchema.parse({
    metadata: { name, namespace: "shop", generation: 1 },
    spec: {
      APIID: name,
      serviceUrl: "http://orders.shop.svc",
      routePrefix: "/orders",
      openApiDefinitionUrl: "/swagger.json",
      apimService: "apim",
      ...spec,
    },
    ...rest,
  });
}
