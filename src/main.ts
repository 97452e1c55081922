// Entry point: parse the configuration, wire clients, caches and controllers, run until SIGTERM.
import { ArmClient } from "./azure/arm_client.ts";
import { AZURE_CLOUDS, type AzureCloudName } from "./azure/azure_cloud.ts";
import { CredentialConfigError } from "./azure/credential_config.ts";
import { createTokenSource } from "./azure/credentials.ts";
import { KeyedSemaphore } from "./azure/keyed_semaphore.ts";
import { RequestBudget } from "./azure/request_budget.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { apimApiController } from "./controllers/apim_api_controller.ts";
import { apimApiDeploymentController } from "./controllers/apim_api_deployment_controller.ts";
import { apimApiPolicyController } from "./controllers/apim_api_policy_controller.ts";
import { apimApiVersionSetController } from "./controllers/apim_api_version_set_controller.ts";
import { apimInboundPolicyController } from "./controllers/apim_inbound_policy_controller.ts";
import { apimProductController } from "./controllers/apim_product_controller.ts";
import { apimServiceController } from "./controllers/apim_service_controller.ts";
import { apimTagController } from "./controllers/apim_tag_controller.ts";
import type { Controller } from "./controllers/controller.ts";
import { ControllerTerms } from "./controllers/controller_terms.ts";
import type {
  Caches,
  KindApis,
  OperatorContext,
} from "./controllers/operator_context.ts";
import { OperatorMetrics } from "./controllers/operator_metrics.ts";
import { replicaSetWatcher } from "./controllers/replicaset_watcher.ts";
import {
  decodeIngressRecord,
  decodeReplicaSetRecord,
} from "./controllers/workload_records.ts";
import { apimApiSchema } from "./crd/apim_api.ts";
import { apimApiDeploymentSchema } from "./crd/apim_api_deployment.ts";
import { apimApiVersionSetSchema } from "./crd/apim_api_version_set.ts";
import { apimInboundPolicySchema } from "./crd/apim_inbound_policy.ts";
import { apimProductSchema } from "./crd/apim_product.ts";
import { apimServiceSchema } from "./crd/apim_service.ts";
import { apimTagSchema } from "./crd/apim_tag.ts";
import {
  apimApiDeployments,
  apimApis,
  apimApiVersionSets,
  apimInboundPolicies,
  apimProducts,
  apimServices,
  apimTags,
} from "./crd/resources.ts";
import { MetricsRegistry } from "./http/metrics.ts";
import { probeHandler } from "./http/probes.ts";
import { serveHttp } from "./http/serve_http.ts";
import { serveMetrics } from "./http/serve_metrics.ts";
import { ingresses, replicaSets } from "./kube/builtin_resources.ts";
import { proxyAwareResolver } from "./openapi/proxy_resolver.ts";
import { Cache } from "./kube/cache.ts";
import { EventRecorder } from "./kube/event_recorder.ts";
import { KubeClient } from "./kube/kube_client.ts";
import { LeaderElector } from "./kube/leader_election.ts";
import { livenessProblem } from "./kube/liveness.ts";
import { loadConnection } from "./kube/load_connection.ts";
import { ResourceApi } from "./kube/resource_api.ts";
import { errorFields, Logger } from "./log.ts";
import { systemClock } from "./util/clock.ts";
import { KeyedLock } from "./util/keyed_lock.ts";
import { BODY_CLIENT_OPTIONS } from "./util/body_client.ts";

const CLOUD_NAMES: Record<Config["azureCloud"], AzureCloudName> = {
  AzureCloud: "public",
  AzureChinaCloud: "china",
  AzureUSGovernment: "usgov",
};

const SERVICE_ACCOUNT_NAMESPACE =
  "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return undefined;
  }
}

function buildCaches(
  kinds: KindApis,
  kube: KubeClient,
  config: Config,
  logger: Logger,
): Caches {
  const namespaces = config.watchNamespaces.length > 0
    ? config.watchNamespaces
    : undefined;
  const serviceNamespaces =
    namespaces && !namespaces.includes(config.operatorNamespace)
      ? [...namespaces, config.operatorNamespace]
      : namespaces;
  const common = { logger, namespaces };
  return {
    apimServices: new Cache({
      ...common,
      api: kinds.apimServices,
      namespaces: serviceNamespaces,
    }),
    apimApis: new Cache({ ...common, api: kinds.apimApis }),
    apimApiDeployments: new Cache({ ...common, api: kinds.apimApiDeployments }),
    apimProducts: new Cache({ ...common, api: kinds.apimProducts }),
    apimTags: new Cache({ ...common, api: kinds.apimTags }),
    apimApiVersionSets: new Cache({
      ...common,
      api: kinds.apimApiVersionSets,
      namespaces: serviceNamespaces,
    }),
    apimInboundPolicies: new Cache({
      ...common,
      api: kinds.apimInboundPolicies,
    }),
    replicaSets: new Cache({
      ...common,
      api: new ResourceApi(kube, replicaSets, decodeReplicaSetRecord),
    }),
    ingresses: new Cache({
      ...common,
      api: new ResourceApi(kube, ingresses, decodeIngressRecord),
    }),
  };
}

function buildControllers(ctx: OperatorContext, workers: number): Controller[] {
  return [
    apimServiceController(ctx, 1),
    apimProductController(ctx, workers),
    apimTagController(ctx, workers),
    apimApiVersionSetController(ctx, workers),
    replicaSetWatcher(ctx, workers),
    apimApiDeploymentController(ctx, workers),
    apimApiController(ctx, workers),
    apimInboundPolicyController(ctx, workers),
    apimApiPolicyController(ctx, workers),
  ];
}

/** Runs the operator until `signal` aborts. */
export async function runOperator(
  config: Config,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  const connection = await loadConnection({
    kubeconfig: config.kubeconfig,
    context: config.kubeContext,
    logger,
  });
  const kube = new KubeClient(connection, { logger });
  const cloud = AZURE_CLOUDS[CLOUD_NAMES[config.azureCloud]];
  const tokenSource = createTokenSource(Deno.env.toObject(), {
    scope: cloud.armScope,
    cloud: CLOUD_NAMES[config.azureCloud],
    ...(config.authorityHost ? { authorityHost: config.authorityHost } : {}),
  });
  const registry = new MetricsRegistry();
  const metrics = new OperatorMetrics(registry);
  metrics.tokenRequests.collectWith(() => [[{}, tokenSource.tokenRequests]]);
  metrics.tokenFailures.collectWith(() => [[{}, tokenSource.tokenFailures]]);
  const armBodyClient = Deno.createHttpClient(BODY_CLIENT_OPTIONS);
  const arm = new ArmClient({
    tokenSource,
    baseUrl: config.armEndpoint ?? cloud.armEndpoint,
    apiVersion: config.apiVersion,
    writeLimit: new KeyedSemaphore(config.maxConcurrentWritesPerService),
    budget: new RequestBudget(),
    instance: config.instanceId,
    bodyClient: armBodyClient,
    onRequest: (event) => metrics.observeArmRequest(event),
    logger,
  });
  const kinds: KindApis = {
    apimServices: new ResourceApi(
      kube,
      apimServices,
      (v) => apimServiceSchema.parse(v),
    ),
    apimApis: new ResourceApi(kube, apimApis, (v) => apimApiSchema.parse(v)),
    apimApiDeployments: new ResourceApi(
      kube,
      apimApiDeployments,
      (v) => apimApiDeploymentSchema.parse(v),
    ),
    apimProducts: new ResourceApi(
      kube,
      apimProducts,
      (v) => apimProductSchema.parse(v),
    ),
    apimTags: new ResourceApi(kube, apimTags, (v) => apimTagSchema.parse(v)),
    apimApiVersionSets: new ResourceApi(
      kube,
      apimApiVersionSets,
      (v) => apimApiVersionSetSchema.parse(v),
    ),
    apimInboundPolicies: new ResourceApi(
      kube,
      apimInboundPolicies,
      (v) => apimInboundPolicySchema.parse(v),
    ),
  };
  const caches = buildCaches(kinds, kube, config, logger);
  metrics.countApis(() => caches.apimApis.list());
  const ctx: OperatorContext = {
    logger,
    clock: systemClock,
    random: Math.random,
    settings: {
      operatorNamespace: config.operatorNamespace,
      resyncPeriodMs: config.resyncPeriodMs,
      importBudgetMs: config.importBudgetMs,
      unconfirmedWriteWaitMs: config.unconfirmedWriteWaitMs,
      adoptUnmanaged: config.adoptUnmanaged,
      openApi: {
        timeoutMs: config.openApiTimeoutMs,
        maxBytes: config.openApiMaxBytes,
        resolveHost: proxyAwareResolver(Deno.env.toObject()),
      },
    },
    arm,
    kinds,
    caches,
    events: new EventRecorder({
      client: kube,
      reportingController: "apim.operator.io/azure-apim-operator",
      reportingInstance: config.instanceId,
      logger,
    }),
    metrics,
    apiLocks: new KeyedLock(),
  };
  const allCaches = Object.entries(caches);
  const elector = config.leaderElect
    ? new LeaderElector({
      client: kube,
      namespace: config.leaderElectionNamespace,
      name: config.leaderElectionId,
      identity: config.instanceId,
      leaseDurationMs: config.leaseDurationMs,
      renewDeadlineMs: config.renewDeadlineMs,
      retryPeriodMs: config.retryPeriodMs,
      logger,
    })
    : undefined;
  const terms = new ControllerTerms(
    ctx,
    (termCtx) => buildControllers(termCtx, config.workers),
    () => elector?.holdsLease() ?? true,
  );
  const servers: Promise<void>[] = [];
  if (config.metricsAddress) {
    // Awaited: a broken certificate directory stops the start instead of running without metrics.
    const metricsServer = await serveMetrics({
      ...config.metricsAddress,
      registry,
      secure: config.metricsSecure,
      ...(config.metricsCertDir ? { certDir: config.metricsCertDir } : {}),
      kube,
      logger,
      signal,
    });
    servers.push(metricsServer.finished);
  }
  if (config.healthProbeAddress) {
    servers.push(
      serveHttp({
        ...config.healthProbeAddress,
        name: "probes",
        handler: probeHandler([{ name: "ping", check: () => undefined }, {
          name: "controllers",
          check: () =>
            livenessProblem({
              now: ctx.clock.now(),
              electionHeartbeatAt: elector?.heartbeatAt,
              ...terms.livenessFacts(),
            }),
        }], [{
          name: "caches",
          check: () => {
            const pending = allCaches.filter(([, cache]) => !cache.synced).map((
              [name],
            ) => name);
            return pending.length === 0
              ? undefined
              : `not synced: ${pending.join(", ")}`;
          },
        }]),
        logger,
        signal,
      }).finished,
    );
  }
  const cacheRuns = allCaches.map(([, cache]) => cache.run(signal));
  metrics.reportLeadership(
    config.leaderElectionId,
    () => elector?.isLeader ?? true,
  );
  const work = elector
    ? elector.run((t) => terms.run(t), signal)
    : terms.run(signal);
  await Promise.allSettled([work, ...cacheRuns, ...servers]).then((results) => {
    for (const result of results) {
      if (result.status === "rejected" && !signal.aborted) {
        logger.error("Operator component failed", errorFields(result.reason));
      }
    }
  });
  kube.close();
  armBodyClient.close();
}

async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig({
      args: Deno.args,
      env: Deno.env.toObject(),
      ...(await readOptional(SERVICE_ACCOUNT_NAMESPACE).then((ns) =>
        ns === undefined ? {} : { serviceAccountNamespace: ns }
      )),
      hostname: Deno.env.get("HOSTNAME") ?? Deno.hostname(),
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    new Logger().error(`Invalid configuration: ${error.message}`);
    return 2;
  }
  const logger = new Logger({
    level: config.logLevel,
    format: config.logFormat,
  });
  const shutdown = new AbortController();
  const stop = (name: string) => () => {
    logger.info("Shutting down", { signal: name });
    shutdown.abort(new Error(`received ${name}`));
  };
  Deno.addSignalListener("SIGTERM", stop("SIGTERM"));
  Deno.addSignalListener("SIGINT", stop("SIGINT"));
  logger.info("Starting azure-apim-operator", {
    operatorNamespace: config.operatorNamespace,
    watchNamespaces: config.watchNamespaces.length
      ? config.watchNamespaces
      : "all",
    leaderElect: config.leaderElect,
    apiVersion: config.apiVersion,
    armEndpoint: config.armEndpoint ?? config.azureCloud,
  });
  try {
    await runOperator(config, logger, shutdown.signal);
  } catch (error) {
    if (error instanceof CredentialConfigError) {
      logger.error(`Invalid Azure credentials configuration: ${error.message}`);
      return 2;
    }
    logger.error("Operator failed", errorFields(error));
    return 1;
  }
  logger.info("Stopped");
  return 0;
}

if (import.meta.main) Deno.exit(await main());
