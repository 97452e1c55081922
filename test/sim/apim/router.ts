// Maps a request path to the service it addresses and to a route under that service.

import type { Route } from "./context.ts";

/** `/subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.ApiManagement/service/{name}/...`, decoded. */
export interface ServicePath {
  subscriptionId: string;
  resourceGroup: string;
  serviceName: string;
  /** Decoded segments below the service. */
  rest: string[];
}

const PREFIX =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.ApiManagement\/service\/([^/]+)((?:\/[^/]*)*)$/i;

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The service address of a (percent-encoded) path, or null when it is not under a service. */
export function parseServicePath(pathname: string): ServicePath | null {
  const m = PREFIX.exec(pathname);
  if (!m) return null;
  const parts = [
    m[1],
    m[2],
    m[3],
    ...(m[4] ?? "").split("/").filter((s) => s !== ""),
  ]
    .map((s) => decode(s ?? ""));
  if (parts.some((p) => p === null || p === "")) return null;
  const [subscriptionId, resourceGroup, serviceName, ...rest] =
    parts as string[];
  return {
    subscriptionId: subscriptionId ?? "",
    resourceGroup: resourceGroup ?? "",
    serviceName: serviceName ?? "",
    rest,
  };
}

/** A route with its parameters and the ARM resource type it serves. */
export interface RouteMatch {
  route: Route;
  params: Record<string, string>;
  /** e.g. `Microsoft.ApiManagement/service/apis/tags`. */
  resourceType: string;
}

/** The first route whose pattern matches `segments` (literals compared case-insensitively). */
export function matchRoute(
  routes: readonly Route[],
  segments: readonly string[],
): RouteMatch | null {
  for (const route of routes) {
    if (route.pattern.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = route.pattern.every((p, i) => {
      const segment = segments[i] ?? "";
      if (p.startsWith(":")) {
        params[p.slice(1)] = segment;
        return true;
      }
      return p.toLowerCase() === segment.toLowerCase();
    });
    if (!ok) continue;
    const literals = route.pattern.filter((p) => !p.startsWith(":"));
    return {
      route,
      params,
      resourceType: ["Microsoft.ApiManagement/service", ...literals].join("/"),
    };
  }
  return null;
}
