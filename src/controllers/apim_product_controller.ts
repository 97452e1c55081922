// APIMProduct controller: keeps a product in API Management as its spec says (create, update, delete).
import {
  createOrUpdateProduct,
  deleteProduct,
  getProduct,
} from "../azure/apim_products.ts";
import type { ProductProperties } from "../azure/apim_schemas.ts";
import { type ApimProduct, productIdOf } from "../crd/apim_product.ts";
import { apimProducts } from "../crd/resources.ts";
import { productProperties } from "../reconcile/plan_entity.ts";
import { apimEntityController } from "./apim_entity_controller.ts";
import type { Controller } from "./controller.ts";
import type { OperatorContext } from "./operator_context.ts";

/** Builds the APIMProduct controller. */
export function apimProductController(
  ctx: OperatorContext,
  workers: number,
): Controller {
  return apimEntityController<ApimProduct, ProductProperties>(ctx, {
    name: "apimproduct",
    noun: "Product",
    resource: apimProducts,
    api: (c) => c.kinds.apimProducts,
    cache: (c) => c.caches.apimProducts,
    idOf: (product) => productIdOf(product.spec),
    desired: (product) => productProperties(product.spec),
    get: (c, service, productId) => getProduct(c.arm, { service, productId }),
    put: (c, service, productId, properties, ifMatch) =>
      createOrUpdateProduct(c.arm, {
        product: { service, productId },
        properties,
        ...(ifMatch === undefined ? {} : { ifMatch }),
      }),
    // APIM creates a subscription with each product; delete it too, or the delete is refused.
    remove: (c, service, productId) =>
      deleteProduct(c.arm, {
        product: { service, productId },
        ifMatch: "*",
        deleteSubscriptions: true,
      }),
    statusFields: (_product, productId, entity) => ({
      productId,
      state: entity.entity.properties["state"] ?? null,
      etag: entity.etag ?? null,
      phase: "Created",
      message: `Product "${productId}" is in sync`,
    }),
  }, workers);
}
