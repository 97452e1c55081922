// Operator configuration: command-line flags and environment variables, validated once at start.
import { parseArgs } from "node:util";
import { z } from "zod";

/** Azure clouds the operator knows the endpoints of. */
export const azureClouds = [
  "AzureCloud",
  "AzureChinaCloud",
  "AzureUSGovernment",
] as const;

/** Validated operator configuration. */
export interface Config {
  kubeconfig?: string;
  kubeContext?: string;
  /** Namespace the operator runs in: leases live there and APIMService references fall back to it. */
  operatorNamespace: string;
  /** Namespaces to watch; empty means all. */
  watchNamespaces: string[];
  leaderElect: boolean;
  leaderElectionId: string;
  leaderElectionNamespace: string;
  /** Lease timing (client-go's defaults: 15 s, 10 s, 2 s). */
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** host:port for /healthz and /readyz; undefined disables. */
  healthProbeAddress?: HostPort;
  /** host:port for /metrics; undefined disables. */
  metricsAddress?: HostPort;
  metricsSecure: boolean;
  metricsCertDir?: string;
  logLevel: "debug" | "info" | "warn" | "error";
  logFormat: "json" | "text";
  azureCloud: (typeof azureClouds)[number];
  /** ARM base URL; overrides the cloud's (the simulator, private endpoints). */
  armEndpoint?: string;
  /** Entra authority host; overrides the cloud's and AZURE_AUTHORITY_HOST. */
  authorityHost?: string;
  apiVersion: "2024-05-01" | "2022-08-01";
  resyncPeriodMs: number;
  workers: number;
  maxConcurrentWritesPerService: number;
  importBudgetMs: number;
  unconfirmedWriteWaitMs: number;
  adoptUnmanaged: boolean;
  openApiTimeoutMs: number;
  openApiMaxBytes: number;
  instanceId: string;
}

/** A listen address. */
export interface HostPort {
  hostname: string;
  port: number;
}

/** Thrown for a bad flag or environment value; the message names the flag and the value. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

const FLAGS = {
  "kubeconfig": { type: "string", env: "KUBECONFIG" },
  "context": { type: "string", env: "APIM_OPERATOR_KUBE_CONTEXT" },
  "operator-namespace": { type: "string", env: "OPERATOR_NAMESPACE" },
  "watch-namespaces": { type: "string", env: "WATCH_NAMESPACES" },
  "leader-elect": { type: "boolean", env: "APIM_OPERATOR_LEADER_ELECT" },
  "leader-election-id": {
    type: "string",
    env: "APIM_OPERATOR_LEADER_ELECTION_ID",
  },
  "leader-election-namespace": {
    type: "string",
    env: "APIM_OPERATOR_LEADER_ELECTION_NAMESPACE",
  },
  "leader-elect-lease-duration": {
    type: "string",
    env: "APIM_OPERATOR_LEADER_ELECT_LEASE_DURATION",
  },
  "leader-elect-renew-deadline": {
    type: "string",
    env: "APIM_OPERATOR_LEADER_ELECT_RENEW_DEADLINE",
  },
  "leader-elect-retry-period": {
    type: "string",
    env: "APIM_OPERATOR_LEADER_ELECT_RETRY_PERIOD",
  },
  "health-probe-bind-address": {
    type: "string",
    env: "APIM_OPERATOR_HEALTH_PROBE_ADDRESS",
  },
  "metrics-bind-address": {
    type: "string",
    env: "APIM_OPERATOR_METRICS_ADDRESS",
  },
  "metrics-secure": { type: "boolean", env: "APIM_OPERATOR_METRICS_SECURE" },
  "metrics-cert-dir": { type: "string", env: "APIM_OPERATOR_METRICS_CERT_DIR" },
  "log-level": { type: "string", env: "APIM_OPERATOR_LOG_LEVEL" },
  "log-format": { type: "string", env: "APIM_OPERATOR_LOG_FORMAT" },
  "azure-cloud": { type: "string", env: "AZURE_CLOUD" },
  "arm-endpoint": { type: "string", env: "ARM_ENDPOINT" },
  "authority-host": { type: "string", env: "APIM_OPERATOR_AUTHORITY_HOST" },
  "api-version": { type: "string", env: "APIM_OPERATOR_API_VERSION" },
  "resync-period": { type: "string", env: "APIM_OPERATOR_RESYNC_PERIOD" },
  "workers": { type: "string", env: "APIM_OPERATOR_WORKERS" },
  "max-concurrent-writes": {
    type: "string",
    env: "APIM_OPERATOR_MAX_CONCURRENT_WRITES",
  },
  "import-budget": { type: "string", env: "APIM_OPERATOR_IMPORT_BUDGET" },
  "unconfirmed-write-wait": {
    type: "string",
    env: "APIM_OPERATOR_UNCONFIRMED_WRITE_WAIT",
  },
  "adopt-unmanaged": { type: "boolean", env: "APIM_OPERATOR_ADOPT_UNMANAGED" },
  "openapi-timeout": { type: "string", env: "APIM_OPERATOR_OPENAPI_TIMEOUT" },
  "openapi-max-bytes": {
    type: "string",
    env: "APIM_OPERATOR_OPENAPI_MAX_BYTES",
  },
} as const;

type FlagName = keyof typeof FLAGS;

const BOOLEAN_FLAGS: ReadonlySet<string> = new Set(
  Object.entries(FLAGS).filter(([, def]) => def.type === "boolean").map((
    [name],
  ) => name),
);

/** Parses a duration such as `90s`, `30m`, `1h`, `1h30m` or `500ms` into milliseconds. */
export function parseDuration(text: string): number {
  const units: Record<string, number> = {
    ms: 1,
    s: 1000,
    m: 60_000,
    h: 3_600_000,
  };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new ConfigError(
      `"${text}" is not a duration: use forms like 90s, 30m, 1h`,
    );
  }
  return parts.reduce(
    (sum, p) => sum + Number(p[1]) * (units[p[2] ?? "ms"] ?? 1),
    0,
  );
}

/** Parses `host:port`, `:port` (all interfaces) or `0` (disabled). */
export function parseAddress(text: string): HostPort | undefined {
  if (text === "0" || text === "") return undefined;
  const match = text.match(/^(\[[^\]]+\]|[^:]*):(\d{1,5})$/);
  const port = Number(match?.[2]);
  if (!match || !(port >= 0 && port <= 65535)) {
    throw new ConfigError(
      `"${text}" is not a listen address: use host:port, :port or 0`,
    );
  }
  const host = (match[1] ?? "").replace(/^\[|\]$/g, "");
  return { hostname: host === "" ? "0.0.0.0" : host, port };
}

const schema = z.object({
  logLevel: z.enum(["debug", "info", "warn", "error"]),
  logFormat: z.enum(["json", "text"]),
  azureCloud: z.enum(azureClouds),
  apiVersion: z.enum(["2024-05-01", "2022-08-01"]),
  armEndpoint: z.url({ protocol: /^https$/ }).optional(),
  authorityHost: z.url({ protocol: /^https$/ }).optional(),
  workers: z.number().int().min(1).max(64),
  maxConcurrentWritesPerService: z.number().int().min(1).max(100),
  openApiMaxBytes: z.number().int().min(1024).max(64 * 1024 * 1024),
});

function integer(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value)) {
    throw new ConfigError(`--${name}: "${text}" is not an integer`);
  }
  return value;
}

/** Lease timings, checked the way client-go checks them (lease > deadline > 1.2 × retry period). */
function leaseTiming(
  leaseDurationMs: number,
  renewDeadlineMs: number,
  retryPeriodMs: number,
): Pick<Config, "leaseDurationMs" | "renewDeadlineMs" | "retryPeriodMs"> {
  if (leaseDurationMs <= renewDeadlineMs) {
    throw new ConfigError(
      "--leader-elect-lease-duration: must be longer than --leader-elect-renew-deadline",
    );
  }
  if (renewDeadlineMs <= 1.2 * retryPeriodMs) {
    throw new ConfigError(
      "--leader-elect-renew-deadline: must be longer than 1.2 × --leader-elect-retry-period",
    );
  }
  return { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}

/** Inputs of {@linkcode loadConfig}: argv, environment, and the service-account namespace file's content. */
export interface ConfigSources {
  args: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  serviceAccountNamespace?: string;
  hostname?: string;
}

/** Builds the configuration; flags win over environment variables. Throws {@linkcode ConfigError}. */
export function loadConfig(sources: ConfigSources): Config {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      // Boolean flags take `--flag`, `--flag=true` and `--flag=false` (like Go's flag package).
      args: sources.args.map((arg) =>
        BOOLEAN_FLAGS.has(arg.slice(2)) ? `${arg}=true` : arg
      ),
      options: Object.fromEntries(
        Object.keys(FLAGS).map((name) => [name, { type: "string" as const }]),
      ),
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new ConfigError(
      error instanceof Error ? error.message : String(error),
    );
  }
  const raw = (name: FlagName): string | undefined => {
    const value = parsed.values[name];
    if (typeof value === "string") return value;
    if (typeof value === "boolean") return String(value);
    const fromEnv = sources.env[FLAGS[name].env];
    return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
  };
  const bool = (name: FlagName, fallback: boolean): boolean => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(value)) return true;
    if (/^(false|0|no)$/i.test(value)) return false;
    throw new ConfigError(`--${name}: "${value}" is not a boolean`);
  };
  const duration = (name: FlagName, fallback: string): number => {
    try {
      return parseDuration(raw(name) ?? fallback);
    } catch (error) {
      throw new ConfigError(`--${name}: ${(error as Error).message}`);
    }
  };
  const address = (name: FlagName, fallback: string): HostPort | undefined => {
    try {
      return parseAddress(raw(name) ?? fallback);
    } catch (error) {
      throw new ConfigError(`--${name}: ${(error as Error).message}`);
    }
  };
  const operatorNamespace = raw("operator-namespace") ??
    sources.env["POD_NAMESPACE"] ?? sources.serviceAccountNamespace?.trim() ??
    "apim-operator";
  const checked = schema.safeParse({
    logLevel: raw("log-level") ?? "info",
    logFormat: raw("log-format") ?? "json",
    azureCloud: raw("azure-cloud") ?? "AzureCloud",
    apiVersion: raw("api-version") ?? "2024-05-01",
    armEndpoint: raw("arm-endpoint"),
    authorityHost: raw("authority-host"),
    workers: integer("workers", raw("workers") ?? "16"),
    maxConcurrentWritesPerService: integer(
      "max-concurrent-writes",
      raw("max-concurrent-writes") ?? "4",
    ),
    openApiMaxBytes: integer(
      "openapi-max-bytes",
      raw("openapi-max-bytes") ?? String(8 << 20),
    ),
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const field = String(issue?.path[0] ?? "");
    const flag = field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new ConfigError(`--${flag}: ${issue?.message ?? "invalid value"}`);
  }
  const watch = (raw("watch-namespaces") ?? "").split(",").map((s) => s.trim())
    .filter((s) => s !== "");
  const kubeconfig = raw("kubeconfig");
  const kubeContext = raw("context");
  const metricsCertDir = raw("metrics-cert-dir");
  const healthProbeAddress = address("health-probe-bind-address", ":8081");
  const metricsAddress = address("metrics-bind-address", ":8443");
  const { armEndpoint, authorityHost, ...validated } = checked.data;
  return {
    ...validated,
    ...(kubeconfig ? { kubeconfig } : {}),
    ...(kubeContext ? { kubeContext } : {}),
    ...(armEndpoint ? { armEndpoint } : {}),
    ...(authorityHost ? { authorityHost } : {}),
    ...(metricsCertDir ? { metricsCertDir } : {}),
    ...(healthProbeAddress ? { healthProbeAddress } : {}),
    ...(metricsAddress ? { metricsAddress } : {}),
    operatorNamespace,
    watchNamespaces: watch,
    leaderElect: bool("leader-elect", false),
    leaderElectionId: raw("leader-election-id") ??
      "azure-apim-operator.apim.operator.io",
    leaderElectionNamespace: raw("leader-election-namespace") ??
      operatorNamespace,
    ...leaseTiming(
      duration("leader-elect-lease-duration", "15s"),
      duration("leader-elect-renew-deadline", "10s"),
      duration("leader-elect-retry-period", "2s"),
    ),
    metricsSecure: bool("metrics-secure", true),
    resyncPeriodMs: duration("resync-period", "1h"),
    importBudgetMs: duration("import-budget", "30m"),
    unconfirmedWriteWaitMs: duration("unconfirmed-write-wait", "60s"),
    adoptUnmanaged: bool("adopt-unmanaged", false),
    openApiTimeoutMs: duration("openapi-timeout", "15s"),
    instanceId: `${sources.hostname ?? "local"}_${
      crypto.randomUUID().slice(0, 8)
    }`,
  };
}
