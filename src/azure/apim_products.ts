// Typed calls for products and their API associations (Product_*, ProductApi_*).

import type { ArmClient } from "./arm_client.ts";
import {
  type DeletePrecondition,
  getResource,
  listResources,
  type PatchRequest,
  type PutRequest,
  requestBody,
  type Versioned,
  writeEntity,
  writeResource,
} from "./arm_resources.ts";
import {
  apiProductsPath,
  type ApiRef,
  productApiPath,
  productApisPath,
  productPath,
  type ProductRef,
} from "./apim_paths.ts";
import {
  type ApiContract,
  apiContractSchema,
  type ProductContract,
  productContractSchema,
  type ProductProperties,
  productPropertiesSchema,
  type ProductUpdateProperties,
  productUpdatePropertiesSchema,
} from "./apim_schemas.ts";

/** `GET .../products/{productId}` with its ETag; undefined on 404. */
export function getProduct(
  client: ArmClient,
  product: ProductRef,
): Promise<Versioned<ProductContract> | undefined> {
  return getResource(client, productPath(product), productContractSchema);
}

/** Input of {@linkcode createOrUpdateProduct}. */
export interface CreateOrUpdateProductRequest
  extends PutRequest<ProductProperties> {
  product: ProductRef;
}

/** `PUT .../products/{productId}`. */
export function createOrUpdateProduct(
  client: ArmClient,
  request: CreateOrUpdateProductRequest,
): Promise<Versioned<ProductContract>> {
  return writeEntity(client, {
    method: "PUT",
    path: productPath(request.product),
    body: requestBody(productPropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, productContractSchema);
}

/** Input of {@linkcode updateProduct}. */
export interface UpdateProductRequest
  extends PatchRequest<ProductUpdateProperties> {
  product: ProductRef;
}

/** `PATCH .../products/{productId}`. */
export function updateProduct(
  client: ArmClient,
  request: UpdateProductRequest,
): Promise<Versioned<ProductContract>> {
  return writeEntity(client, {
    method: "PATCH",
    path: productPath(request.product),
    body: requestBody(productUpdatePropertiesSchema, request.properties),
    ifMatch: request.ifMatch,
  }, productContractSchema);
}

/** Input of {@linkcode deleteProduct}. */
export interface DeleteProductRequest extends DeletePrecondition {
  product: ProductRef;
  /** Delete the product's subscriptions too. */
  deleteSubscriptions?: boolean;
}

/** `DELETE .../products/{productId}`. */
export async function deleteProduct(
  client: ArmClient,
  request: DeleteProductRequest,
): Promise<void> {
  await writeResource(client, {
    method: "DELETE",
    path: productPath(request.product),
    ifMatch: request.ifMatch,
    query: { deleteSubscriptions: request.deleteSubscriptions },
  });
}

/** Input of {@linkcode addApiToProduct} and {@linkcode removeApiFromProduct}. */
export interface ProductApiLink {
  product: ProductRef;
  apiId: string;
}

/** `PUT .../products/{productId}/apis/{apiId}` (no body); APIM answers with the API. */
export function addApiToProduct(
  client: ArmClient,
  link: ProductApiLink,
): Promise<Versioned<ApiContract>> {
  return writeEntity(client, {
    method: "PUT",
    path: productApiPath(link.product, link.apiId),
  }, apiContractSchema);
}

/** `DELETE .../products/{productId}/apis/{apiId}` (a link has no ETag: `If-Match: *`). */
export async function removeApiFromProduct(
  client: ArmClient,
  link: ProductApiLink,
): Promise<void> {
  await writeResource(client, {
    method: "DELETE",
    path: productApiPath(link.product, link.apiId),
    ifMatch: "*",
  });
}

/** `GET .../products/{productId}/apis`, every page: the APIs in the product. */
export function listProductApis(
  client: ArmClient,
  product: ProductRef,
): Promise<ApiContract[]> {
  return listResources(client, productApisPath(product), apiContractSchema);
}

/** `GET .../apis/{apiId}/products`, every page: the products the API belongs to (ApiProduct_ListByApis). */
export function listApiProducts(
  client: ArmClient,
  api: ApiRef,
): Promise<ProductContract[]> {
  return listResources(client, apiProductsPath(api), productContractSchema);
}
