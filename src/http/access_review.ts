// Who is asking and may they: the reviewer seam between the HTTP filter and the API server's review APIs.

/** The authenticated identity of a bearer token (a TokenReview's `status.user`). */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra: Record<string, string[]>;
}

/** Outcome of authenticating a bearer token. */
export type AuthenticationResult =
  | { authenticated: true; user: UserInfo }
  | { authenticated: false; reason?: string };

/** A request on a non-resource URL, in authorization terms. */
export interface NonResourceAttributes {
  /** The URL path, e.g. `/metrics`. */
  path: string;
  /** The lower-case HTTP method, e.g. `get`. */
  verb: string;
}

/** Outcome of authorizing a user for a non-resource URL. */
export interface AuthorizationResult {
  allowed: boolean;
  reason?: string;
}

/**
 * Authenticates bearer tokens and authorizes users. Implemented against the API server
 * (TokenReview, SubjectAccessReview) and stubbed in tests. Errors (the reviewer could not
 * decide) are thrown; a denial is a result.
 */
export interface AccessReviewer {
  authenticate(
    token: string,
    signal?: AbortSignal,
  ): Promise<AuthenticationResult>;
  authorize(
    user: UserInfo,
    attributes: NonResourceAttributes,
    signal?: AbortSignal,
  ): Promise<AuthorizationResult>;
}
