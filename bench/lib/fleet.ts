// A fleet of APIs registered at once: ready workloads first, then N APIMAPIs in one burst, until all are Ready.
import type { ApimKnobs } from "../../test/sim/apim_simulator.ts";
import { ApiWatch } from "./api_watch.ts";
import {
  countRequests,
  maxConcurrentWrites,
  pathShape,
  type RequestCounts,
} from "./arm_accounting.ts";
import {
  countKubeRequests,
  type KubeRequestCounts,
  readAuditLog,
} from "./audit.ts";
import { DocumentHost } from "./documents.ts";
import { hotSpots } from "./inspector.ts";
import { note } from "./log.ts";
import {
  apimApiManifest,
  apimServiceManifest,
  type App,
  app,
  paths,
  Writer,
} from "./objects.ts";
import { BenchOperator } from "./operator.ts";
import { forEachLimit, nowMs, range, sleep } from "./pool.ts";
import type { ScenarioContext } from "./scenario.ts";
import { Simulators } from "./simulators.ts";
import { REPO_ROOT } from "./world.ts";

/** The instance name every fleet registers into. */
export const FLEET_SERVICE = "apim-fleet";

// The simulators a registration kept running, by its (serialisable) result.
const keptSims = new WeakMap<FleetRun, Simulators>();

/** Options of {@linkcode registerFleet}. */
export interface FleetOptions {
  namespace: string;
  operatorNamespace: string;
  count: number;
  knobs: Partial<ApimKnobs>;
  products: string[];
  tags: string[];
  /** Record a CPU profile of the operator under this name. */
  profileName?: string;
  timeoutMs: number;
  /** Extra operator flags (what-if runs, e.g. `--workers=16`). */
  extraArgs?: string[];
  /**
   * Keep the simulators (which now hold the fleet's APIs) and the document host running until the
   * world stops, for the scenarios that run against the registered fleet ({@linkcode rememberFleet}).
   */
  keepServers?: boolean;
}

/** What registering a fleet measured. */
export interface FleetRun {
  namespace: string;
  operatorNamespace: string;
  count: number;
  products: string[];
  tags: string[];
  /** Seconds from the first create to the last APIMAPI created. */
  createSeconds: number;
  /** Seconds from the first create until every APIMAPI was Ready. */
  allReadySeconds: number;
  /** Ready times of the APIMAPIs, seconds after the first create (sorted). */
  readySeconds: number[];
  /** Ready count every 5 s. */
  progress: Array<{ seconds: number; ready: number }>;
  arm: RequestCounts;
  /** The most ARM writes outstanding at once. */
  maxConcurrentWrites: number;
  /** Fewest seconds the simulator's write bucket allows for the writes made (capacity, refill). */
  writeBudgetFloorSeconds: number;
  kube: KubeRequestCounts;
  operatorCpuSeconds: number;
  operatorPeakRssMiB: number;
  profile?: ReturnType<typeof hotSpots>;
  notReady: string[];
  /**
   * Per 5 s after the first create: APIMAPIs Ready so far, ARM requests by shape and the operator's
   * Kubernetes requests by shape (shows what the operator spent each stretch on).
   */
  timeline: Array<{
    seconds: number;
    ready: number;
    arm: Record<string, number>;
    kube: Record<string, number>;
    /** The operator's log lines by message. */
    log: Record<string, number>;
  }>;
}

const BUCKET_SECONDS = 5;

function bucketOf(at: number, t0: number): number {
  return Math.floor((at - t0) / 1000 / BUCKET_SECONDS);
}

async function waitServiceReady(
  writer: Writer,
  namespace: string,
  name: string,
): Promise<void> {
  const deadline = nowMs() + 120_000;
  while (nowMs() < deadline) {
    const object = await writer.kube.request({
      method: "GET",
      path: `${paths.apimServices(namespace)}/${name}`,
    }) as { status?: { conditions?: Array<Record<string, string>> } };
    const ready = object.status?.conditions?.find((c) => c["type"] === "Ready");
    if (ready?.["status"] === "True") return;
    await sleep(100);
  }
  throw new Error(`APIMService "${namespace}/${name}" did not become Ready`);
}

/** The fleet's apps (workload identities), by index. */
export function fleetApps(namespace: string, count: number): App[] {
  return range(count).map((i) =>
    app(namespace, `api-${String(i).padStart(4, "0")}`)
  );
}

/**
 * Creates `count` ready workloads, starts simulators and an operator watching the fleet's
 * namespaces, then creates `count` APIMAPIs at once (50 requests in flight) and waits until all
 * are Ready. The operator is stopped at the end; the objects stay.
 */
export async function registerFleet(
  ctx: ScenarioContext,
  options: FleetOptions,
): Promise<FleetRun> {
  const { world } = ctx;
  const writer = new Writer(world.kube);
  const { namespace, operatorNamespace: opns, count } = options;
  await writer.namespace(namespace);
  await writer.namespace(opns);
  await using servers = new AsyncDisposableStack();
  const sims = servers.use(await Simulators.start(world.tls, options.knobs));
  sims.addService(FLEET_SERVICE, options.products, options.tags);
  const docs = servers.use(new DocumentHost());
  const apps = fleetApps(namespace, count);
  note(`fleet ${namespace}: creating ${count} ready workloads`);
  await forEachLimit(apps, 32, async (a) => {
    await writer.replicaSet(a, 1, 2, 2);
  });
  await writer.create(
    paths.apimServices(opns),
    apimServiceManifest(opns, "apim", FLEET_SERVICE),
    true,
  );
  const watch = await ApiWatch.start(world.apimApis, namespace);
  await using operator = BenchOperator.start(world, sims, {
    operatorNamespace: opns,
    watchNamespaces: [namespace, opns],
    inspect: options.profileName !== undefined,
    ...(options.extraArgs ? { extraArgs: options.extraArgs } : {}),
  });
  try {
    await operator.waitReady();
    await waitServiceReady(writer, opns, "apim");
    const inspector = options.profileName !== undefined
      ? await operator.inspector()
      : undefined;
    await inspector?.startCpuProfile();
    const cpuBefore = await operator.cpuSeconds();
    let peakRss = 0;
    const progress: Array<{ seconds: number; ready: number }> = [];
    const t0 = nowMs();
    const sampler = setInterval(() => {
      progress.push({
        seconds: Math.round((nowMs() - t0) / 1000),
        ready: watch.readyCount(),
      });
      operator.memory().then((m) => {
        peakRss = Math.max(peakRss, m.rssKiB);
      }).catch(() => {});
    }, 5_000);
    note(`fleet ${namespace}: creating ${count} APIMAPIs at once`);
    try {
      await forEachLimit(apps, 50, async (a) => {
        await writer.create(
          paths.apimApis(namespace),
          apimApiManifest(namespace, a.name, {
            apimService: "apim",
            serviceUrl: docs.serviceUrl(a.name),
            openApiDefinitionUrl: docs.documentUrl(a.name),
            productIds: options.products,
            tagIds: options.tags,
          }),
        );
      });
      const created = nowMs();
      const notReady: string[] = [];
      await Promise.all(apps.map(async (a) => {
        try {
          await watch.waitFor(
            a.name,
            (s) => s.ready,
            Math.max(1, options.timeoutMs - (nowMs() - t0)),
          );
        } catch {
          notReady.push(a.name);
        }
      }));
      const t1 = nowMs();
      const cpuSeconds = (await operator.cpuSeconds()) - cpuBefore;
      const profile = await inspector?.stopCpuProfile();
      if (profile && options.profileName) {
        await Deno.mkdir(ctx.profileDir, { recursive: true });
        await Deno.writeTextFile(
          `${ctx.profileDir}/${options.profileName}.cpuprofile`,
          JSON.stringify(profile),
        );
      }
      const readySeconds = apps.flatMap((a) => {
        const at = watch.firstReadyAt.get(a.name);
        return at === undefined ? [] : [(at - t0) / 1000];
      }).sort((a, b) => a - b);
      const lastReady = readySeconds.at(-1) ?? Number.NaN;
      const arm = countRequests(
        sims.apim.requests,
        (e) => e.at >= t0 && e.at <= t1,
      );
      const audit = await readAuditLog(world.auditLogPath);
      const timeline: FleetRun["timeline"] = [];
      const slot = (index: number) => {
        while (timeline.length <= index) {
          const seconds = timeline.length * BUCKET_SECONDS;
          timeline.push({
            seconds,
            ready: readySeconds.filter((r) => r < seconds + BUCKET_SECONDS)
              .length,
            arm: {},
            kube: {},
            log: {},
          });
        }
        return timeline[index] as FleetRun["timeline"][number];
      };
      for (const e of sims.apim.requests) {
        if (e.at < t0 || e.at > t1) continue;
        const shape = `${e.method} ${
          e.kind === "poll" ? "poll" : pathShape(e.path)
        }${e.throttled ? " 429" : ""}`;
        const bucket = slot(bucketOf(e.at, t0)).arm;
        bucket[shape] = (bucket[shape] ?? 0) + 1;
      }
      for (const r of audit) {
        if (r.at < t0 || r.at > t1 || r.namespace !== namespace) continue;
        const bucket = slot(bucketOf(r.at, t0)).kube;
        bucket[r.shape] = (bucket[r.shape] ?? 0) + 1;
      }
      for (const line of operator.process.logs) {
        const at = Date.parse(String(line["time"]));
        if (!(at >= t0 && at <= t1)) continue;
        const bucket = slot(bucketOf(at, t0)).log;
        bucket[line.msg] = (bucket[line.msg] ?? 0) + 1;
      }
      const budget = sims.apim.knobs.throttle.writes;
      const writesOk = arm.writes - arm.throttled;
      const run: FleetRun = {
        namespace,
        operatorNamespace: opns,
        count,
        products: options.products,
        tags: options.tags,
        createSeconds: Math.round(created - t0) / 1000,
        allReadySeconds: notReady.length > 0
          ? Number.NaN
          : Math.round(lastReady * 10) / 10,
        readySeconds: readySeconds.map((s) => Math.round(s * 100) / 100),
        progress,
        arm,
        maxConcurrentWrites: maxConcurrentWrites(
          sims.timings.filter((t) => t.start >= t0 && t.start <= t1),
        ),
        writeBudgetFloorSeconds: Math.max(
          0,
          Math.round(
            ((writesOk - budget.capacity) / budget.refillPerSecond) * 10,
          ) / 10,
        ),
        kube: countKubeRequests(audit, t0, t1),
        timeline,
        operatorCpuSeconds: Math.round(cpuSeconds * 10) / 10,
        operatorPeakRssMiB: Math.round(peakRss / 102.4) / 10,
        notReady,
        ...(profile ? { profile: hotSpots(profile, REPO_ROOT) } : {}),
      };
      if (options.keepServers) {
        world.held.use(servers.move());
        keptSims.set(run, sims);
      }
      return run;
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await watch.stop();
  }
}

/** Removes a fleet's APIMAPIs without an operator (finalizers dropped by the harness). */
export async function dropFleet(
  ctx: ScenarioContext,
  namespace: string,
  names: readonly string[],
): Promise<void> {
  const writer = new Writer(ctx.world.kube);
  await forEachLimit(names, 32, async (name) => {
    const path = paths.apimApi(namespace, name);
    await writer.mergePatch(path, { metadata: { finalizers: null } }).catch(
      () => {},
    );
    await writer.delete(path);
  });
}

/** The registered fleet later scenarios run against (startup, memory). */
export interface FleetRecord {
  namespace: string;
  operatorNamespace: string;
  count: number;
  products: string[];
  tags: string[];
  /**
   * The simulators the fleet registered into (they hold its APIs, so an operator started later
   * finds every API in place instead of recreating them), when the registration kept them.
   */
  sims?: Simulators;
}

const FLEET_KEY = "fleet";

/** Remembers the fleet for later scenarios. */
export function rememberFleet(ctx: ScenarioContext, run: FleetRun): void {
  const sims = keptSims.get(run);
  const record: FleetRecord = {
    namespace: run.namespace,
    operatorNamespace: run.operatorNamespace,
    count: run.count,
    products: run.products,
    tags: run.tags,
    ...(sims ? { sims } : {}),
  };
  ctx.world.shared.set(FLEET_KEY, record);
}

/** The registered fleet (throughput's), or a new one registered at zero latency when run alone. */
export async function ensureFleet(ctx: ScenarioContext): Promise<FleetRecord> {
  const existing = ctx.world.shared.get(FLEET_KEY) as FleetRecord | undefined;
  if (existing) return existing;
  const count = ctx.quick ? 50 : 500;
  note(`registering a fleet of ${count} APIs first (zero latency)`);
  const run = await registerFleet(ctx, {
    namespace: "bench-fleet-fast",
    operatorNamespace: "bench-fleet-fast-op",
    count,
    knobs: {
      latencyMs: 0,
      importPolls: 0,
      importDurationMs: 0,
      pollRetryAfterSeconds: 0,
      throttle: {
        reads: { capacity: 1e9, refillPerSecond: 1e9 },
        writes: { capacity: 1e9, refillPerSecond: 1e9 },
      },
    },
    products: ["starter"],
    tags: ["backend"],
    timeoutMs: 600_000,
    keepServers: true,
  });
  if (run.notReady.length > 0) {
    throw new Error(`${run.notReady.length} fleet APIs did not become Ready`);
  }
  rememberFleet(ctx, run);
  return ctx.world.shared.get(FLEET_KEY) as FleetRecord;
}
