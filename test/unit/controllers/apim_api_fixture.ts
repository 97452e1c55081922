// A minimal valid APIMAPI for controller unit tests, with optional spec and top-level fields.
import { type ApimApi, apimApiSchema } from "../../../src/crd/apim_api.ts";

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
