// Decides whether an APIMAPI's workload is ready to register: newest ReplicaSet ready, older ones drained, Ingress present.

/** The few ReplicaSet facts the decision needs (the cache keeps only these). */
export interface ReplicaSetView {
  name: string;
  uid: string;
  /** UID of the controlling owner (the Deployment), if any. */
  ownerUid?: string;
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

/** What the watcher concluded about the workload of one APIMAPI. */
export type WorkloadState =
  | { state: "NoMatch"; message: string }
  | { state: "NotReady"; replicaSet: ReplicaSetView; message: string }
  | {
    state: "WaitingForIngress";
    replicaSet: ReplicaSetView;
    host: string;
    message: string;
  }
  | { state: "Ready"; replicaSet: ReplicaSetView };

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
 * The newest matched ReplicaSet (by Deployment revision, then creation time) must have all its
 * replicas ready, and the older ReplicaSets of the same owner must have no ready pods. ReplicaSets of
 * other owners are ignored. A non-cluster-local serviceUrl host must be served by an Ingress in the
 * namespace, unless the check is skipped.
 */
export function decideWorkloadState(inputs: WorkloadInputs): WorkloadState {
  const newest = [...inputs.replicaSets].sort(newerFirst)[0];
  if (!newest) {
    return {
      state: "NoMatch",
      message:
        `No ReplicaSet in namespace "${inputs.namespace}" matches the API's target`,
    };
  }
  if (newest.desiredReplicas === 0) {
    return {
      state: "NotReady",
      replicaSet: newest,
      message: `ReplicaSet "${newest.name}" is scaled to zero`,
    };
  }
  if (newest.readyReplicas < newest.desiredReplicas) {
    return {
      state: "NotReady",
      replicaSet: newest,
      message:
        `ReplicaSet "${newest.name}" has ${newest.readyReplicas} of ${newest.desiredReplicas} replicas ready`,
    };
  }
  const owner = newest.ownerUid ?? newest.uid;
  const draining = inputs.replicaSets.filter((rs) =>
    rs.uid !== newest.uid && (rs.ownerUid ?? rs.uid) === owner &&
    rs.readyReplicas > 0
  ).map((rs) => rs.name).sort();
  if (draining.length > 0) {
    return {
      state: "NotReady",
      replicaSet: newest,
      message: `Waiting for older ReplicaSets to drain: ${
        draining.map((n) => `"${n}"`).join(", ")
      }`,
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
        replicaSet: newest,
        host,
        message:
          `Waiting for an Ingress in namespace "${inputs.namespace}" serving host "${host}"`,
      };
    }
  }
  return { state: "Ready", replicaSet: newest };
}
