// Product routes (CRUD with APIM's defaults and validation) and the classic product–API association.
//
// PUT replaces the product: omitted properties return to their defaults (subscriptionRequired
// true, approvalRequired false, state notPublished), as ARM PUT semantics say. Creation links the
// built-in `administrators` group (kept in state). DELETE of a product with subscriptions needs
// `deleteSubscriptions=true` (400 otherwise; the real code is unverified); it removes its API links.
//
// `groups` in answers (test/fixtures/azure-recordings): the answer of a product PUT lists the
// group objects (cli-test_apim_product_api#2, aso-…578500a#87, aso-…20240501#13); a GET at
// 2024-05-01 carries `groups: []` (aso-…20240501#27); GETs at 2022-08-01 and list items carry none.
// The product–API link PUT answers the API in the "link" rendering (api_contract.ts) under the
// product's path, with the API's ETag (net-ProductTests#8, cli-test_apim_product_api#3,
// aso-…20240501#86).

import { z } from "zod";
import { entityNotFound, invalidField } from "./arm_error.ts";
import { renderRevision } from "./api_state.ts";
import {
  apiLinkRoutes,
  linkApi,
  type LinkParentKind,
  requireLinkedApi,
  requireParent,
  unlinkResponse,
} from "./api_links.ts";
import { param, type RequestContext, type Route } from "./context.ts";
import {
  type EntityIdentity,
  type EntityKind,
  entityRoutes,
  type EntityView,
} from "./entity_routes.ts";
import type { ApiView } from "./api_contract.ts";
import { boundedString, emptyResponse, jsonResponse } from "./http.ts";
import { compact, type JsonObject } from "./json.ts";
import { pagedList } from "./paging.ts";
import { nameKey, type ProductState, serviceResourceId } from "./store.ts";

const productFields = {
  description: boundedString("description", 0, 1000).nullish(),
  terms: z.string().nullish(),
  subscriptionRequired: z.boolean().nullish(),
  approvalRequired: z.boolean().nullish(),
  subscriptionsLimit: z.number().int().nullish(),
  state: z.enum(["published", "notPublished"]).nullish(),
};

const productPutSchema = z.object({
  properties: z.object({
    ...productFields,
    displayName: boundedString("displayName", 1, 300),
  }).loose(),
});

const productPatchSchema = z.object({
  properties: z.object({
    ...productFields,
    displayName: boundedString("displayName", 1, 300).nullish(),
  })
    .loose(),
});

type ProductPut = z.infer<typeof productPutSchema>;
type ProductPatch = z.infer<typeof productPatchSchema>;
type ProductInput = ProductPatch["properties"];
type ProductFields = Omit<
  ProductState,
  "name" | "groups" | "subscriptionCount" | "etag"
>;

function productFieldsOf(
  base: ProductFields | null,
  input: ProductInput,
): ProductFields {
  const displayName = input.displayName ?? base?.displayName;
  if (displayName === undefined) {
    throw invalidField("displayName", "The displayName field is required.");
  }
  const fields: ProductFields = {
    displayName,
    subscriptionRequired: input.subscriptionRequired ??
      base?.subscriptionRequired ?? true,
    approvalRequired: input.approvalRequired ?? base?.approvalRequired ?? false,
    state: input.state ?? base?.state ?? "notPublished",
  };
  const description = input.description ?? base?.description;
  const terms = input.terms ?? base?.terms;
  const limit = input.subscriptionsLimit ?? base?.subscriptionsLimit;
  if (description !== undefined) fields.description = description;
  if (terms !== undefined) fields.terms = terms;
  if (limit !== undefined) fields.subscriptionsLimit = limit;
  if (!fields.subscriptionRequired && fields.approvalRequired) {
    throw invalidField(
      "approvalRequired",
      "Product cannot require approval when subscriptions are not required (subscriptionRequired is false).",
    );
  }
  if (!fields.subscriptionRequired && fields.subscriptionsLimit !== undefined) {
    throw invalidField(
      "subscriptionsLimit",
      "Product cannot limit subscriptions when subscriptions are not required (subscriptionRequired is false).",
    );
  }
  return fields;
}

/** The built-in groups a product can be linked to, as a product PUT lists them. */
function groupObject(ctx: RequestContext, name: string): JsonObject {
  return name === "administrators"
    ? {
      id: `${serviceResourceId(ctx.service)}/groups/administrators`,
      name: "Administrators",
      description:
        "Administrators is a built-in group containing the admin email account provided at the time of service creation. Its membership is managed by the system.",
      builtIn: true,
      type: "system",
      externalId: null,
    }
    : {
      id: `${serviceResourceId(ctx.service)}/groups/${name}`,
      name,
      builtIn: false,
      type: "custom",
      externalId: null,
    };
}

function groupsOf(ctx: RequestContext, p: ProductState, view: EntityView) {
  if (view === "put") return p.groups.map((g) => groupObject(ctx, g));
  return view === "entity" && ctx.apiVersion === "2024-05-01" ? [] : undefined;
}

function renderProduct(
  ctx: RequestContext,
  p: ProductState,
  view: EntityView,
): JsonObject {
  return {
    id: `${serviceResourceId(ctx.service)}/products/${p.name}`,
    type: "Microsoft.ApiManagement/service/products",
    name: p.name,
    properties: compact({
      displayName: p.displayName,
      description: p.description,
      terms: p.terms,
      subscriptionRequired: p.subscriptionRequired,
      approvalRequired: p.approvalRequired,
      subscriptionsLimit: p.subscriptionsLimit,
      state: p.state,
      groups: groupsOf(ctx, p, view),
    }),
  };
}

const PRODUCTS: EntityIdentity<ProductState> = {
  entity: "Product",
  segment: "products",
  param: "productId",
  maxIdLength: 256,
  collection: (service) => service.products,
};

/** Products as parents of API links. */
const PRODUCT_LINKS: LinkParentKind = {
  ...PRODUCTS,
  table: (service) => service.productLinks,
};

/** Products: PUT replaces (defaults return), PATCH merges, DELETE needs deleteSubscriptions when subscribed. */
const productKind: EntityKind<ProductState, ProductPut, ProductPatch> = {
  ...PRODUCTS,
  render: renderProduct,
  putSchema: productPutSchema,
  patchSchema: productPatchSchema,
  replace: (id, existing, body) => ({
    ...productFieldsOf(null, body.properties),
    name: existing?.name ?? id,
    groups: existing?.groups ?? ["administrators"],
    subscriptionCount: existing?.subscriptionCount ?? 0,
    etag: existing?.etag ?? "",
  }),
  merge: (existing, body) => ({
    ...productFieldsOf(existing, body.properties),
    name: existing.name,
    groups: existing.groups,
    subscriptionCount: existing.subscriptionCount,
    etag: existing.etag,
  }),
  beforeDelete(ctx, product) {
    const deleteSubscriptions =
      ctx.url.searchParams.get("deleteSubscriptions")?.toLowerCase() === "true";
    if (product.subscriptionCount > 0 && !deleteSubscriptions) {
      throw invalidField(
        "deleteSubscriptions",
        `Product '${product.name}' has ${product.subscriptionCount} subscription(s). Set deleteSubscriptions=true to delete them with the product.`,
      );
    }
    ctx.service.productLinks.removeParent(product.name);
  },
};

/** The API as `products/{p}/apis` renders it (ApiContract under the product's path). */
function renderProductApi(
  ctx: RequestContext,
  product: string,
  apiName: string,
  view: ApiView,
): JsonObject[] {
  const api = ctx.service.apis.get(nameKey(apiName));
  const current = api?.revisions.get(api.currentRevision);
  if (!api || !current) return [];
  return [renderRevision(ctx.service, api, current, api.name, {
    view,
    apiVersion: ctx.apiVersion,
  }, {
    id: `${
      serviceResourceId(ctx.service)
    }/products/${product}/apis/${api.name}`,
    type: "Microsoft.ApiManagement/service/products/apis",
  })];
}

/** `PUT products/{p}/apis/{a}`: body ignored; 201 new / 200 already linked; the body is the API, ETag the API's. */
function putProductApi(ctx: RequestContext): Response {
  const product = requireParent(ctx, PRODUCT_LINKS);
  const api = requireLinkedApi(ctx, param(ctx, "apiId"));
  const { created } = linkApi(ctx, PRODUCT_LINKS, product, api, api.name);
  const current = api.revisions.get(api.currentRevision);
  if (!current) throw new Error(`API "${api.name}" has no current revision`);
  const [body] = renderProductApi(ctx, product, api.name, "link");
  return jsonResponse(created ? 201 : 200, body ?? {}, { etag: current.etag });
}

/** `HEAD products/{p}/apis/{a}`: 204 when linked, 404 otherwise. */
function headProductApi(ctx: RequestContext): Response {
  const product = requireParent(ctx, PRODUCT_LINKS);
  const api = requireLinkedApi(ctx, param(ctx, "apiId"));
  if (!ctx.service.productLinks.get(product, api.name)) {
    throw entityNotFound("ProductApi");
  }
  return emptyResponse(204);
}

function deleteProductApi(ctx: RequestContext): Response {
  const product = requireParent(ctx, PRODUCT_LINKS);
  return unlinkResponse(ctx, PRODUCT_LINKS, product, param(ctx, "apiId"));
}

function listProductApis(ctx: RequestContext): Response {
  const product = requireParent(ctx, PRODUCT_LINKS);
  return pagedList(
    ctx,
    ctx.service.productLinks.of(product).flatMap((l) =>
      renderProductApi(ctx, product, l.apiName, "list")
    ),
  );
}

/** `GET apis/{a}/products` (ApiProduct_ListByApis): the products the API belongs to. */
function listApiProducts(ctx: RequestContext): Response {
  const api = requireLinkedApi(ctx, param(ctx, "apiId"));
  const products = ctx.service.productLinks.parentsOf(api.name).flatMap(
    (key) => {
      const product = ctx.service.products.get(key);
      return product ? [renderProduct(ctx, product, "list")] : [];
    },
  );
  return pagedList(ctx, products);
}

/** Product routes. */
export const productRoutes: Route[] = [
  ...entityRoutes(productKind),
  {
    pattern: ["apis", ":apiId", "products"],
    handlers: { GET: listApiProducts },
  },
  {
    pattern: ["products", ":productId", "apis"],
    handlers: { GET: listProductApis },
  },
  {
    pattern: ["products", ":productId", "apis", ":apiId"],
    handlers: {
      PUT: putProductApi,
      HEAD: headProductApi,
      DELETE: deleteProductApi,
    },
  },
  ...apiLinkRoutes(PRODUCT_LINKS),
];
