// Replays every real recording in test/fixtures/azure-recordings against the APIM simulator: answers must match the recordings.
//
// One test per recording file (a file dropped in the folder is a new test). Every difference in
// status, ETag (presence, quoting), Location and Azure-AsyncOperation (presence, path, asyncId /
// asyncCode), Retry-After, Content-Type, rate-limit header names and body shape must be listed
// in test/sim/apim/DEVIATIONS.md with its reason; a row there that explains nothing fails too.

import assert from "node:assert/strict";
import {
  type Interaction,
  loadRecordings,
  type Recording,
} from "../../support/azure_recordings.ts";
import { createApimSimulator } from "../../sim/apim_simulator.ts";
import {
  type Deviation,
  explain,
  loadDeviations,
} from "./replay_deviations.ts";
import {
  type ReplayedInteraction,
  replayOnSimulator,
} from "./replay_simulator.ts";

const RECORDINGS = loadRecordings();
const DEVIATIONS = loadDeviations();

function where(recording: Recording, interaction: Interaction): string {
  const { method, url } = interaction.request;
  const path = url.replace(/^.*\/service\/[^/?]+/, "…");
  return `${recording.name}#${interaction.index} ${method} ${path}`;
}

/** Differences no deviation explains, and the deviations that explained some. */
function audit(recording: Recording, replayed: ReplayedInteraction[]) {
  const unexplained: string[] = [];
  const used = new Set<Deviation>();
  for (const { interaction, differences } of replayed) {
    for (const difference of differences) {
      const deviation = explain(
        DEVIATIONS,
        recording.name,
        interaction.index,
        difference,
      );
      if (deviation) used.add(deviation);
      else {
        unexplained.push(
          `${
            where(recording, interaction)
          }: ${difference.aspect} [${difference.kind}] ${difference.detail}`,
        );
      }
    }
  }
  return { unexplained, used };
}

Deno.test("the recording pack is there and the simulator serves a large part of it", async () => {
  assert.ok(RECORDINGS.length >= 10, `only ${RECORDINGS.length} recordings`);
  let compared = 0;
  for (const recording of RECORDINGS) {
    const replayed = await replayOnSimulator(recording);
    compared += replayed.filter((r) => r.skipped === undefined).length;
  }
  assert.ok(compared >= 150, `only ${compared} interactions were compared`);
});

for (const recording of RECORDINGS) {
  Deno.test(`replay ${recording.name} on the simulator`, async () => {
    const { unexplained } = audit(
      recording,
      await replayOnSimulator(recording),
    );
    assert.deepEqual(unexplained, []);
  });
}

Deno.test("every row of DEVIATIONS.md explains a difference the replay still finds", async () => {
  const used = new Set<Deviation>();
  for (const recording of RECORDINGS) {
    const audited = audit(recording, await replayOnSimulator(recording));
    for (const d of audited.used) used.add(d);
  }
  const stale = DEVIATIONS.filter((d) => !used.has(d)).map((d) =>
    `line ${d.line}: ${d.recordings} ${d.aspect} [${d.kind}]`
  );
  assert.deepEqual(stale, []);
});

Deno.test("the simulator sends every rate-limit header name the pack shows, for reads, writes and deletes", async () => {
  const sim = createApimSimulator();
  const service = sim.addService({
    subscriptionId: "00000000-0000-0000-0000-000000000000",
    resourceGroup: "rg",
    name: "apim",
  });
  const url = (path: string) =>
    `${sim.url}${service.resourceId}${path}?api-version=2024-05-01`;
  const names = async (method: string, path: string, body?: unknown) => {
    const response = await sim.handle(
      new Request(url(path), {
        method,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    );
    await response.body?.cancel();
    return [...response.headers.keys()];
  };
  const sent = {
    reads: await names("GET", "/apis"),
    writes: await names("PUT", "/tags/t", { properties: { displayName: "t" } }),
    deletes: await names("DELETE", "/tags/t"),
  };
  const missing = RECORDINGS.flatMap((recording) =>
    recording.interactions.flatMap((interaction) =>
      Object.keys(interaction.response.headers)
        .filter((h) => h.startsWith("x-ms-ratelimit-remaining-subscription-"))
        .filter((h) => {
          const cls = h.replace(/^.*-(reads|writes|deletes)$/, "$1");
          return !(sent[cls as keyof typeof sent] ?? []).includes(h);
        })
        .map((h) => `${where(recording, interaction)}: ${h}`)
    )
  );
  assert.deepEqual(missing, []);
});
