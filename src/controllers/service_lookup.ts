// Finds the APIMService an object refers to (its own namespace first, then the operator's) and its ARM reference.
import type { ApimServiceRef } from "../azure/apim_paths.ts";
import type { ApimService } from "../crd/apim_service.ts";
import type { ApimInstance } from "../crd/meta.ts";
import { ReportedFailure } from "./failure.ts";
import type { OperatorContext } from "./operator_context.ts";

/** The APIMService named `name`, looked up in `namespace`, then in the operator namespace. */
export function lookupService(
  ctx: OperatorContext,
  namespace: string | undefined,
  name: string,
): ApimService | undefined {
  return ctx.caches.apimServices.get(namespace, name) ??
    ctx.caches.apimServices.get(ctx.settings.operatorNamespace, name);
}

/**
 * Whether an object naming APIMService `service.metadata.name` in `object`'s namespace resolves to
 * `service` (also one just deleted): its own namespace's, or the operator namespace's while its own
 * namespace has none.
 */
export function resolvesTo(
  ctx: OperatorContext,
  object: {
    metadata: { namespace?: string | undefined };
    spec: { apimService: string };
  },
  service: ApimService,
): boolean {
  const { name, namespace } = service.metadata;
  if (object.spec.apimService !== name) return false;
  if (object.metadata.namespace === namespace) return true;
  return namespace === ctx.settings.operatorNamespace &&
    ctx.caches.apimServices.get(object.metadata.namespace, name) === undefined;
}

/** {@linkcode lookupService}, or a failure (APIMServiceNotFound, retried with backoff) naming where it looked. */
export function requireService(
  ctx: OperatorContext,
  namespace: string | undefined,
  name: string,
): ApimService {
  const service = lookupService(ctx, namespace, name);
  if (service) return service;
  throw new ReportedFailure({
    decision: { kind: "backoff" },
    reason: "APIMServiceNotFound",
    message:
      `APIMService "${name}" was not found in namespace "${namespace}" or in the operator namespace "${ctx.settings.operatorNamespace}"`,
  });
}

/** The Azure instance an APIMService names, as status records it. */
export function instanceOf(service: ApimService): ApimInstance {
  return {
    subscription: service.spec.subscription,
    resourceGroup: service.spec.resourceGroup,
    service: service.spec.name,
  };
}

/** The ARM reference of a recorded instance. */
export function instanceRef(instance: ApimInstance): ApimServiceRef {
  return {
    subscriptionId: instance.subscription,
    resourceGroup: instance.resourceGroup,
    serviceName: instance.service,
  };
}

/** The ARM reference of an APIMService. */
export function serviceRef(service: ApimService): ApimServiceRef {
  return instanceRef(instanceOf(service));
}

/** A stable identity of an Azure instance (names are case-insensitive; two CRs may name the same instance). */
export function instanceIdentity(instance: ApimInstance): string {
  return `${instance.subscription}/${instance.resourceGroup}/${instance.service}`
    .toLowerCase();
}

/** {@linkcode instanceIdentity} of the instance an APIMService names. */
export function serviceIdentity(service: ApimService): string {
  return instanceIdentity(instanceOf(service));
}

/**
 * The note of the Warning `InstanceChanged`: APIMService `apimService` names another instance than
 * `recorded`, where `subject` (`API "orders"`, `product "gold"`) stays, no longer managed.
 */
export function instanceChangedNote(
  apimService: string,
  subject: string,
  recorded: ApimInstance,
): string {
  return `APIMService "${apimService}" now names another API Management instance; ${subject} in "${recorded.service}" (resource group "${recorded.resourceGroup}") is no longer managed`;
}

/** Why an APIMService is not usable yet, or undefined when it is Ready with a gateway host. */
export function serviceNotReady(service: ApimService): string | undefined {
  const ready = service.status?.conditions?.find((c) => c.type === "Ready");
  if (ready?.status === "True" && service.status?.proxyHostname) {
    return undefined;
  }
  return ready
    ? `APIMService "${service.metadata.name}" is not ready: ${ready.message}`
    : `APIMService "${service.metadata.name}" has not been read from Azure yet`;
}
