// Decides whether an APIMAPI's workload is ready to register: newest ReplicaSet ready, older ones drained, Ingress present.

/** The few ReplicaSet facts the decision needs (the cache keeps only these). */
export interface ReplicaSetView {
  name: string;
  uid: string;
  /** UID of the controlling owner (the Deployment), if any. */
  ownerUid?: string;
  /** `Kind/name` of the controlling owner, if any. */
  owner?: string;
  /** `deployment.kubernetes.io/revision`, if set. */
  revision?: number;
  creationTimestamp: string;
  desiredReplicas: number;
  readyReplicas: number;
  images: string[];
}

/** The hosts an Ingress serves (rules[].host). */
export interface IngressView {
  name: string;
  hosts: string[];
}

/** One matched workload (a ReplicaSet owner), judged on its own. */
export interface WorkloadView {
  /** `Kind/name` of the owner, or `ReplicaSet/name` for a ReplicaSet without one. */
  owner: string;
  /** Its newest ReplicaSet (by its own revisions). */
  replicaSet: ReplicaSetView;
  /** The newest ReplicaSet has all replicas ready and the owner's older ones none. */
  ready: boolean;
  /** Why it is not ready. */
  message?: string;
}

/** What the watcher concluded about the workloads of one APIMAPI. */
export type WorkloadState =
  | { state: "NoMatch"; message: string; workloads: WorkloadView[] }
  | { state: "NotReady"; message: string; workloads: WorkloadView[] }
  | {
    state: "WaitingForIngress";
    host: string;
    message: string;
    workloads: WorkloadView[];
  }
  | {
    state: "Ready";
    workloads: WorkloadView[];
    /** The newest ReplicaSet of every ready workload. */
    ready: ReplicaSetView[];
  };

/** Inputs of {@linkcode decideWorkloadState}. */
export interface WorkloadInputs {
  namespace: string;
  /** ReplicaSets matched by the APIMAPI's selector (or the app.kubernetes.io/name rule). */
  replicaSets: readonly ReplicaSetView[];
  /** Ingresses of the namespace. */
  ingresses: readonly IngressView[];
  serviceUrl: string;
  /** Set by the annotation apim.operator.io/skip-ingress-check: "true". */
  skipIngressCheck: boolean;
}

function newerFirst(a: ReplicaSetView, b: ReplicaSetView): number {
  const byRevision = (b.revision ?? -1) - (a.revision ?? -1);
  if (byRevision !== 0) return byRevision;
  const byTime = b.creationTimestamp.localeCompare(a.creationTimestamp);
  return byTime !== 0 ? byTime : b.name.localeCompare(a.name);
}

/** Judges one owner's ReplicaSets: its newest must be ready and its older ones drained. */
function judgeWorkload(sets: readonly ReplicaSetView[]): WorkloadView {
  const [newest, ...older] = [...sets].sort(newerFirst) as [
    ReplicaSetView,
    ...ReplicaSetView[],
  ];
  const owner = newest.owner ?? `ReplicaSet/${newest.name}`;
  const view = (message?: string): WorkloadView =>
    message === undefined
      ? { owner, replicaSet: newest, ready: true }
      : { owner, replicaSet: newest, ready: false, message };
  if (newest.desiredReplicas === 0) {
    return view(`ReplicaSet "${newest.name}" is scaled to zero`);
  }
  if (newest.readyReplicas < newest.desiredReplicas) {
    return view(
      `ReplicaSet "${newest.name}" has ${newest.readyReplicas} of ${newest.desiredReplicas} replicas ready`,
    );
  }
  const draining = older.filter((rs) => rs.readyReplicas > 0)
    .map((rs) => `"${rs.name}"`).sort();
  if (draining.length > 0) {
    return view(
      `Waiting for older ReplicaSets to drain: ${draining.join(", ")}`,
    );
  }
  return view();
}

/** The matched ReplicaSets grouped by owner, each owner judged on its own revisions. */
export function judgeWorkloads(
  replicaSets: readonly ReplicaSetView[],
): WorkloadView[] {
  const byOwner = new Map<string, ReplicaSetView[]>();
  for (const rs of replicaSets) {
    const key = rs.ownerUid ?? rs.uid;
    byOwner.set(key, [...(byOwner.get(key) ?? []), rs]);
  }
  return [...byOwner.values()].map(judgeWorkload)
    .sort((a, b) => a.owner.localeCompare(b.owner));
}

/**
 * Whether a backend host is reached inside the cluster (no Ingress gate): IP literals, single-label
 * names, `localhost` and the cluster DNS suffixes (`*.svc`, `*.svc.<domain>`, `*.cluster.local`).
 */
export function isClusterLocalHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  if (h === "localhost" || !h.includes(".")) return true;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(h) || h.startsWith("[")) return true;
  return h.endsWith(".svc") || h.includes(".svc.") ||
    h.endsWith(".cluster.local");
}

/** Whether an Ingress rule host (possibly `*.example.com`) serves `host`. */
export function ingressHostMatches(ruleHost: string, host: string): boolean {
  const rule = ruleHost.toLowerCase();
  const h = host.toLowerCase();
  if (rule.startsWith("*.")) {
    const suffix = rule.slice(1);
    return h.endsWith(suffix) && !h.slice(0, -suffix.length).includes(".");
  }
  return rule === h;
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname;
  } catch {
    return undefined;
  }
}

/**
 * Each owner of matched ReplicaSets (a Deployment, or a ReplicaSet without one) is judged on its
 * own: revision numbers are per Deployment, so "newest" never compares two owners. The workload is
 * Ready when at least one owner's newest ReplicaSet is ready with its older ones drained; owners
 * scaled to zero or mid-rollout neither block nor count. A non-cluster-local serviceUrl host must be
 * served by an Ingress in the namespace, unless the check is skipped.
 */
export function decideWorkloadState(inputs: WorkloadInputs): WorkloadState {
  const workloads = judgeWorkloads(inputs.replicaSets);
  if (workloads.length === 0) {
    return {
      state: "NoMatch",
      workloads,
      message:
        `No ReplicaSet in namespace "${inputs.namespace}" matches the API's target`,
    };
  }
  const ready = workloads.filter((w) => w.ready).map((w) => w.replicaSet);
  if (ready.length === 0) {
    return {
      state: "NotReady",
      workloads,
      message: workloads.length === 1
        ? workloads[0]?.message ?? ""
        : workloads.map((w) => `${w.owner}: ${w.message}`).join("; "),
    };
  }
  const host = hostOf(inputs.serviceUrl);
  if (
    !inputs.skipIngressCheck && host !== undefined && !isClusterLocalHost(host)
  ) {
    const served = inputs.ingresses.some((ing) =>
      ing.hosts.some((h) => ingressHostMatches(h, host))
    );
    if (!served) {
      return {
        state: "WaitingForIngress",
        workloads,
        host,
        message:
          `Waiting for an Ingress in namespace "${inputs.namespace}" serving host "${host}"`,
      };
    }
  }
  return { state: "Ready", workloads, ready };
}
