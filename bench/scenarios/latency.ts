// Latency: from the moment a rollout's pods are ready to the APIMAPI being Ready, and the operator's share of it.
import type { ApimKnobs } from "../../test/sim/apim_simulator.ts";
import { ApiWatch } from "../lib/api_watch.ts";
import {
  apiRequests,
  type AzureTime,
  azureTime,
  lockWindows,
  pathShape,
} from "../lib/arm_accounting.ts";
import { concerns, countKubeRequests, readAuditLog } from "../lib/audit.ts";
import { retireApis } from "../lib/cleanup.ts";
import { DocumentHost } from "../lib/documents.ts";
import { note } from "../lib/log.ts";
import {
  apimApiManifest,
  apimServiceManifest,
  type App,
  app,
  paths,
  replicaSetName,
  Writer,
} from "../lib/objects.ts";
import { BenchOperator } from "../lib/operator.ts";
import { nowMs, range, sleep } from "../lib/pool.ts";
import { infoRow, targetRow } from "../lib/report.ts";
import type { ScenarioContext, ScenarioOutput } from "../lib/scenario.ts";
import { REALISTIC_KNOBS, Simulators, ZERO_KNOBS } from "../lib/simulators.ts";
import { summarize } from "../lib/stats.ts";

/** One measured rollout. */
interface RolloutSample {
  api: string;
  revision: number;
  /** t0 (old pods gone: the rollout is complete) to the APIMAPI seen Ready for the new ReplicaSet. */
  totalMs: number;
  azure: AzureTime;
  /** totalMs - azure.totalMs. */
  overheadMs: number;
  /** t0 and t1 on the harness clock. */
  t0: number;
  t1: number;
}

interface Phase {
  name: "zero" | "realistic";
  knobs: Partial<ApimKnobs>;
  streams: number;
  rollouts: number;
}

/** How many old ReplicaSets stay (like a Deployment's revisionHistoryLimit). */
const HISTORY = 10;

async function runPhase(ctx: ScenarioContext, phase: Phase) {
  const { world } = ctx;
  const writer = new Writer(world.kube);
  const ns = `bench-latency-${phase.name}`;
  const opns = `${ns}-op`;
  await writer.namespace(ns);
  await writer.namespace(opns);
  await using sims = await Simulators.start(world.tls, phase.knobs);
  sims.addService(`apim-latency-${phase.name}`, ["starter"], ["backend"]);
  await writer.create(
    paths.apimServices(opns),
    apimServiceManifest(opns, "apim", `apim-latency-${phase.name}`),
  );
  await using docs = new DocumentHost();
  const watch = await ApiWatch.start(world.apimApis, ns);
  await using operator = BenchOperator.start(world, sims, {
    operatorNamespace: opns,
    watchNamespaces: [ns, opns],
  });
  const samples: RolloutSample[] = [];
  try {
    await operator.waitReady();
    const apps = range(phase.streams).map((i) => app(ns, `lat-${i}`));
    // First registrations (not measured): the rollouts below update registered APIs.
    await Promise.all(apps.map(async (a) => {
      const rs = await writer.replicaSet(a, 1, 1, 1);
      await writer.create(
        paths.apimApis(ns),
        apimApiManifest(ns, a.name, {
          apimService: "apim",
          serviceUrl: docs.serviceUrl(a.name),
          openApiDefinitionUrl: docs.documentUrl(a.name),
          productIds: ["starter"],
          tagIds: ["backend"],
        }),
      );
      await watch.waitFor(
        a.name,
        (s) => s.ready && s.registeredName === rs,
        180_000,
      );
    }));
    const perStream = Math.ceil(phase.rollouts / phase.streams);
    note(
      `latency ${phase.name}: ${
        perStream * phase.streams
      } rollouts in ${phase.streams} stream(s)`,
    );
    const rollout = async (a: App, revision: number): Promise<void> => {
      const oldName = replicaSetName(a, revision - 1);
      docs.bump(a.name);
      // The Deployment controller's order: new ReplicaSet, its pod ready, old one scaled down.
      const newName = await writer.replicaSet(a, revision, 1, 0);
      await writer.setReady(ns, newName, 1, 1);
      await writer.mergePatch(paths.replicaSet(ns, oldName), {
        spec: { replicas: 0 },
      });
      await sleep(300);
      // t0: the old pod stops being ready; the rollout is complete and ready.
      const t0 = nowMs();
      await writer.setReady(ns, oldName, 0, 0);
      const t1 = await watch.waitFor(
        a.name,
        (s) => s.ready && s.registeredName === newName,
        180_000,
        `APIMAPI "${a.name}" Ready for ReplicaSet "${newName}"`,
      );
      const azure = azureTime(
        sims.timings,
        a.name,
        t0,
        t1,
        lockWindows(
          sims.apim.operationHistory(),
          a.name,
          sims.apim.knobs.lockSettleMs,
        ),
      );
      samples.push({
        api: a.name,
        revision,
        totalMs: Math.round((t1 - t0) * 10) / 10,
        azure,
        overheadMs: Math.round((t1 - t0 - azure.totalMs) * 10) / 10,
        t0,
        t1,
      });
      if (revision > HISTORY) {
        await writer.delete(
          paths.replicaSet(ns, replicaSetName(a, revision - HISTORY)),
        );
      }
    };
    await Promise.all(apps.map(async (a) => {
      for (let r = 0; r < perStream; r++) await rollout(a, r + 2);
    }));
    // Each rollout's Kubernetes requests by the operator (from the API server's audit log).
    await sleep(1_000);
    const audit = await readAuditLog(world.auditLogPath);
    const kubePerRollout = samples.map((s) =>
      countKubeRequests(audit, s.t0, s.t1, (r) => concerns(r, ns, s.api))
    );
    // A timeline of the first rollouts: ARM calls, the operator's requests and log lines.
    const traces = samples.slice(0, 2).map((s) => {
      const rel = (t: number) => Math.round(t - s.t0);
      return {
        api: s.api,
        revision: s.revision,
        totalMs: s.totalMs,
        arm: apiRequests(sims.timings, s.api, s.t0, s.t1).map((t) =>
          `${rel(t.start)}..${rel(t.end)} ${t.method} ${
            pathShape(t.path)
          } ${t.status}${t.retryAfter ? ` retry-after=${t.retryAfter}` : ""}`
        ),
        kube: audit.filter((r) =>
          r.at >= s.t0 - 5 && r.at <= s.t1 && concerns(r, ns, s.api)
        ).map((r) => `${rel(r.at)} ${r.shape} ${r.code}`),
        log: operator.process.logs.filter((l) =>
          l["name"] === s.api &&
          Date.parse(String(l["time"])) >= s.t0 - 5 &&
          Date.parse(String(l["time"])) <= s.t1
        ).map((l) =>
          `${rel(Date.parse(String(l["time"])))} ${
            String(l["controller"] ?? "")
          } ${l.msg}`
        ),
      };
    });
    const shapes: Record<string, number> = {};
    for (const counts of kubePerRollout) {
      for (const [shape, n] of Object.entries(counts.byShape)) {
        shapes[shape] = (shapes[shape] ?? 0) + n / kubePerRollout.length;
      }
    }
    await retireApis(writer, watch, apps.map((a) => a.name), opns);
    return {
      knobs: phase.knobs,
      streams: phase.streams,
      total: summarize(samples.map((s) => s.totalMs)),
      azure: summarize(samples.map((s) => s.azure.totalMs)),
      overhead: summarize(samples.map((s) => s.overheadMs)),
      pollLateness: summarize(samples.map((s) => s.azure.pollLatenessMs)),
      armRequestsPerRollout: summarize(samples.map((s) => s.azure.requests)),
      kubeRequestsPerRollout: summarize(kubePerRollout.map((c) => c.total)),
      kubeRequestShapesPerRollout: Object.fromEntries(
        Object.entries(shapes).map(([k, v]) => [k, Math.round(v * 100) / 100]),
      ),
      traces,
      samples: samples.map(({ t0: _t0, t1: _t1, ...rest }) => rest),
    };
  } finally {
    await watch.stop();
  }
}

/** Rollouts with a new document each (a re-import), at zero latency and at realistic latency. */
export async function latencyScenario(
  ctx: ScenarioContext,
  out: ScenarioOutput,
): Promise<void> {
  const phases: Phase[] = [
    {
      name: "zero",
      // The API's lock after an import is Azure's wait, not the operator's: none here.
      knobs: { ...ZERO_KNOBS, lockSettleMs: 0 },
      streams: 1,
      rollouts: ctx.quick ? 10 : 100,
    },
    {
      name: "realistic",
      knobs: REALISTIC_KNOBS,
      streams: ctx.quick ? 2 : 4,
      rollouts: ctx.quick ? 6 : 100,
    },
  ];
  out.data["method"] =
    "No controller-manager: the harness plays the Deployment controller on ReplicaSets directly. Each " +
    "rollout serves a new OpenAPI document version (so it re-imports), creates ReplicaSet revision n+1, " +
    "marks it ready, scales the old one to 0 and waits 300 ms; t0 is when the harness sends the old " +
    "ReplicaSet's status with 0 ready pods (the rollout is complete and ready), t1 is when the harness's " +
    "watch sees the APIMAPI Ready with status.registeredReplicaSet = the new ReplicaSet. Simulated Azure " +
    "time = union of the API's ARM request intervals in [t0, t1] (received to answered, simulator side; its " +
    "requests and the polls of its operations) + " +
    "Retry-After waits ARM asked for on 202 answers and the rest of APIM's lock on the API after a 409 " +
    "it answered (from the simulator's operation history), each capped at the gap to the next request. Operator " +
    "overhead = (t1 - t0) - simulated Azure time; it includes the Kubernetes round trips, watch delivery " +
    "to both the operator and the harness, the document fetch, and the requeue timers. The realistic " +
    "phase runs several APIs in parallel streams (each stream sequential) to bound the wall time.";
  for (const phase of phases) {
    note(`latency: ${phase.name} phase`);
    const result = await runPhase(ctx, phase);
    out.data[phase.name] = result;
    const label = phase.name === "zero"
      ? "simulator latency 0, no lock after imports"
      : "ARM 150 ms, import 3 s";
    out.rows.push(
      infoRow(
        `rollout → Ready p50 / p99 (${label}, n=${result.total.n})`,
        `${result.total.p50} / ${result.total.p99}`,
        "ms",
      ),
      infoRow(
        `simulated Azure time p50 (${label}; ${result.armRequestsPerRollout.p50} ARM requests)`,
        result.azure.p50,
        "ms",
      ),
      targetRow(
        `operator overhead p99 (${label}; p50 ${result.overhead.p50} ms)`,
        result.overhead.p99,
        "ms",
        "< 100 ms",
        (v) => v < 100,
      ),
      infoRow(
        `of which: poll sent later than Retry-After asked, p50 (${label})`,
        result.pollLateness.p50,
        "ms",
      ),
    );
  }
}
