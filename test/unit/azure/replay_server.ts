// A fake ARM that answers from a recording: each request gets the next unused recorded answer to the same method, path and query.
//
// Absolute URLs in the recorded answers (Location, Azure-AsyncOperation, nextLink) are moved to
// the fake ARM's origin so the client follows them. A request the recording does not hold, or one
// whose If-Match differs from the recorded one (when the recording sent one), is answered 599 with
// the reason, and kept in `problems`.

import {
  type Interaction,
  REPLAY_NAMES,
  withNames,
} from "../../support/azure_recordings.ts";
import {
  FAKE_ARM_ORIGIN,
  type FakeHandler,
  type RecordedRequest,
} from "./arm_fakes.ts";

/** Hosts of the recorded ARM endpoints (public Azure and the dogfood ARM of the .NET recordings). */
const RECORDED_ORIGINS =
  /https:\/\/(?:management\.azure\.com|api-dogfood\.resources\.windows-int\.net)(?::443)?/g;

function onFakeOrigin(text: string): string {
  return text.replace(RECORDED_ORIGINS, FAKE_ARM_ORIGIN);
}

function requestKey(method: string, url: URL): string {
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join("&");
  return `${method} ${decodeURIComponent(url.pathname).toLowerCase()}?${query}`;
}

/** Serves the recorded answers of `interactions` (placeholders replaced by the replay names). */
export class ReplayServer {
  readonly #pending: Interaction[];
  /** Requests that found no recorded answer or broke the recorded precondition. */
  readonly problems: string[] = [];
  /** Recorded interactions answered, by source index, in order. */
  readonly served: number[] = [];

  constructor(interactions: readonly Interaction[]) {
    this.#pending = interactions.map((i) => withNames(i, REPLAY_NAMES));
  }

  readonly handler: FakeHandler = (request: RecordedRequest) => {
    const key = requestKey(request.method, request.url);
    const index = this.#pending.findIndex((i) =>
      requestKey(
        i.request.method,
        new URL(onFakeOrigin(i.request.url), FAKE_ARM_ORIGIN),
      ) === key
    );
    const found = this.#pending[index];
    if (!found) return this.#problem(`no recorded answer to ${key}`);
    const recordedIfMatch = found.request.headers["If-Match"];
    const sentIfMatch = request.headers.get("if-match");
    if (recordedIfMatch !== undefined && sentIfMatch !== recordedIfMatch) {
      return this.#problem(
        `${key}: If-Match ${sentIfMatch} instead of the recorded ${recordedIfMatch}`,
      );
    }
    this.#pending.splice(index, 1);
    this.served.push(found.index);
    const { status, headers, body } = found.response;
    const sent = new Headers();
    for (const [name, value] of Object.entries(headers)) {
      sent.set(name, onFakeOrigin(value));
    }
    const text = body === "" ? null : onFakeOrigin(JSON.stringify(body));
    return new Response(text, { status, headers: sent });
  };

  #problem(reason: string): Response {
    this.problems.push(reason);
    return new Response(reason, { status: 599 });
  }
}
