// Microsoft Entra ID simulator: OpenID metadata, JWKS and the v2.0 client-credentials token endpoint over HTTPS.

import { type Clock, systemClock } from "../../src/util/clock.ts";
import type { TestTls } from "../support/test_tls.ts";
import type { AuthResult } from "./auth_result.ts";
import {
  AccessTokens,
  DEFAULT_ARM_AUDIENCES,
  objectIdFor,
} from "./entra/access_tokens.ts";
import {
  type AadError,
  aadErrorResponse,
  tokenRequestThrottled,
  unknownTenant,
} from "./entra/aad_errors.ts";
import type { SigningAlgorithm } from "./entra/jwt.ts";
import {
  authenticateClient,
  type EntraClient,
  parseTokenForm,
  resourceFromScope,
} from "./entra/token_request.ts";
import { type HttpsServer, serveHttps } from "./https_server.ts";

export type {
  EntraClient,
  FederatedCredential,
} from "./entra/token_request.ts";
export {
  JWT_BEARER_ASSERTION_TYPE,
  TOKEN_EXCHANGE_AUDIENCE,
} from "./entra/token_request.ts";
export type { AadError } from "./entra/aad_errors.ts";

/** Options of {@linkcode startEntraSimulator}. */
export interface EntraSimulatorOptions {
  /** Server certificate and CA (see test/support/test_tls.ts). */
  tls: TestTls;
  /** The one tenant this Entra knows (GUID). */
  tenantId: string;
  /** Registered app registrations (secrets and/or federated credentials). */
  clients: EntraClient[];
  /** Lifetime of issued access tokens in seconds (default 3600); also settable at runtime. */
  tokenLifetimeSeconds?: number;
  /** Audiences ARM accepts and scopes the token endpoint serves (default: the public-cloud ARM audiences). */
  armAudiences?: readonly string[];
  /** Token signature algorithm (default RS256, like Entra). */
  algorithm?: SigningAlgorithm;
  /** Clock for `iat`/`exp` and token checks (default: the system clock). */
  clock?: Clock;
  /** Leeway for `exp`/`nbf` in {@linkcode EntraSimulator.verifyAccessToken} (default 0). */
  clockSkewSeconds?: number;
  /** Fixed port (default: a free one). */
  port?: number;
}

/** One request the simulator answered. */
export interface EntraRequestRecord {
  method: string;
  path: string;
  status: number;
  /** Clock time in ms. */
  at: number;
  grantType?: string;
  clientId?: string;
}

interface InjectedFailure {
  remaining: number;
  error: AadError;
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" };

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: JSON_HEADERS });
}

/** A running Entra simulator. */
export class EntraSimulator {
  readonly tenantId: string;
  /** Issued-token lifetime for the next token requests (seconds). */
  tokenLifetimeSeconds: number;
  /** Optional `refresh_in` (seconds) to put into token responses. */
  refreshInSeconds: number | undefined;
  readonly #clients = new Map<string, EntraClient>();
  readonly #clock: Clock;
  readonly #audiences: readonly string[];
  readonly #tokens: AccessTokens;
  readonly #requests: EntraRequestRecord[] = [];
  readonly #failures: InjectedFailure[] = [];
  #server: HttpsServer | null = null;
  #tokensIssued = 0;

  /** Use {@linkcode startEntraSimulator}; this only wires state. */
  constructor(options: EntraSimulatorOptions) {
    this.tenantId = options.tenantId;
    this.tokenLifetimeSeconds = options.tokenLifetimeSeconds ?? 3600;
    this.refreshInSeconds = undefined;
    this.#clock = options.clock ?? systemClock;
    this.#audiences = options.armAudiences ?? DEFAULT_ARM_AUDIENCES;
    for (const client of options.clients) this.addClient(client);
    this.#tokens = new AccessTokens({
      algorithm: options.algorithm ?? "RS256",
      tenantId: options.tenantId,
      authorizationUri: () => `${this.url}/${this.tenantId}`,
      acceptedAudiences: this.#audiences,
      clockSkewSeconds: options.clockSkewSeconds ?? 0,
    });
  }

  /** Base URL, to be used as `authorityHost`. */
  get url(): string {
    if (!this.#server) throw new Error("Entra simulator is not started");
    return this.#server.url;
  }

  /** The scope a client asks for to call ARM (first accepted audience + `.default`). */
  get armScope(): string {
    return `${(this.#audiences[0] ?? "").replace(/\/$/, "")}/.default`;
  }

  /** Requests answered so far, oldest first. */
  get requests(): readonly EntraRequestRecord[] {
    return this.#requests;
  }

  /** Number of access tokens issued so far. */
  get tokensIssued(): number {
    return this.#tokensIssued;
  }

  /** Registers (or replaces) an app registration. */
  addClient(client: EntraClient): void {
    this.#clients.set(client.clientId.toLowerCase(), client);
  }

  /** The next `count` token requests fail with `error` (before any other check). */
  failNextTokenRequests(count: number, error: AadError): void {
    this.#failures.push({ remaining: count, error });
  }

  /** The next `count` token requests get 429 with `Retry-After: retryAfterSeconds`. */
  throttleNextTokenRequests(count: number, retryAfterSeconds: number): void {
    this.failNextTokenRequests(count, tokenRequestThrottled(retryAfterSeconds));
  }

  /** New signing key; without `keepOld` every token issued so far stops verifying. */
  rotateSigningKey(options: { keepOld?: boolean } = {}): void {
    this.#tokens.rotate(options.keepOld ?? false);
  }

  /**
   * Mints a token directly (no HTTP), e.g. to forge a wrong audience or tenant in a test.
   * Defaults: the first ARM audience, the simulator's tenant and lifetime.
   */
  issueToken(
    clientId: string,
    overrides: {
      audience?: string;
      tenantId?: string;
      lifetimeSeconds?: number;
    } = {},
  ): string {
    const client = this.#clients.get(clientId.toLowerCase());
    return this.#tokens.issue({
      clientId,
      objectId: client?.objectId ?? objectIdFor(clientId),
      audience: overrides.audience ?? this.#audiences[0] ?? "",
      appidacr: "1",
      lifetimeSeconds: overrides.lifetimeSeconds ?? this.tokenLifetimeSeconds,
      tenantId: overrides.tenantId ?? this.tenantId,
    }, this.#clock.now());
  }

  /** ARM-side check of an `Authorization` header (signature, tenant, audience, exp/nbf). */
  readonly verifyAccessToken = (
    authorizationHeader: string | null,
  ): AuthResult => this.#tokens.verify(authorizationHeader, this.#clock.now());

  /** Handles one HTTP request (usable without a socket). */
  readonly handle = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const record: EntraRequestRecord = {
      method: request.method,
      path: url.pathname,
      status: 0,
      at: this.#clock.now(),
    };
    const response = await this.#route(request, url, record);
    record.status = response.status;
    this.#requests.push(record);
    return response;
  };

  /** Starts serving HTTPS (called by {@linkcode startEntraSimulator}). */
  listen(tls: TestTls, port = 0): void {
    this.#server = serveHttps(tls, this.handle, port);
  }

  /** Stops the server. */
  async stop(): Promise<void> {
    await this.#server?.shutdown();
  }

  #route(
    request: Request,
    url: URL,
    record: EntraRequestRecord,
  ): Promise<Response> | Response {
    const segments = url.pathname.split("/").filter((s) => s.length > 0);
    const [tenant, ...rest] = segments;
    const route = rest.join("/");
    if (tenant === "common" && route === "discovery/instance") {
      return this.#instanceDiscovery(url);
    }
    if (tenant === undefined) return json({ error: "not_found" }, 404);
    const known = tenant.toLowerCase() === this.tenantId.toLowerCase();
    if (
      request.method === "GET" &&
      route === "v2.0/.well-known/openid-configuration"
    ) {
      return known
        ? json(this.#openIdConfiguration())
        : this.#aad(unknownTenant(tenant));
    }
    if (request.method === "GET" && route === "discovery/v2.0/keys") {
      return known
        ? json({ keys: this.#tokens.jwks() })
        : this.#aad(unknownTenant(tenant));
    }
    if (request.method === "POST" && route === "oauth2/v2.0/token") {
      return this.#token(request, tenant, known, record);
    }
    return json({ error: "not_found" }, 404);
  }

  #aad(error: AadError): Response {
    return aadErrorResponse(error, new Date(this.#clock.now()));
  }

  #openIdConfiguration(): Record<string, unknown> {
    const base = `${this.url}/${this.tenantId}`;
    return {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: [
        "client_secret_post",
        "private_key_jwt",
        "client_secret_basic",
      ],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ["query", "fragment", "form_post"],
      subject_types_supported: ["pairwise"],
      id_token_signing_alg_values_supported: ["RS256"],
      response_types_supported: [
        "code",
        "id_token",
        "code id_token",
        "id_token token",
      ],
      scopes_supported: ["openid", "profile", "email", "offline_access"],
      issuer: `${base}/v2.0`,
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      tenant_region_scope: "EU",
      cloud_instance_name: new URL(this.url).host,
    };
  }

  #instanceDiscovery(url: URL): Response {
    const host = new URL(this.url).host;
    const tenant = /\/([^/]+)\/oauth2\/v2\.0\/authorize/.exec(
      url.searchParams.get("authorization_endpoint") ?? "",
    )?.[1] ?? this.tenantId;
    return json({
      tenant_discovery_endpoint:
        `${this.url}/${tenant}/v2.0/.well-known/openid-configuration`,
      "api-version": "1.1",
      metadata: [{
        preferred_network: host,
        preferred_cache: host,
        aliases: [host],
      }],
    });
  }

  #takeInjectedFailure(): AadError | null {
    const next = this.#failures[0];
    if (!next) return null;
    next.remaining -= 1;
    if (next.remaining <= 0) this.#failures.shift();
    return next.error;
  }

  async #token(
    request: Request,
    tenant: string,
    knownTenant: boolean,
    record: EntraRequestRecord,
  ): Promise<Response> {
    const form = parseTokenForm(await request.text());
    if (form.grant_type !== undefined) record.grantType = form.grant_type;
    if (form.client_id !== undefined) record.clientId = form.client_id;
    const injected = this.#takeInjectedFailure();
    if (injected) return this.#aad(injected);
    if (!knownTenant) return this.#aad(unknownTenant(tenant));
    const nowMs = this.#clock.now();
    const auth = authenticateClient(
      form,
      this.tenantId,
      this.#clients,
      Math.floor(nowMs / 1000),
    );
    if (!auth.ok) return this.#aad(auth.error);
    const scope = resourceFromScope(form.scope, this.#audiences, this.tenantId);
    if (!scope.ok) return this.#aad(scope.error);
    const lifetime = this.tokenLifetimeSeconds;
    const accessToken = this.#tokens.issue({
      clientId: auth.client.clientId,
      objectId: auth.client.objectId ?? objectIdFor(auth.client.clientId),
      audience: scope.resource,
      appidacr: auth.appidacr,
      lifetimeSeconds: lifetime,
      tenantId: this.tenantId,
    }, nowMs);
    this.#tokensIssued += 1;
    return json({
      token_type: "Bearer",
      expires_in: lifetime,
      ext_expires_in: lifetime,
      ...(this.refreshInSeconds === undefined
        ? {}
        : { refresh_in: this.refreshInSeconds }),
      access_token: accessToken,
    });
  }
}

/** Starts an Entra simulator on 127.0.0.1 over HTTPS. */
export function startEntraSimulator(
  options: EntraSimulatorOptions,
): Promise<EntraSimulator> {
  const simulator = new EntraSimulator(options);
  simulator.listen(options.tls, options.port);
  return Promise.resolve(simulator);
}
