// Leader election against the real kube-apiserver: one leader at a time, release on stop, takeover on expiry.

import assert from "node:assert/strict";
import { z } from "zod";
import type { KubeClient } from "../../../src/kube/kube_client.ts";
import { LeaderElector } from "../../../src/kube/leader_election.ts";
import type { ControlPlane } from "../../controlplane/control_plane.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../../controlplane/shared.ts";
import { waitFor } from "../../support/wait.ts";
import { clientFor, until } from "./kube_fixtures.ts";

/** Short timings so takeovers happen within seconds. */
const TIMING = {
  leaseDurationMs: 3000,
  renewDeadlineMs: 2000,
  retryPeriodMs: 500,
};

/** Records who leads; flags any moment where two would lead at once. */
class Leadership {
  readonly history: string[] = [];
  readonly #current = new Set<string>();
  overlapped = false;

  work(identity: string): (signal: AbortSignal) => Promise<void> {
    return async (signal) => {
      if (this.#current.size > 0) this.overlapped = true;
      this.#current.add(identity);
      this.history.push(identity);
      await new Promise<void>((resolve) =>
        signal.addEventListener("abort", () => resolve(), { once: true })
      );
      this.#current.delete(identity);
    };
  }

  isLeading(identity: string): boolean {
    return this.#current.has(identity);
  }
}

function elector(
  client: KubeClient,
  namespace: string,
  identity: string,
): LeaderElector {
  return new LeaderElector({
    client,
    namespace,
    name: "operator-lock",
    identity,
    ...TIMING,
  });
}

const leaseSchema = z.object({
  spec: z.object({
    holderIdentity: z.string().optional(),
    renewTime: z.string().optional(),
    leaseTransitions: z.number().optional(),
  }),
});

async function readLease(
  plane: ControlPlane,
  namespace: string,
): Promise<z.infer<typeof leaseSchema>> {
  const response = await plane.request(
    "GET",
    `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/operator-lock`,
  );
  return leaseSchema.parse(response.body);
}

Deno.test("two electors never lead at once, and the standby takes over when the leader stops", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-leader");
  using clientA = await clientFor(plane.kubeconfigPath);
  using clientB = await clientFor(plane.kubeconfigPath);
  const leadership = new Leadership();
  const a = elector(clientA, ns.name, "replica-a");
  const b = elector(clientB, ns.name, "replica-b");
  const stopA = new AbortController();
  const stopB = new AbortController();
  const runA = a.run(leadership.work("replica-a"), stopA.signal);
  let runB: Promise<void> | undefined;
  try {
    await until(() => leadership.isLeading("replica-a"), "replica-a to lead");
    assert.equal(a.isLeader, true);
    runB = b.run(leadership.work("replica-b"), stopB.signal);

    // Let the leader renew twice while the standby contends.
    const first = (await readLease(plane, ns.name)).spec.renewTime;
    const second = await waitFor(async () => {
      const renewed = (await readLease(plane, ns.name)).spec.renewTime;
      return renewed !== first ? renewed : undefined;
    }, { description: "a renewal" });
    await waitFor(
      async () =>
        (await readLease(plane, ns.name)).spec.renewTime !== second ||
        undefined,
      {
        description: "another renewal",
      },
    );
    assert.equal(b.isLeader, false);
    assert.deepEqual(leadership.history, ["replica-a"]);

    stopA.abort();
    await runA;
    assert.equal(a.isLeader, false);
    await until(
      () => leadership.isLeading("replica-b"),
      "replica-b to take over",
    );
    const lease = await readLease(plane, ns.name);
    assert.equal(lease.spec.holderIdentity, "replica-b");
    assert.equal(lease.spec.leaseTransitions, 1);
    assert.deepEqual(leadership.history, ["replica-a", "replica-b"]);
    assert.equal(leadership.overlapped, false);
  } finally {
    stopA.abort();
    stopB.abort();
    await runA;
    await runB;
  }
});

async function post(
  plane: ControlPlane,
  path: string,
  body: unknown,
): Promise<void> {
  const response = await plane.request("POST", path, { body });
  assert.equal(response.status, 201, JSON.stringify(response.body));
}

Deno.test("a leader that cannot renew steps down, and the standby takes over once the lease expires", async () => {
  const plane = await sharedControlPlane();
  await using ns = await createTestNamespace(plane, "kube-leader-expiry");
  const rbac = `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns.name}`;
  await post(plane, `${rbac}/roles`, {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "leases" },
    rules: [{
      apiGroups: ["coordination.k8s.io"],
      resources: ["leases"],
      verbs: ["get", "create", "update"],
    }],
  });
  for (const user of ["elector-a", "elector-b"]) {
    await post(plane, `${rbac}/rolebindings`, {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: { name: user },
      roleRef: {
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: "leases",
      },
      subjects: [{
        apiGroup: "rbac.authorization.k8s.io",
        kind: "User",
        name: user,
      }],
    });
  }
  using clientA = await clientFor(
    (await plane.mintUser("elector-a")).kubeconfigPath,
  );
  using clientB = await clientFor(
    (await plane.mintUser("elector-b")).kubeconfigPath,
  );
  const leadership = new Leadership();
  const a = elector(clientA, ns.name, "replica-a");
  const b = elector(clientB, ns.name, "replica-b");
  const stop = new AbortController();
  const runA = a.run(leadership.work("replica-a"), stop.signal);
  let runB: Promise<void> | undefined;
  try {
    await until(() => leadership.isLeading("replica-a"), "replica-a to lead");
    runB = b.run(leadership.work("replica-b"), stop.signal);
    // The leader loses access: its renewals fail with 403 and it can release nothing.
    const revoked = await plane.request(
      "DELETE",
      `${rbac}/rolebindings/elector-a`,
    );
    assert.equal(revoked.status, 200);
    await until(
      () => leadership.isLeading("replica-b"),
      "replica-b to take over the expired lease",
    );
    assert.equal(a.isLeader, false);
    assert.equal(b.isLeader, true);
    assert.deepEqual(leadership.history, ["replica-a", "replica-b"]);
    assert.equal(
      leadership.overlapped,
      false,
      "the old leader stopped before the lease expired",
    );
    assert.equal(
      (await readLease(plane, ns.name)).spec.holderIdentity,
      "replica-b",
    );
  } finally {
    stop.abort();
    await runA;
    await runB;
  }
});
