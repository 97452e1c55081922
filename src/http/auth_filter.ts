// Authentication and authorization of every request, like controller-runtime's WithAuthenticationAndAuthorization.

import { errorFields, type Logger, silentLogger } from "../log.ts";
import type { AccessReviewer } from "./access_review.ts";
import type { HttpHandler } from "./serve_http.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function plain(status: number, text: string, headers = {}): Response {
  return new Response(`${text}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", ...headers },
  });
}

function unauthorized(): Response {
  return plain(401, "Unauthorized", { "www-authenticate": "Bearer" });
}

/**
 * Wraps `handler` so that only authorized callers reach it: the `Authorization: Bearer`
 * token is authenticated (401 when missing or rejected), then the user is authorized for the
 * request's path with the lower-case method as verb (403 when denied). A reviewer that cannot
 * decide (API server unreachable) gives 500. Tokens are never logged. `request.signal` is
 * left alone (Deno warns about its legacy abort-on-success behaviour); the reviewer's own
 * request timeout bounds a review.
 */
export function withAuthenticationAndAuthorization(
  handler: HttpHandler,
  reviewer: AccessReviewer,
  logger: Logger = silentLogger,
): (request: Request) => Promise<Response> {
  return async (request: Request) => {
    const token = BEARER.exec(request.headers.get("authorization") ?? "")?.[1];
    if (token === undefined) return unauthorized();
    let authentication;
    try {
      authentication = await reviewer.authenticate(token);
    } catch (error) {
      logger.error("Authentication failed", errorFields(error));
      return plain(500, "Authentication failed");
    }
    if (!authentication.authenticated) {
      logger.debug("Rejected an unauthenticated request", {
        ...(authentication.reason ? { reason: authentication.reason } : {}),
      });
      return unauthorized();
    }
    const user = authentication.user.username;
    const attributes = {
      path: new URL(request.url).pathname,
      verb: request.method.toLowerCase(),
    };
    let authorization;
    try {
      authorization = await reviewer.authorize(authentication.user, attributes);
    } catch (error) {
      logger.error("Authorization failed", { user, ...errorFields(error) });
      return plain(500, `Authorization for user "${user}" failed`);
    }
    if (!authorization.allowed) {
      logger.debug("Denied an unauthorized request", {
        user,
        ...attributes,
        ...(authorization.reason ? { reason: authorization.reason } : {}),
      });
      return plain(403, `Authorization denied for user "${user}"`);
    }
    return await handler(request);
  };
}
