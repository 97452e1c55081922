// Memory: operator RSS idle and with 10 000 ReplicaSets, 20 000 Pods and the 500-API fleet, the peak
// while listing, what the shipped runtime settings are worth, and the growth per 1 000 ReplicaSets.
import { ensureFleet, FLEET_SERVICE } from "../lib/fleet.ts";
import { OPERATOR_V8_FLAGS } from "../../test/support/operator_runtime.ts";
import {
  heapHotSpots,
  heapSamplingProfile,
  startHeapSampling,
} from "../lib/inspector.ts";
import { note } from "../lib/log.ts";
import { app, paths, podManifest, Writer } from "../lib/objects.ts";
import { BenchOperator, type BenchOperatorOptions } from "../lib/operator.ts";
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

/** Memory of one cluster size. */
interface Reading {
  replicaSets: number;
  /** Fresh process, median VmRSS over 5 s once idle. */
  rssMiB: number;
  /** The process that kept running (inspector attached), after a forced full GC. */
  runningRssAfterGcMiB: number;
  heapUsedMiB: number;
  /** V8 heap committed (after GC). */
  heapTotalMiB: number;
  /** ArrayBuffer backing stores (after GC). */
  backingStoreMiB: number;
}

/** Natural memory of a fresh operator: ready, idle (+ `settleMs`), then VmRSS sampled once a second. */
async function naturalRss(
  world: ScenarioContext["world"],
  sims: Simulators,
  options: BenchOperatorOptions & { settleMs?: number },
  samples: number,
) {
  await using operator = BenchOperator.start(world, sims, options);
  const ready = await operator.waitReady();
  await operator.waitIdle();
  if (options.settleMs) await sleep(options.settleMs);
  const rss: number[] = [];
  for (let i = 0; i < samples; i++) {
    rss.push((await operator.memory()).rssKiB);
    await sleep(1_000);
  }
  const memory = await operator.memory();
  return {
    startupToReadyMs: Math.round(ready - operator.spawnedAt),
    rssMiB: summarize(rss.map(MiB)),
    peakRssMiB: MiB(memory.hwmKiB),
    cpuSecondsToIdle: await operator.cpuSeconds(),
  };
}

/** Forces a full GC (twice) in an operator with the inspector and reads RSS and the V8 heap. */
async function gcReading(operator: BenchOperator) {
  await operator.waitIdle();
  const inspector = await operator.inspector();
  await inspector.collectGarbage();
  await sleep(500);
  await inspector.collectGarbage();
  const memory = await operator.memory();
  const heap = await inspector.heapUsage();
  const mib = (bytes: number) => Math.round(bytes / 104857.6) / 10;
  return {
    runningRssAfterGcMiB: MiB(memory.rssKiB),
    heapUsedMiB: mib(heap.usedSize),
    heapTotalMiB: mib(heap.totalSize),
    backingStoreMiB: mib(heap.backingStorageSize ?? 0),
  };
}

/** A fresh operator with the inspector: its V8 heap once idle, after a forced GC. */
async function heapReading(
  world: ScenarioContext["world"],
  sims: Simulators,
  options: BenchOperatorOptions,
) {
  await using operator = BenchOperator.start(world, sims, {
    ...options,
    inspect: true,
  });
  await operator.waitReady();
  return await gcReading(operator);
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
    "operator watches all namespaces with default flags and the shipped runtime settings " +
    "(test/support/operator_runtime.ts), against the simulators the fleet registered into (its APIs " +
    "exist). RSS = median of VmRSS sampled every second (10 s for the headline, 5 s otherwise) once a " +
    "freshly started operator is ready and idle (< 5 % of a core over 2 s); peak = VmHWM of that " +
    "process. No inspector is attached to these processes (an attached inspector inflates RSS by " +
    "~100 MiB). Idle, empty cluster: operator namespace without an APIMService, one empty namespace " +
    "watched. What-ifs: the same steady run without the V8 flags, then without the malloc settings, then " +
    "from the sources (src/main.ts) instead of the bundle (idle in the empty cluster too). " +
    "Growth: +1 000 unrelated ReplicaSets (no Pods) per step, a fresh operator per size, least-squares " +
    "slope. V8 heap numbers come from a separate operator with the inspector that keeps running while " +
    "the ReplicaSets are added, read after a forced full GC.";
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

  // The fleet's own simulators hold its APIs: the operator finds them in place (one GET per API)
  // instead of recreating 500 APIs whose documents are gone. Fresh ones if the fleet did not keep them.
  await using fresh = fleet.sims
    ? undefined
    : await Simulators.start(world.tls, ZERO_KNOBS);
  const sims = fleet.sims ?? fresh;
  if (sims === undefined) throw new Error("no simulators");
  if (fresh) sims.addService(FLEET_SERVICE, fleet.products, fleet.tags);
  Object.assign(sims.apim.knobs, ZERO_KNOBS);
  const options = { operatorNamespace: fleet.operatorNamespace };

  // Idle in an empty cluster: no APIMService (so no Azure credential is ever loaded), one empty
  // namespace watched; then the same with the fleet's APIMService in the operator namespace.
  await writer.namespace("bench-memory-empty");
  await writer.namespace("bench-memory-empty-op");
  const emptyCluster = await naturalRss(world, sims, {
    operatorNamespace: "bench-memory-empty-op",
    watchNamespaces: ["bench-memory-empty"],
  }, 5);
  out.data["idleEmptyCluster"] = emptyCluster;
  const empty = { ...options, watchNamespaces: ["bench-memory-empty"] };
  const baseline = {
    rssMiB: (await naturalRss(world, sims, empty, 5)).rssMiB.p50,
    heapUsedMiB: (await heapReading(world, sims, empty)).heapUsedMiB,
  };
  out.data["baselineEmptyNamespace"] = baseline;

  // Run 1: the operator as shipped, in the big cluster.
  const steady = await naturalRss(world, sims, options, 10);
  out.data["steady"] = steady;
  const peakRatio = Math.round((steady.peakRssMiB / steady.rssMiB.p50) * 100) /
    100;
  out.rows.push(
    targetRow(
      "operator RSS idle, empty cluster (no APIMService; one empty namespace watched)",
      emptyCluster.rssMiB.p50,
      "MiB",
      "≤ 50 MiB",
      (v) => v <= 50,
    ),
    infoRow(
      "operator RSS idle with an APIMService (token fetched; one empty namespace watched)",
      baseline.rssMiB,
      "MiB",
    ),
    targetRow(
      `operator RSS, steady (${cluster.replicaSets} ReplicaSets, ${cluster.pods} Pods, ${cluster.apimApis} APIMAPIs)`,
      steady.rssMiB.p50,
      "MiB",
      "≤ 80 MiB",
      (v) => v <= 80,
    ),
    targetRow(
      `operator peak RSS (VmHWM) while listing ÷ steady RSS (peak ${steady.peakRssMiB} MiB = ${peakRatio} × steady)`,
      peakRatio,
      "×",
      "≤ 1.3 ×",
      (v) => v <= 1.3,
    ),
    infoRow(
      `process start → /readyz OK with ${cluster.replicaSets} ReplicaSets`,
      steady.startupToReadyMs,
      "ms",
    ),
  );

  // What the shipped runtime settings are worth: the same run with V8's defaults, then with glibc's,
  // then from the sources instead of the bundle (idle in the empty cluster as well).
  const sources = { entry: "src/main.ts" };
  const whatIfs = {
    v8Defaults: await naturalRss(world, sims, { ...options, v8Flags: "" }, 5),
    glibcDefaults: await naturalRss(
      world,
      sims,
      { ...options, mallocEnv: {} },
      5,
    ),
    sourcesIdle: await naturalRss(world, sims, {
      operatorNamespace: "bench-memory-empty-op",
      watchNamespaces: ["bench-memory-empty"],
      ...sources,
    }, 5),
    sourcesSteady: await naturalRss(world, sims, { ...options, ...sources }, 5),
  };
  out.data["whatIfs"] = whatIfs;
  out.rows.push(
    infoRow(
      `what-if V8 defaults (without ${OPERATOR_V8_FLAGS}): steady / peak RSS, CPU to idle (shipped: ${steady.cpuSecondsToIdle} s)`,
      `${whatIfs.v8Defaults.rssMiB.p50} / ${whatIfs.v8Defaults.peakRssMiB} MiB, ${whatIfs.v8Defaults.cpuSecondsToIdle} s`,
    ),
    infoRow(
      "what-if glibc malloc defaults (no MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_): steady / peak RSS",
      `${whatIfs.glibcDefaults.rssMiB.p50} / ${whatIfs.glibcDefaults.peakRssMiB} MiB`,
    ),
    infoRow(
      "what-if the sources unbundled (deno run src/main.ts): idle, empty cluster / steady RSS",
      `${whatIfs.sourcesIdle.rssMiB.p50} / ${whatIfs.sourcesSteady.rssMiB.p50} MiB`,
    ),
  );

  // Run 2: per cluster size, a fresh process (what a restarted pod needs), and one process with
  // the inspector that keeps running while the ReplicaSets are added (V8 heap after a forced GC).
  await using running = BenchOperator.start(world, sims, {
    ...options,
    inspect: true,
  });
  const inspector = await running.inspector();
  if (ctx.profile) await startHeapSampling(inspector);
  await running.waitReady();
  const readings: Reading[] = [];
  for (let step = 0; step <= growthSteps; step++) {
    const replicaSets = cluster.replicaSets + step * 1_000;
    if (step > 0) {
      note(`memory: +1000 unrelated ReplicaSets (step ${step})`);
      await createNoise(ctx, `bench-noise-extra${step}`, 1_000, 0);
    }
    const fresh = step === 0
      ? steady
      : await naturalRss(world, sims, options, 5);
    const heap = await gcReading(running);
    readings.push({
      replicaSets,
      rssMiB: fresh.rssMiB.p50,
      ...heap,
    });
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
  const perThousand = (pick: (r: Reading) => number) =>
    Math.round(
      slope(readings.map((r) => r.replicaSets / 1000), readings.map(pick)) *
        100,
    ) / 100;
  const growth = {
    readings,
    rssMiBPer1000: perThousand((r) => r.rssMiB),
    heapMiBPer1000: perThousand((r) => r.heapUsedMiB),
    runningRssAfterGcMiBPer1000: perThousand((r) => r.runningRssAfterGcMiB),
  };
  out.data["growth"] = growth;
  const first = readings[0];
  out.rows.push(
    targetRow(
      `RSS growth per 1 000 extra unrelated ReplicaSets (fresh process; slope over ${
        growthSteps + 1
      } sizes)`,
      growth.rssMiBPer1000,
      "MiB",
      "< 2 MiB",
      (v) => v < 2,
    ),
    infoRow(
      "… V8 heap used per 1 000 (after forced GC)",
      growth.heapMiBPer1000,
      "MiB",
    ),
    infoRow(
      `V8 heap used: empty namespace → ${cluster.replicaSets} ReplicaSets (after GC)`,
      `${baseline.heapUsedMiB} → ${first?.heapUsedMiB ?? "?"}`,
      "MiB",
    ),
  );
}
