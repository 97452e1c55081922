// The verdict an ARM-side token check hands to the APIM simulator: who is calling, or why ARM says 401.

/** The caller ARM sees in a valid token. */
export interface Principal {
  /** `appid` claim: the client (application) id. */
  appId: string;
  /** `oid` claim: the service principal's object id. */
  objectId: string;
  /** `tid` claim. */
  tenantId: string;
}

/** ARM 401 error codes. */
export type AuthFailureCode =
  | "AuthenticationFailed"
  | "InvalidAuthenticationToken"
  | "InvalidAuthenticationTokenAudience"
  | "InvalidAuthenticationTokenTenant"
  | "ExpiredAuthenticationToken";

/** A rejected token: ARM answers 401 with `code`/`message` and the `WWW-Authenticate` challenge. */
export interface AuthFailure {
  ok: false;
  code: AuthFailureCode;
  message: string;
  wwwAuthenticate: string;
}

/** Result of checking an `Authorization` header. */
export type AuthResult = { ok: true; principal: Principal } | AuthFailure;

/** Verifies an `Authorization` header value (or its absence). */
export type AuthVerifier = (authorizationHeader: string | null) => AuthResult;

/** The principal used when a simulator runs without authentication. */
export const ANONYMOUS_PRINCIPAL: Principal = {
  appId: "00000000-0000-0000-0000-000000000000",
  objectId: "00000000-0000-0000-0000-000000000000",
  tenantId: "00000000-0000-0000-0000-000000000000",
};
