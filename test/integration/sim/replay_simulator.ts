// Replays one recording of real APIM traffic against a fresh simulator and compares every answer it claims to serve.
//
// The simulator starts with the recording's service(s), holding what a new instance holds. Each
// recorded request is sent in replay order with the recording's names, at the recorded time
// (files without dates: 5 s apart). Polls (`pollOf`) go to the Location or
// Azure-AsyncOperation URL the simulator itself answered, and an `If-Match` carrying a recorded
// ETag carries the ETag the simulator gave in the same place instead. Requests the simulator does not claim
// to serve (resources it does not simulate, methods it does not implement) are skipped with the
// reason. Deliberate differences are not decided here: see test/sim/apim/DEVIATIONS.md.

import { z } from "zod";
import type { Clock } from "../../../src/util/clock.ts";
import {
  type Interaction,
  type Recording,
  REPLAY_NAMES,
  replayOrder,
  sentBody,
  serviceOfUrl,
  withNames,
} from "../../support/azure_recordings.ts";
import {
  type ApimKnobs,
  type ApimSimulator,
  createApimSimulator,
} from "../../sim/apim_simulator.ts";
import {
  type Answer,
  compareAnswer,
  type Difference,
} from "./replay_compare.ts";

/** The simulator runs under ARM's real host, so Location and nextLink URLs compare as recorded. */
const ARM_ORIGIN = "https://management.azure.com";

/** Time between requests of recordings that carry no dates. */
const UNDATED_STEP_MS = 5_000;

/**
 * Knobs for replay: the recordings' first poll already saw the result (the 30 s the import took
 * are not replayed), and nothing is injected.
 */
const REPLAY_KNOBS: Partial<ApimKnobs> = { importPolls: 0 };

/** Request headers replayed (the pack keeps only these). */
const REQUEST_HEADERS = ["If-Match", "Content-Type", "Accept"];

/** The recorded time: set before each request (the simulator never sleeps on it). */
class ReplayClock implements Clock {
  #now: number;

  constructor(startMs: number) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  /** Moves to `ms` (never backwards). */
  moveTo(ms: number): void {
    this.#now = Math.max(this.#now, ms);
  }

  sleep(): Promise<void> {
    return Promise.reject(new Error("The replay clock does not sleep"));
  }
}

/** What happened to one recorded interaction. */
export interface ReplayedInteraction {
  interaction: Interaction;
  /** Why the simulator was not asked, when it was not. */
  skipped?: string;
  differences: Difference[];
}

/**
 * The api-version the simulator is asked with. It speaks 2022-08-01 and 2024-05-01: older
 * recordings are replayed at 2022-08-01 (the asynchronous-import shape changed only with
 * 2023-09-01-preview, reference A.2), newer previews at 2024-05-01.
 */
export function replayApiVersion(recorded: string | null): string {
  if (recorded === null) return "2024-05-01";
  return recorded < "2022-08-01"
    ? "2022-08-01"
    : recorded > "2024-05-01"
    ? "2024-05-01"
    : recorded;
}

async function readAnswer(response: Response): Promise<Answer> {
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? "" : JSON.parse(text),
  };
}

function recordedAnswer(interaction: Interaction): Answer {
  const { response } = withNames(interaction, REPLAY_NAMES);
  return {
    status: response.status,
    headers: new Headers(response.headers),
    body: response.body,
  };
}

/** The URL the simulator gave for the operation a recorded poll follows. */
function pollTarget(
  interaction: Interaction,
  answers: Map<number, Headers>,
): string | null {
  const started = answers.get(interaction.pollOf ?? -1);
  if (!started) return null;
  const path = new URL(interaction.request.url, ARM_ORIGIN).pathname;
  const followsAsyncOperation = /\/operationResults\//i.test(path);
  return started.get(
    followsAsyncOperation ? "azure-asyncoperation" : "location",
  );
}

const armErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

/**
 * Whether ARM answered that the service or its resource group is gone: the recording deleted
 * them outside APIM (those requests are not in the pack), e.g. aso-…5bac6d1#83, #84.
 */
function serviceGone(interaction: Interaction): boolean {
  const parsed = armErrorSchema.safeParse(interaction.response.body);
  if (!parsed.success || interaction.response.status !== 404) return false;
  const { code, message } = parsed.data.error;
  return code === "ResourceGroupNotFound" ||
    (code === "ResourceNotFound" &&
      message.includes("'Microsoft.ApiManagement/service/"));
}

/** What the replay of one recording keeps between requests. */
interface ReplayState {
  sim: ApimSimulator;
  /** Services already created (`subscription/group/name`). */
  services: Set<string>;
  /** The simulator's answer headers by recorded interaction (for polls). */
  answers: Map<number, Headers>;
  /** Recorded ETag -> the simulator's ETag at the same place. */
  etags: Map<string, string>;
}

/** Why the simulator is not asked this request, or null when it serves it. */
function skipReason(
  state: ReplayState,
  interaction: Interaction,
  url: URL,
): string | null {
  const methods = state.sim.methodsAt(url.pathname);
  if (methods === null || serviceOfUrl(url.pathname) === null) {
    return "resource not simulated";
  }
  const { method } = interaction.request;
  if (
    !methods.some((m) => m === method) && interaction.response.status !== 405
  ) {
    return `${method} not simulated on this resource`;
  }
  if (
    interaction.pollOf !== undefined && !state.answers.has(interaction.pollOf)
  ) {
    return `polls #${interaction.pollOf}, which was not replayed`;
  }
  return null;
}

/** Creates the service at first sight; removes it when the recording says it is gone. */
function prepareService(
  state: ReplayState,
  interaction: Interaction,
  url: URL,
) {
  const service = serviceOfUrl(url.pathname);
  if (!service) return;
  const key =
    `${service.subscriptionId}/${service.resourceGroup}/${service.name}`;
  if (!state.services.has(key)) {
    state.services.add(key);
    state.sim.addService({ ...service, defaultContent: true });
  }
  if (serviceGone(interaction)) state.sim.removeService(service);
}

async function replayOne(
  state: ReplayState,
  interaction: Interaction,
): Promise<ReplayedInteraction> {
  const named = withNames(interaction, REPLAY_NAMES);
  const url = new URL(named.request.url, ARM_ORIGIN);
  const skipped = skipReason(state, interaction, url);
  if (skipped !== null) return { interaction, skipped, differences: [] };
  prepareService(state, interaction, url);
  const target = interaction.pollOf === undefined
    ? url.href
    : pollTarget(interaction, state.answers);
  if (target === null) {
    return {
      interaction,
      differences: [{
        aspect: "poll",
        kind: "missing",
        detail: `the simulator gave no URL to poll for #${interaction.pollOf}`,
      }],
    };
  }
  const sent = new URL(target);
  sent.searchParams.set(
    "api-version",
    replayApiVersion(url.searchParams.get("api-version")),
  );
  const headers = new Headers();
  for (const name of REQUEST_HEADERS) {
    const value = named.request.headers[name];
    if (value !== undefined) headers.set(name, state.etags.get(value) ?? value);
  }
  const body = sentBody(named);
  const answer = await readAnswer(
    await state.sim.handle(
      new Request(sent, {
        method: named.request.method,
        headers,
        ...(body === "" ? {} : { body: JSON.stringify(body) }),
      }),
    ),
  );
  state.answers.set(interaction.index, answer.headers);
  const recorded = recordedAnswer(interaction);
  const recordedEtag = recorded.headers.get("etag");
  const simulatorEtag = answer.headers.get("etag");
  if (recordedEtag && simulatorEtag) {
    state.etags.set(recordedEtag, simulatorEtag);
  }
  return { interaction, differences: compareAnswer(recorded, answer) };
}

/** Replays `recording` and reports every interaction. */
export async function replayOnSimulator(
  recording: Recording,
): Promise<ReplayedInteraction[]> {
  const order = replayOrder(recording);
  const first = order.find((i) => i.recordedAt)?.recordedAt;
  const clock = new ReplayClock(
    first ? Date.parse(first) : Date.UTC(2025, 0, 1),
  );
  const state: ReplayState = {
    sim: createApimSimulator({ clock, knobs: REPLAY_KNOBS }, ARM_ORIGIN),
    services: new Set(),
    answers: new Map(),
    etags: new Map(),
  };
  const results: ReplayedInteraction[] = [];
  for (const interaction of order) {
    clock.moveTo(
      interaction.recordedAt
        ? Date.parse(interaction.recordedAt)
        : clock.now() + UNDATED_STEP_MS,
    );
    results.push(await replayOne(state, interaction));
  }
  return results;
}
