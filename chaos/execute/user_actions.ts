// User actions against the API server: APIMAPIs, rollouts, rollbacks, scaling, products, tags and the APIMService.
import { KubeApiError } from "../../src/kube/kube_errors.ts";
import type { GenericObject } from "../../src/kube/kube_object.ts";
import type { ResourceApi } from "../../src/kube/resource_api.ts";
import {
  apimApiManifest,
  apimProductManifest,
  apimServiceManifest,
  apimTagManifest,
} from "../../test/support/manifests.ts";
import type { ApiEdit, UserAction } from "../schedule/actions.ts";
import { documentKeyOf } from "../schedule/model.ts";
import {
  apiIdOf,
  apiSpecOf,
  awaitAbsent,
  DONE,
  type ExecContext,
  routePrefixOf,
  SERVICE_REF,
  serviceUrlOf,
  skipped,
  type StepResult,
} from "./context.ts";

function specPatch(ctx: ExecContext, app: string, edit: ApiEdit): object {
  switch (edit.field) {
    case "backend":
      return { serviceUrl: serviceUrlOf(ctx.world, app, edit.value) };
    case "route":
      return { routePrefix: routePrefixOf(app, edit.value) };
    case "productIds":
    case "tagIds":
    case "subscriptionRequired":
    case "deletionPolicy":
      return { [edit.field]: edit.value };
    case "revisionMode":
      return { revisions: { mode: edit.value } };
    case "apiIdV2":
      return { APIID: apiIdOf(app, edit.value) };
  }
}

function entityApi(
  ctx: ExecContext,
  entity: "product" | "tag",
): ResourceApi<GenericObject> {
  return entity === "product"
    ? ctx.world.apis.apimProducts
    : ctx.world.apis.apimTags;
}

function entityManifest(
  ctx: ExecContext,
  entity: "product" | "tag",
  id: string,
): GenericObject {
  return (entity === "product"
    ? apimProductManifest(ctx.world.namespace, id, {
      productID: id,
      displayName: id,
      apimService: SERVICE_REF,
      published: true,
    })
    : apimTagManifest(ctx.world.namespace, id, {
      tagID: id,
      displayName: id,
      apimService: SERVICE_REF,
    })) as GenericObject;
}

/** Makes an owner's pods ready; a rollout that becomes ready makes its image's document the app's. */
async function makeReady(
  ctx: ExecContext,
  app: string,
  owner: string,
  newRollout: boolean,
): Promise<void> {
  if (newRollout) {
    ctx.world.documents.serve(
      app,
      documentKeyOf(ctx.user.images.get(owner) ?? "d1-b1"),
    );
  }
  ctx.user.pending.delete(owner);
  await ctx.world.workloads.makeReady(app, owner);
}

/** Deletes an object of ours, noting its uid so that the end of the schedule can check it is gone. */
async function deleteRecorded(
  ctx: ExecContext,
  api: ResourceApi<GenericObject>,
  kind: "APIMAPI" | "APIMProduct" | "APIMTag" | "APIMService",
  namespace: string,
  name: string,
): Promise<StepResult> {
  const object = await api.find(name, { namespace });
  if (!object || object.metadata?.deletionTimestamp) {
    return skipped(`no ${kind} ${name} to delete`);
  }
  const spec = object["spec"] as
    | { APIID?: string; deletionPolicy?: string }
    | undefined;
  ctx.ledger.deletions.push({
    kind,
    name,
    uid: object.metadata?.uid ?? "",
    at: Date.now(),
    ...(kind === "APIMAPI"
      ? {
        apiId: spec?.APIID ?? name,
        retain: spec?.deletionPolicy === "Retain",
      }
      : {}),
  });
  if (kind === "APIMAPI") ctx.ledger.mark("apimapi", spec?.APIID ?? name);
  await api.delete(name, { namespace });
  return DONE;
}

/** Creates an object after any earlier one of that name has gone. */
async function createFresh(
  api: ResourceApi<GenericObject>,
  namespace: string,
  object: GenericObject,
): Promise<StepResult> {
  const name = object.metadata?.name ?? "";
  if (!await awaitAbsent(api, namespace, name)) {
    return skipped(`the previous ${name} is still being deleted`);
  }
  await api.create(object, { namespace });
  return DONE;
}

/** Runs one user action. */
export async function runUserAction(
  ctx: ExecContext,
  action: UserAction,
): Promise<StepResult> {
  const { world, user } = ctx;
  const ns = world.namespace;
  switch (action.kind) {
    case "createApi":
      return await createFresh(
        world.apis.apimApis,
        ns,
        apimApiManifest(
          ns,
          action.app,
          apiSpecOf(world, action.app, action.spec),
        ) as GenericObject,
      );
    case "editApi": {
      if (!await world.apis.apimApis.find(action.app, { namespace: ns })) {
        return skipped(`no APIMAPI ${action.app}`);
      }
      if (action.edit.field === "apiIdV2") {
        ctx.ledger.mark("apimapi", action.app);
      }
      try {
        await world.apis.apimApis.mergePatch(action.app, {
          spec: specPatch(ctx, action.app, action.edit),
        }, { namespace: ns });
      } catch (error) {
        if (error instanceof KubeApiError && error.isInvalid()) {
          return { outcome: "rejected", note: error.message };
        }
        throw error;
      }
      return DONE;
    }
    case "deleteApi":
      return await deleteRecorded(
        ctx,
        world.apis.apimApis,
        "APIMAPI",
        ns,
        action.app,
      );
    case "rollout":
      user.images.set(action.owner, action.image);
      await world.workloads.setImage(action.app, action.owner, action.image);
      if ((user.replicas.get(action.owner) ?? 1) === 0) {
        user.pending.set(action.owner, { app: action.app });
        return { outcome: "ok", note: "scaled to zero: ready when scaled up" };
      }
      if (!action.ready) {
        user.pending.set(action.owner, { app: action.app });
        return DONE;
      }
      await makeReady(ctx, action.app, action.owner, true);
      return DONE;
    case "rollback":
      user.images.set(action.owner, action.image);
      await world.workloads.setImage(action.app, action.owner, action.image);
      if ((user.replicas.get(action.owner) ?? 1) === 0) {
        user.pending.set(action.owner, { app: action.app });
        return DONE;
      }
      await makeReady(ctx, action.app, action.owner, true);
      return DONE;
    case "markReady":
      if (!user.pending.has(action.owner)) return skipped("nothing pending");
      if ((user.replicas.get(action.owner) ?? 1) === 0) {
        return skipped("scaled to zero");
      }
      await makeReady(ctx, action.app, action.owner, true);
      return DONE;
    case "scale":
      user.replicas.set(action.owner, action.replicas);
      await world.workloads.scale(action.owner, action.replicas);
      if (action.replicas > 0 && !user.pending.has(action.owner)) {
        await makeReady(ctx, action.app, action.owner, false);
      }
      return DONE;
    case "createEntity":
      return await createFresh(
        entityApi(ctx, action.entity),
        ns,
        entityManifest(ctx, action.entity, action.id),
      );
    case "editEntity":
      if (
        !await entityApi(ctx, action.entity).find(action.id, { namespace: ns })
      ) {
        return skipped(`no ${action.entity} ${action.id}`);
      }
      await entityApi(ctx, action.entity).mergePatch(action.id, {
        spec: { displayName: action.displayName },
      }, { namespace: ns });
      return DONE;
    case "deleteEntity":
      return await deleteRecorded(
        ctx,
        entityApi(ctx, action.entity),
        action.entity === "product" ? "APIMProduct" : "APIMTag",
        ns,
        action.id,
      );
    case "deleteService": {
      const result = await deleteRecorded(
        ctx,
        world.apis.apimServices,
        "APIMService",
        world.operatorNamespace,
        SERVICE_REF,
      );
      if (result.outcome === "ok") {
        ctx.ledger.serviceAbsent.push({ from: Date.now(), to: null });
      }
      return result;
    }
    case "recreateService": {
      const result = await createServiceObject(ctx);
      const gap = ctx.ledger.serviceAbsent.at(-1);
      if (result.outcome === "ok" && gap && gap.to === null) {
        gap.to = Date.now();
      }
      return result;
    }
  }
}

/** Creates the APIMService pointing at the schedule's simulated instance. */
export async function createServiceObject(
  ctx: ExecContext,
): Promise<StepResult> {
  return await createFresh(
    ctx.world.apis.apimServices,
    ctx.world.operatorNamespace,
    apimServiceManifest(
      ctx.world.operatorNamespace,
      SERVICE_REF,
      ctx.world.service.name,
    ) as GenericObject,
  );
}

/** Creates a product or tag object (setup). */
export async function createEntityObject(
  ctx: ExecContext,
  entity: "product" | "tag",
  id: string,
): Promise<StepResult> {
  return await createFresh(
    entityApi(ctx, entity),
    ctx.world.namespace,
    entityManifest(ctx, entity, id),
  );
}
