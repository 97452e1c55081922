// Every route the APIM simulator serves.

import { apiRoutes } from "./api_handlers.ts";
import { operationRoutes } from "./api_operations.ts";
import type { Route } from "./context.ts";
import { operationResultRoutes } from "./long_running.ts";
import { policyRoutes } from "./policies.ts";
import { productRoutes } from "./products.ts";
import { revisionRoutes } from "./revisions.ts";
import { serviceRoutes } from "./service.ts";
import { tagRoutes } from "./tags.ts";
import { versionSetRoutes } from "./version_sets.ts";

/** All routes under `.../providers/Microsoft.ApiManagement/service/{serviceName}`. */
export const allRoutes: readonly Route[] = [
  ...serviceRoutes,
  ...apiRoutes,
  ...revisionRoutes,
  ...operationRoutes,
  ...policyRoutes,
  ...tagRoutes,
  ...productRoutes,
  ...versionSetRoutes,
  ...operationResultRoutes,
];
