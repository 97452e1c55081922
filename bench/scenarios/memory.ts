// Memory: operator RSS with 10 000 ReplicaSets and 20 000 Pods in the cluster and the 500-API fleet,
// and the growth per 1 000 extra unrelated ReplicaSets.
import { ensureFleet, FLEET_SERVICE } from "../lib/fleet.ts";
import {
  heapHotSpots,
  heapSamplingProfile,
  startHeapSampling,
} from "../lib/inspector.ts";
import { note } from "../lib/log.ts";
import { app, paths, podManifest, Writer } from "../lib/objects.ts";
import { BenchOperator } from "../lib/operator.ts";
import { forEachLimit, nowMs, range, sleep } from "../lib/pool.ts";
import { infoRow, targetRow } from "../lib/report.ts";
import type { ScenarioContext, ScenarioOutput } from "../lib/scenario.ts";
import { Simulators, ZERO_KNOBS } from "../lib/simulators.ts";
import { slope, summarize } from "../lib/stats.ts";
import { REPO_ROOT } from "../lib/world.ts";

const MiB = (kib: number) => Math.round((kib / 1024) * 10) / 10;
const RS_PER_NAMESPACE = 200;

/** Creates `replicaSets` ready ReplicaSets (and `pods` Pods spread over them) in fresh namespaces. */
async function createNoise(
  ctx: ScenarioContext,
  prefix: string,
  replicaSets: number,
  pods: number,
): Promise<{ seconds: number; objectsPerSecond: number }> {
  const writer = new Writer(ctx.world.kube);
  const started = nowMs();
  const namespaces = Math.ceil(replicaSets / RS_PER_NAMESPACE);
  for (const i of range(namespaces)) {
    await writer.namespace(`${prefix}-${String(i).padStart(3, "0")}`);
  }
  let requests = 0;
  await forEachLimit(range(replicaSets), 48, async (i) => {
    const ns = `${prefix}-${
      String(Math.floor(i / RS_PER_NAMESPACE)).padStart(3, "0")
    }`;
    const a = app(ns, `svc-${String(i % RS_PER_NAMESPACE).padStart(3, "0")}`);
    const podCount = Math.floor(((i + 1) * pods) / replicaSets) -
      Math.floor((i * pods) / replicaSets);
    await writer.replicaSet(a, 1, Math.max(1, podCount), Math.max(1, podCount));
    requests += 2;
    for (const p of range(podCount)) {
      await writer.create(paths.pods(ns), podManifest(a, 1, p));
      requests++;
    }
    if (i > 0 && i % 1000 === 0) note(`  ${i} of ${replicaSets} ReplicaSets`);
  });
  const seconds = (nowMs() - started) / 1000;
  return {
    seconds: Math.round(seconds),
    objectsPerSecond: Math.round(requests / seconds),
  };
}

/** One memory reading of an operator at a cluster size. */
interface Reading {
  replicaSets: number;
  /** Median VmRSS over 5 s once idle. */
  rssMiB: number;
  rssAfterGcMiB: number;
  heapUsedMiB: number;
  /** V8 heap committed (after GC). */
  heapTotalMiB: number;
  /** ArrayBuffer backing stores (after GC). */
  backingStoreMiB: number;
}

/** Waits until idle, samples RSS for 5 s, forces a full GC, reads RSS and heap. */
async function reading(
  operator: BenchOperator,
  replicaSets: number,
): Promise<Reading> {
  await operator.waitIdle();
  const samples: number[] = [];
  for (let i = 0; i < 5; i++) {
    samples.push((await operator.memory()).rssKiB);
    await sleep(1_000);
  }
  const inspector = await operator.inspector();
  await inspector.collectGarbage();
  await sleep(500);
  await inspector.collectGarbage();
  const memory = await operator.memory();
  const heap = await inspector.heapUsage();
  return {
    replicaSets,
    rssMiB: summarize(samples.map(MiB)).p50,
    rssAfterGcMiB: MiB(memory.rssKiB),
    heapUsedMiB: Math.round(heap.usedSize / 104857.6) / 10,
    heapTotalMiB: Math.round(heap.totalSize / 104857.6) / 10,
    backingStoreMiB: Math.round((heap.backingStorageSize ?? 0) / 104857.6) /
      10,
  };
}

/** Measures the operator's memory against a large cluster. */
export async function memoryScenario(
  ctx: ScenarioContext,
  out: ScenarioOutput,
): Promise<void> {
  const { world } = ctx;
  const fleet = await ensureFleet(ctx);
  const writer = new Writer(world.kube);
  const targetReplicaSets = ctx.quick ? 1_000 : 10_000;
  const targetPods = 2 * targetReplicaSets;
  const growthSteps = ctx.quick ? 1 : 3;
  out.data["method"] =
    "ReplicaSets (with ready status) and Pods are created directly in the API server (no " +
    "controller-manager) in namespaces of 200 each until the cluster holds the target counts; the " +
    "operator watches all namespaces. Run 1 (no inspector): RSS = median of VmRSS sampled every second " +
    "for 10 s once the process is idle (< 5 % of a core over 2 s). Run 2 (V8 inspector attached, " +
    "forced full GC before reading VmRSS and V8 heap used): at each cluster size a fresh operator is " +
    "started and read, and one operator keeps running while +1 000 unrelated ReplicaSets (no Pods) " +
    "are added per step; growth = least-squares slope per 1 000 over the steps.";
  const count = async () => ({
    replicaSets: await writer.count("/apis/apps/v1/replicasets"),
    pods: await writer.count("/api/v1/pods"),
    apimApis: await writer.count("/apis/apim.operator.io/v1/apimapis"),
  });
  const before = await count();
  const missingRs = Math.max(0, targetReplicaSets - before.replicaSets);
  const missingPods = Math.max(0, targetPods - before.pods);
  note(
    `memory: creating ${missingRs} ReplicaSets and ${missingPods} Pods (cluster has ${before.replicaSets} / ${before.pods})`,
  );
  out.data["creation"] = await createNoise(
    ctx,
    "bench-noise",
    missingRs,
    missingPods,
  );
  const cluster = await count();
  out.data["cluster"] = cluster;

  await using sims = await Simulators.start(world.tls, ZERO_KNOBS);
  sims.addService(FLEET_SERVICE, fleet.products, fleet.tags);
  const options = { operatorNamespace: fleet.operatorNamespace };

  // Baseline: the same process watching one empty namespace.
  await writer.namespace("bench-memory-empty");
  {
    await using idle = BenchOperator.start(world, sims, {
      ...options,
      watchNamespaces: ["bench-memory-empty"],
      inspect: true,
    });
    await idle.waitReady();
    await idle.waitIdle();
    const inspector = await idle.inspector();
    await inspector.collectGarbage();
    await sleep(500);
    const memory = await idle.memory();
    const heap = await inspector.heapUsage();
    out.data["baselineEmptyNamespace"] = {
      rssMiB: MiB(memory.rssKiB),
      heapUsedMiB: Math.round(heap.usedSize / 104857.6) / 10,
    };
  }

  // Run 1: natural RSS, no inspector.
  let steady;
  {
    await using operator = BenchOperator.start(world, sims, options);
    const ready = await operator.waitReady();
    await operator.waitIdle();
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      samples.push((await operator.memory()).rssKiB);
      await sleep(1_000);
    }
    const memory = await operator.memory();
    steady = {
      startupToReadyMs: Math.round(ready - operator.spawnedAt),
      rssMiB: summarize(samples.map(MiB)),
      peakRssMiB: MiB(memory.hwmKiB),
      cpuSecondsToIdle: await operator.cpuSeconds(),
    };
    out.data["steady"] = steady;
    out.rows.push(
      targetRow(
        `operator RSS, steady (${cluster.replicaSets} ReplicaSets, ${cluster.pods} Pods, ${cluster.apimApis} APIMAPIs)`,
        steady.rssMiB.p50,
        "MiB",
        "< 120 MiB",
        (v) => v < 120,
      ),
      infoRow(
        "operator peak RSS (VmHWM) while syncing",
        steady.peakRssMiB,
        "MiB",
      ),
      infoRow(
        `process start → /readyz OK with ${cluster.replicaSets} ReplicaSets`,
        steady.startupToReadyMs,
        "ms",
      ),
    );
  }

  // Run 2: per cluster size, a fresh operator (what a restarted pod needs) and one that kept running
  // while the ReplicaSets were added; both read after a forced full GC (V8 inspector attached).
  {
    await using running = BenchOperator.start(world, sims, {
      ...options,
      inspect: true,
    });
    await running.waitReady();
    const fresh: Reading[] = [];
    const kept: Reading[] = [];
    for (let step = 0; step <= growthSteps; step++) {
      const replicaSets = cluster.replicaSets + step * 1_000;
      if (step > 0) {
        note(`memory: +1000 unrelated ReplicaSets (step ${step})`);
        await createNoise(ctx, `bench-noise-extra${step}`, 1_000, 0);
      }
      kept.push(await reading(running, replicaSets));
      await using operator = BenchOperator.start(world, sims, {
        ...options,
        inspect: true,
      });
      const inspector = await operator.inspector();
      if (ctx.profile && step === 0) await startHeapSampling(inspector);
      await operator.waitReady();
      fresh.push(await reading(operator, replicaSets));
      if (ctx.profile && step === 0) {
        const profile = await heapSamplingProfile(inspector);
        await Deno.mkdir(ctx.profileDir, { recursive: true });
        await Deno.writeTextFile(
          `${ctx.profileDir}/memory-steady.heapprofile`,
          JSON.stringify({ head: profile }),
        );
        out.data["heapProfile"] = heapHotSpots(profile, REPO_ROOT);
      }
    }
    const perThousand = (readings: Reading[], pick: (r: Reading) => number) =>
      Math.round(
        slope(readings.map((r) => r.replicaSets / 1000), readings.map(pick)) *
          100,
      ) / 100;
    const growth = {
      fresh,
      kept,
      freshRssMiBPer1000: perThousand(fresh, (r) => r.rssAfterGcMiB),
      freshNaturalRssMiBPer1000: perThousand(fresh, (r) => r.rssMiB),
      freshHeapMiBPer1000: perThousand(fresh, (r) => r.heapUsedMiB),
      keptRssMiBPer1000: perThousand(kept, (r) => r.rssAfterGcMiB),
      keptHeapMiBPer1000: perThousand(kept, (r) => r.heapUsedMiB),
    };
    out.data["growth"] = growth;
    const baseline = out.data["baselineEmptyNamespace"] as {
      rssMiB: number;
      heapUsedMiB: number;
    };
    out.rows.push(
      infoRow(
        "operator RSS after a forced full GC (same cluster, fresh process)",
        fresh[0]?.rssAfterGcMiB ?? Number.NaN,
        "MiB",
      ),
      targetRow(
        `RSS growth per 1 000 extra unrelated ReplicaSets (fresh process, after GC; ${growthSteps} steps)`,
        growth.freshRssMiBPer1000,
        "MiB",
        "< 2 MiB",
        (v) => v < 2,
      ),
      infoRow(
        "… without forcing GC (fresh process, median RSS)",
        growth.freshNaturalRssMiBPer1000,
        "MiB",
      ),
      infoRow(
        "… V8 heap used (fresh process, after GC)",
        growth.freshHeapMiBPer1000,
        "MiB",
      ),
      infoRow(
        "… RSS of a process that kept running while they were added (after GC)",
        growth.keptRssMiBPer1000,
        "MiB",
      ),
      infoRow(
        "baseline: the same process watching one empty namespace (RSS / V8 heap, after GC)",
        `${baseline.rssMiB} / ${baseline.heapUsedMiB}`,
        "MiB",
      ),
    );
  }
}
