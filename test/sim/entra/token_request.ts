// The client-credentials token request: form parsing, client authentication (secret or federated assertion) and scope.

import { z } from "zod";
import {
  type AadError,
  expiredAssertion,
  invalidClientSecret,
  invalidScope,
  malformedAssertion,
  missingClientCredential,
  missingParameter,
  noMatchingFederatedIdentity,
  unknownClient,
  unknownResource,
  unsupportedGrantType,
} from "./aad_errors.ts";
import { decodeJwt } from "./jwt.ts";

/** Audience of Kubernetes projected tokens used for workload identity federation. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** `client_assertion_type` for JWT bearer assertions. */
export const JWT_BEARER_ASSERTION_TYPE =
  "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/** A federated identity credential on an app registration (workload identity). */
export interface FederatedCredential {
  /** Expected `iss` of the assertion (the cluster's OIDC issuer). */
  issuer: string;
  /** Expected `sub`, e.g. `system:serviceaccount:ns:sa`. */
  subject: string;
  /** Expected audience; `api://AzureADTokenExchange` when omitted. */
  audience?: string;
}

/** An app registration the simulator knows. */
export interface EntraClient {
  clientId: string;
  /** Accepted client secret; omit for assertion-only clients. */
  clientSecret?: string;
  /** `oid` of the service principal in issued tokens; derived from the client id when omitted. */
  objectId?: string;
  federatedCredentials?: FederatedCredential[];
}

const tokenFormSchema = z.object({
  grant_type: z.string().optional(),
  client_id: z.string().optional(),
  scope: z.string().optional(),
  client_secret: z.string().optional(),
  client_assertion: z.string().optional(),
  client_assertion_type: z.string().optional(),
});

/** The fields of a token request that the simulator reads. */
export type TokenForm = z.infer<typeof tokenFormSchema>;

/** Parses an `application/x-www-form-urlencoded` token request body. */
export function parseTokenForm(body: string): TokenForm {
  return tokenFormSchema.parse(
    Object.fromEntries(new URLSearchParams(body)),
  );
}

/** An authenticated client and how it proved itself (`appidacr` 1 = secret, 2 = assertion). */
export type ClientAuthOutcome =
  | { ok: true; client: EntraClient; appidacr: "1" | "2" }
  | { ok: false; error: AadError };

function failure(error: AadError): { ok: false; error: AadError } {
  return { ok: false, error };
}

function audiences(aud: unknown): string[] {
  if (typeof aud === "string") return [aud];
  return Array.isArray(aud)
    ? aud.filter((a): a is string => typeof a === "string")
    : [];
}

function checkAssertion(
  client: EntraClient,
  assertion: string,
  nowSeconds: number,
): ClientAuthOutcome {
  const jwt = decodeJwt(assertion);
  if (!jwt) return failure(malformedAssertion());
  const { iss, sub, aud, exp } = jwt.payload;
  if (typeof exp === "number" && exp <= nowSeconds) {
    return failure(expiredAssertion());
  }
  const issuer = typeof iss === "string" ? iss : "";
  const subject = typeof sub === "string" ? sub : "";
  const presented = audiences(aud);
  const match = (client.federatedCredentials ?? []).some((fc) =>
    fc.issuer === issuer && fc.subject === subject &&
    presented.includes(fc.audience ?? TOKEN_EXCHANGE_AUDIENCE)
  );
  return match ? { ok: true, client, appidacr: "2" } : failure(
    noMatchingFederatedIdentity(issuer, subject, presented.join(",")),
  );
}

/** Checks grant type, client id and the client's secret or federated assertion. */
export function authenticateClient(
  form: TokenForm,
  tenantId: string,
  clients: ReadonlyMap<string, EntraClient>,
  nowSeconds: number,
): ClientAuthOutcome {
  if (!form.grant_type) return failure(missingParameter("grant_type"));
  if (form.grant_type !== "client_credentials") {
    return failure(unsupportedGrantType(form.grant_type));
  }
  if (!form.client_id) return failure(missingParameter("client_id"));
  const client = clients.get(form.client_id.toLowerCase());
  if (!client) return failure(unknownClient(form.client_id, tenantId));
  if (form.client_assertion !== undefined) {
    if (form.client_assertion_type !== JWT_BEARER_ASSERTION_TYPE) {
      return failure(missingParameter("client_assertion_type"));
    }
    return checkAssertion(client, form.client_assertion, nowSeconds);
  }
  if (form.client_secret !== undefined) {
    return client.clientSecret !== undefined &&
        client.clientSecret === form.client_secret
      ? { ok: true, client, appidacr: "1" }
      : failure(invalidClientSecret(form.client_id));
  }
  return failure(missingClientCredential());
}

function withoutTrailingSlash(s: string): string {
  return s.replace(/\/+$/, "");
}

/**
 * The OpenID Connect scopes, which Entra ID accepts next to `{resource}/.default` in a
 * client-credentials request and ignores there (no user, so no ID or refresh token). MSAL for
 * Java sends `openid profile offline_access` before the scopes of every token request (its
 * ClientCredentialRequest builds an OAuthAuthorizationGrant, which starts the scope parameter with
 * AbstractMsalAuthorizationGrant.COMMON_SCOPES_PARAM), and
 * Azure Identity for Java gets ARM tokens that way. Microsoft's docs: "Scopes and permissions in
 * the Microsoft identity platform" (learn.microsoft.com/entra/identity-platform/scopes-oidc) lists
 * them as the well-defined OpenID Connect scopes, apart from resource permissions, and says a
 * client-credentials request "must include" `scope={resource}/.default`; the errors it names are
 * `.default` combined with a named permission and, in "OAuth 2.0 client credentials flow"
 * (v2-oauth2-client-creds-grant-flow), scopes for more than one resource.
 */
const OPENID_CONNECT_SCOPES = new Set([
  "openid",
  "profile",
  "offline_access",
  "email",
]);

/**
 * The resource (token audience) named by a client-credentials scope `{resource}/.default`
 * (OpenID Connect scopes aside), as spelled in `knownResources`.
 */
export function resourceFromScope(
  scope: string | undefined,
  knownResources: readonly string[],
  tenantId: string,
): { ok: true; resource: string } | { ok: false; error: AadError } {
  if (!scope) return failure(missingParameter("scope"));
  const scopes = scope.trim().split(/\s+/).filter((s) =>
    !OPENID_CONNECT_SCOPES.has(s.toLowerCase())
  );
  const only = scopes[0] ?? "";
  if (scopes.length !== 1 || !only.endsWith("/.default")) {
    return failure(invalidScope(scope));
  }
  const wanted = withoutTrailingSlash(only.slice(0, -"/.default".length));
  const resource = knownResources.find((r) =>
    withoutTrailingSlash(r).toLowerCase() === wanted.toLowerCase()
  );
  return resource === undefined
    ? failure(unknownResource(wanted, tenantId))
    : { ok: true, resource };
}
