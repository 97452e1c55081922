// Which Azure credential the process uses, decided from an environment record (pure; no globals read).

import {
  AZURE_CLOUDS,
  type AzureCloudName,
  isKnownAuthorityHost,
} from "./azure_cloud.ts";

/** A credential the operator can use; `auto` picks one from the environment. */
export type CredentialKind =
  | "workload-identity"
  | "client-secret"
  | "managed-identity"
  | "azure-cli";

/** Where Entra tokens come from and which authority issues them. */
export interface EntraAuthority {
  /** Authority host (https), e.g. `https://login.microsoftonline.com` or a local simulator. */
  authorityHost: string;
  /** True whenever the authority is not a known Microsoft host (MSAL would otherwise call login.microsoftonline.com). */
  disableInstanceDiscovery: boolean;
}

/** Workload identity: the federated service-account token file injected by the webhook. */
export interface WorkloadIdentityConfig extends EntraAuthority {
  kind: "workload-identity";
  tenantId: string;
  clientId: string;
  tokenFilePath: string;
}

/** An app registration's client secret. */
export interface ClientSecretConfig extends EntraAuthority {
  kind: "client-secret";
  tenantId: string;
  clientId: string;
  clientSecret: string;
}

/** The managed identity of the VM / node (system-assigned, or user-assigned by client id). */
export interface ManagedIdentityConfig {
  kind: "managed-identity";
  clientId?: string;
}

/** The signed-in Azure CLI user, for local development. */
export interface AzureCliConfig {
  kind: "azure-cli";
  tenantId?: string;
}

/** One resolved credential. */
export type CredentialConfig =
  | WorkloadIdentityConfig
  | ClientSecretConfig
  | ManagedIdentityConfig
  | AzureCliConfig;

/** Options for {@linkcode resolveCredentialConfigs}. */
export interface ResolveCredentialOptions {
  /** Force one credential instead of choosing from the environment. */
  kind?: CredentialKind | "auto";
  /** Cloud whose authority host is the default (public). */
  cloud?: AzureCloudName;
  /** Overrides AZURE_AUTHORITY_HOST and the cloud's authority host. */
  authorityHost?: string;
  /** Overrides the automatic choice (true for hosts that are not Microsoft's). */
  disableInstanceDiscovery?: boolean;
}

/** The environment as a record (tests pass their own; production passes `Deno.env.toObject()`). */
export type Environment = Readonly<Record<string, string | undefined>>;

/** The credential configuration is incomplete or invalid; the message names the variable. */
export class CredentialConfigError extends Error {
  override name = "CredentialConfigError";
}

function required(env: Environment, name: string, purpose: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new CredentialConfigError(
      `Missing environment variable "${name}": required for ${purpose}`,
    );
  }
  return value;
}

function optional(env: Environment, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function resolveAuthority(
  env: Environment,
  options: ResolveCredentialOptions,
): EntraAuthority {
  const source = options.authorityHost
    ? "authority host option"
    : "AZURE_AUTHORITY_HOST";
  const authorityHost = (options.authorityHost ??
    optional(env, "AZURE_AUTHORITY_HOST") ??
    AZURE_CLOUDS[options.cloud ?? "public"].authorityHost).replace(/\/+$/, "");
  let url: URL;
  try {
    url = new URL(authorityHost);
  } catch {
    throw new CredentialConfigError(
      `Invalid ${source} "${authorityHost}": not an absolute URL`,
    );
  }
  if (url.protocol !== "https:") {
    throw new CredentialConfigError(
      `Invalid ${source} "${authorityHost}": the authority must use https`,
    );
  }
  return {
    authorityHost,
    disableInstanceDiscovery: options.disableInstanceDiscovery ??
      !isKnownAuthorityHost(authorityHost),
  };
}

// An app registration in Entra: workload identity (federated token file) or client secret.
function entraApp(
  env: Environment,
  options: ResolveCredentialOptions,
  kind: "workload-identity" | "client-secret",
): WorkloadIdentityConfig | ClientSecretConfig {
  const purpose = kind === "workload-identity"
    ? "workload identity"
    : "client secret authentication";
  const app = {
    tenantId: required(env, "AZURE_TENANT_ID", purpose),
    clientId: required(env, "AZURE_CLIENT_ID", purpose),
  };
  return kind === "workload-identity"
    ? {
      kind,
      ...app,
      tokenFilePath: required(env, "AZURE_FEDERATED_TOKEN_FILE", purpose),
      ...resolveAuthority(env, options),
    }
    : {
      kind,
      ...app,
      clientSecret: required(env, "AZURE_CLIENT_SECRET", purpose),
      ...resolveAuthority(env, options),
    };
}

function managedIdentity(env: Environment): ManagedIdentityConfig {
  const clientId = optional(env, "AZURE_CLIENT_ID");
  return clientId
    ? { kind: "managed-identity", clientId }
    : { kind: "managed-identity" };
}

function azureCli(env: Environment): AzureCliConfig {
  const tenantId = optional(env, "AZURE_TENANT_ID");
  return tenantId ? { kind: "azure-cli", tenantId } : { kind: "azure-cli" };
}

/**
 * The credential chain to use, first choice first. An explicit `kind` gives exactly that
 * credential. `auto` picks workload identity when AZURE_FEDERATED_TOKEN_FILE is set, else a
 * client secret when AZURE_CLIENT_SECRET is set, else managed identity falling back to the
 * Azure CLI (local development).
 *
 * @throws {CredentialConfigError} naming the missing or invalid variable
 */
export function resolveCredentialConfigs(
  env: Environment,
  options: ResolveCredentialOptions = {},
): CredentialConfig[] {
  const kind = options.kind ?? "auto";
  switch (kind) {
    case "workload-identity":
    case "client-secret":
      return [entraApp(env, options, kind)];
    case "managed-identity":
      return [managedIdentity(env)];
    case "azure-cli":
      return [azureCli(env)];
    case "auto":
      if (optional(env, "AZURE_FEDERATED_TOKEN_FILE")) {
        return [entraApp(env, options, "workload-identity")];
      }
      if (optional(env, "AZURE_CLIENT_SECRET")) {
        return [entraApp(env, options, "client-secret")];
      }
      return [managedIdentity(env), azureCli(env)];
  }
}
