// A scriptable AccessReviewer for the tests: known tokens, allowed (user, verb, path) triples, failures.

import type {
  AccessReviewer,
  AuthenticationResult,
  AuthorizationResult,
  NonResourceAttributes,
  UserInfo,
} from "../../../src/http/access_review.ts";

/** A user with no groups and no extra. */
export function user(username: string, groups: string[] = []): UserInfo {
  return { username, groups, extra: {} };
}

/** Answers from its fields, which a test may change between calls. */
export class StubReviewer implements AccessReviewer {
  /** Token -> the user it authenticates as. */
  readonly tokens = new Map<string, UserInfo>();
  /** `"<user> <verb> <path>"` entries that are allowed (a group name also works as `<user>`). */
  readonly allowed = new Set<string>();
  /** When set, every review throws it. */
  failure: Error | undefined;
  /** When set, authorization (only) throws it. */
  authorizationFailure: Error | undefined;

  authenticate(token: string): Promise<AuthenticationResult> {
    if (this.failure) return Promise.reject(this.failure);
    const found = this.tokens.get(token);
    return Promise.resolve(
      found
        ? { authenticated: true, user: found }
        : { authenticated: false, reason: "unknown token" },
    );
  }

  authorize(
    user: UserInfo,
    attributes: NonResourceAttributes,
  ): Promise<AuthorizationResult> {
    const failure = this.failure ?? this.authorizationFailure;
    if (failure) return Promise.reject(failure);
    const subjects = [user.username, ...user.groups];
    const allowed = subjects.some((s) =>
      this.allowed.has(`${s} ${attributes.verb} ${attributes.path}`)
    );
    return Promise.resolve(
      allowed ? { allowed } : { allowed, reason: "no rule" },
    );
  }
}
