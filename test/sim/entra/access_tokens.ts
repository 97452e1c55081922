// Issuing ARM access tokens (v1 claims) and checking them the way ARM's front door does.

import { createHash, randomUUID } from "node:crypto";
import type { AuthFailure, AuthResult } from "../auth_result.ts";
import {
  decodeJwt,
  type JwtClaims,
  type PublicJwk,
  type SigningAlgorithm,
  SigningKey,
} from "./jwt.ts";

/** Audiences ARM accepts in the public cloud. */
export const DEFAULT_ARM_AUDIENCES: readonly string[] = [
  "https://management.azure.com/",
  "https://management.azure.com",
  "https://management.core.windows.net/",
  "https://management.core.windows.net",
];

/** Who a token is for and how long it lives. */
export interface TokenGrant {
  clientId: string;
  objectId: string;
  audience: string;
  /** `appidacr`: "1" secret, "2" certificate/assertion. */
  appidacr: "1" | "2";
  lifetimeSeconds: number;
  /** Tenant in `tid`/`iss`; the simulator's own tenant unless a test forges another. */
  tenantId: string;
}

/** A deterministic object id for a client id, so logs and 403 messages stay stable. */
export function objectIdFor(clientId: string): string {
  const h = createHash("sha256").update(`oid:${clientId}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${
    h.slice(16, 20)
  }-${h.slice(20, 32)}`;
}

/** `M/D/YYYY h:mm:ss AM` in UTC, as ARM prints times in 401 messages. */
function armTime(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const mm = String(d.getUTCMinutes()).padStart(2, "0");
  const ss = String(d.getUTCSeconds()).padStart(2, "0");
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${
    h % 12 === 0 ? 12 : h % 12
  }:${mm}:${ss} ${h < 12 ? "AM" : "PM"}`;
}

/** Settings of {@linkcode AccessTokens}. */
export interface AccessTokensOptions {
  algorithm: SigningAlgorithm;
  tenantId: string;
  /** Authority URL for the `WWW-Authenticate` challenge (`https://host/{tenant}`). */
  authorizationUri: () => string;
  acceptedAudiences: readonly string[];
  clockSkewSeconds: number;
}

/** The signing keys, token minting and ARM-side verification. */
export class AccessTokens {
  readonly #options: AccessTokensOptions;
  #keys: SigningKey[];

  constructor(options: AccessTokensOptions) {
    this.#options = options;
    this.#keys = [SigningKey.generate(options.algorithm)];
  }

  /** The `iss` of issued tokens (Entra v1 access tokens, as ARM receives them). */
  get issuer(): string {
    return `https://sts.windows.net/${this.#options.tenantId}/`;
  }

  /** Public keys for the JWKS endpoint, newest first. */
  jwks(): PublicJwk[] {
    return this.#keys.map((k) => k.publicJwk());
  }

  /** Replaces the signing key; with `keepOld`, tokens signed by the old key stay valid. */
  rotate(keepOld: boolean): void {
    const fresh = SigningKey.generate(this.#options.algorithm);
    this.#keys = keepOld ? [fresh, ...this.#keys] : [fresh];
  }

  /** Mints a signed access token valid from `nowMs`. */
  issue(grant: TokenGrant, nowMs: number): string {
    const iat = Math.floor(nowMs / 1000);
    const issuer = `https://sts.windows.net/${grant.tenantId}/`;
    const key = this.#keys[0];
    if (!key) throw new Error("No signing key");
    return key.sign({
      aud: grant.audience,
      iss: issuer,
      iat,
      nbf: iat,
      exp: iat + grant.lifetimeSeconds,
      aio: randomUUID(),
      appid: grant.clientId,
      appidacr: grant.appidacr,
      idp: issuer,
      idtyp: "app",
      oid: grant.objectId,
      rh: randomUUID(),
      sub: grant.objectId,
      tid: grant.tenantId,
      uti: randomUUID().replaceAll("-", "").slice(0, 22),
      ver: "1.0",
    });
  }

  #fail(
    code: AuthFailure["code"],
    message: string,
    description: string,
  ): AuthFailure {
    return {
      ok: false,
      code,
      message,
      wwwAuthenticate:
        `Bearer authorization_uri="${this.#options.authorizationUri()}", error="invalid_token", error_description="${description}"`,
    };
  }

  /** ARM's check of an `Authorization` header: format, signature, tenant, audience, lifetime. */
  verify(authorizationHeader: string | null, nowMs: number): AuthResult {
    if (!authorizationHeader) {
      return this.#fail(
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is missing.",
        "The authentication failed because of missing 'Authorization' header.",
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorizationHeader.trim());
    if (!match?.[1]) {
      return this.#fail(
        "AuthenticationFailed",
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        "The authentication failed because of invalid 'Authorization' header format.",
      );
    }
    const jwt = decodeJwt(match[1]);
    const key = jwt && this.#keys.find((k) => k.kid === jwt.header.kid);
    if (!jwt || !key || !key.verifies(jwt)) {
      return this.#fail(
        "InvalidAuthenticationToken",
        "The access token is invalid.",
        "The access token is invalid.",
      );
    }
    return this.#checkClaims(jwt.payload, nowMs);
  }

  #checkClaims(claims: JwtClaims, nowMs: number): AuthResult {
    const { tid, aud, exp, nbf, appid, oid } = claims;
    const tenant = this.#options.tenantId;
    if (tid !== tenant || claims.iss !== this.issuer) {
      return this.#fail(
        "InvalidAuthenticationTokenTenant",
        `The access token is from the wrong issuer '${
          String(claims.iss)
        }'. It must match the tenant '${this.issuer}' associated with this subscription. Please use the authority (URL) 'https://login.windows.net/${tenant}' to get the token. Note, if the subscription is transferred to another tenant there is no impact to the services, but information about new tenant could take time to propagate (up to an hour). If you just transferred your subscription and see this error message, please try back later.`,
        "The access token is from the wrong issuer.",
      );
    }
    const accepted = this.#options.acceptedAudiences;
    if (typeof aud !== "string" || !accepted.includes(aud)) {
      return this.#fail(
        "InvalidAuthenticationTokenAudience",
        `The access token has been obtained for wrong audience or resource '${
          String(aud)
        }'. It should exactly match with one of the allowed audiences '${
          accepted.join("','")
        }'.`,
        "The access token has been obtained for wrong audience or resource.",
      );
    }
    const skewMs = this.#options.clockSkewSeconds * 1000;
    if (typeof nbf === "number" && nbf * 1000 > nowMs + skewMs) {
      return this.#fail(
        "InvalidAuthenticationToken",
        "The access token is not yet valid.",
        "The access token is not yet valid.",
      );
    }
    if (typeof exp !== "number" || exp * 1000 <= nowMs - skewMs) {
      return this.#fail(
        "ExpiredAuthenticationToken",
        `The access token expiry UTC time '${
          armTime(Number(exp) * 1000)
        }' is earlier than current UTC time '${armTime(nowMs)}'.`,
        "The access token has expired.",
      );
    }
    return {
      ok: true,
      principal: {
        appId: String(appid),
        objectId: String(oid),
        tenantId: tenant,
      },
    };
  }
}
