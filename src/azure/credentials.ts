// Builds the process's @azure/identity credential (loaded on the first token request) and its TokenSource; turns token failures into TokenRequestError.

import type { TokenCredential } from "@azure/identity";
import { z } from "zod";
import type { Clock } from "../util/clock.ts";
import {
  type CredentialConfig,
  type Environment,
  resolveCredentialConfigs,
  type ResolveCredentialOptions,
} from "./credential_config.ts";
import {
  type AccessToken,
  CachedTokenSource,
  type TokenCredentialLike,
  TokenRequestError,
} from "./token_source.ts";

/** Options for {@linkcode createTokenSource}. */
export interface CreateTokenSourceOptions extends ResolveCredentialOptions {
  /** OAuth scope of ARM tokens (`AZURE_CLOUDS[cloud].armScope`). */
  scope: string;
  clock?: Clock;
}

/** The `@azure/identity` module (its package exports only the whole library: no deep imports). */
type Identity = typeof import("@azure/identity");

function createIdentityCredential(
  identity: Identity,
  config: CredentialConfig,
): TokenCredential {
  const {
    AzureCliCredential,
    ClientSecretCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
  } = identity;
  switch (config.kind) {
    case "workload-identity":
      return new WorkloadIdentityCredential({
        tenantId: config.tenantId,
        clientId: config.clientId,
        tokenFilePath: config.tokenFilePath,
        authorityHost: config.authorityHost,
        disableInstanceDiscovery: config.disableInstanceDiscovery,
      });
    case "client-secret":
      return new ClientSecretCredential(
        config.tenantId,
        config.clientId,
        config.clientSecret,
        {
          authorityHost: config.authorityHost,
          disableInstanceDiscovery: config.disableInstanceDiscovery,
        },
      );
    case "managed-identity":
      return config.clientId
        ? new ManagedIdentityCredential({ clientId: config.clientId })
        : new ManagedIdentityCredential();
    case "azure-cli":
      return config.tenantId
        ? new AzureCliCredential({ tenantId: config.tenantId })
        : new AzureCliCredential();
  }
}

// The loose shape of errors thrown by @azure/identity and MSAL (AuthenticationError, ServerError, ...).
const identityErrorSchema = z.looseObject({
  name: z.string().optional(),
  message: z.string().optional(),
  errorCode: z.string().optional(),
  statusCode: z.number().optional(),
  status: z.number().optional(),
  errorResponse: z.looseObject({ error: z.string() }).optional(),
  cause: z.unknown().optional(),
});

type IdentityError = z.infer<typeof identityErrorSchema>;

function errorChain(error: unknown): IdentityError[] {
  const chain: IdentityError[] = [];
  let current: unknown = error;
  while (current !== undefined && chain.length < 5) {
    const parsed = identityErrorSchema.safeParse(current);
    if (!parsed.success) break;
    chain.push(parsed.data);
    current = parsed.data.cause;
  }
  return chain;
}

function scrub(text: string, secrets: readonly string[]): string {
  return secrets.reduce(
    (out, secret) => secret ? out.replaceAll(secret, "[redacted]") : out,
    text,
  );
}

/**
 * Turns whatever `@azure/identity` threw into a {@linkcode TokenRequestError} that names the
 * Entra error and AADSTS code and message, without the secret or the client assertion.
 */
export function toTokenRequestError(
  error: unknown,
  secrets: readonly string[] = [],
): TokenRequestError {
  if (error instanceof TokenRequestError) return error;
  const chain = errorChain(error);
  const text = chain.map((e) => e.message ?? "").join("\n");
  const aadsts = /AADSTS\d+:[^\r\n]*/.exec(text)?.[0];
  const aadstsCode = aadsts?.split(":")[0];
  const unavailable = chain.some((e) =>
    e.name === "CredentialUnavailableError" ||
    e.name === "AggregateAuthenticationError"
  );
  const code = chain.map((e) => e.errorResponse?.error ?? e.errorCode)
    .find((c) => c !== undefined && c !== "") ??
    (unavailable ? "CredentialUnavailable" : "TokenRequestFailed");
  const statusCode = chain.map((e) => e.statusCode ?? e.status)
    .find((s) => s !== undefined);
  const firstLine = (chain[0]?.message ?? String(error)).split(/\r?\n/)[0];
  const detail = scrub(aadsts ?? firstLine ?? "", secrets);
  return new TokenRequestError(
    `Failed to get an Azure access token: ${code}: ${detail}`,
    {
      code,
      ...(aadstsCode ? { aadstsCode } : {}),
      ...(statusCode !== undefined ? { statusCode } : {}),
    },
  );
}

// Loaded once, on the first token request: an operator that never talks to ARM (no APIMService yet)
// does not carry the library and MSAL (about 14 MiB of RSS, see bench/README.md).
let identityModule: Promise<Identity> | undefined;

/**
 * Builds the credential for a chain of configs (one credential, or a fallback chain). The
 * `@azure/identity` credential is constructed on the first `getToken`, after the library loaded.
 */
export function createCredential(
  configs: readonly CredentialConfig[],
): TokenCredentialLike {
  let credential: Promise<TokenCredential> | undefined;
  const build = async (): Promise<TokenCredential> => {
    const identity = await (identityModule ??= import("@azure/identity"));
    const credentials = configs.map((config) =>
      createIdentityCredential(identity, config)
    );
    return credentials.length === 1 && credentials[0]
      ? credentials[0]
      : new identity.ChainedTokenCredential(...credentials);
  };
  const secrets = configs.flatMap((c) =>
    c.kind === "client-secret" ? [c.clientSecret] : []
  );
  return {
    async getToken(scopes: string | string[]): Promise<AccessToken | null> {
      try {
        credential ??= build();
        return await (await credential).getToken(scopes);
      } catch (error) {
        throw toTokenRequestError(error, secrets);
      }
    },
  };
}

/**
 * The process's token source: resolves the credential from `env` (throws
 * `CredentialConfigError` naming a missing variable), caches tokens until near expiry.
 */
export function createTokenSource(
  env: Environment,
  options: CreateTokenSourceOptions,
): CachedTokenSource {
  const configs = resolveCredentialConfigs(env, options);
  return new CachedTokenSource({
    createCredential: () => createCredential(configs),
    scope: options.scope,
    ...(options.clock ? { clock: options.clock } : {}),
  });
}
