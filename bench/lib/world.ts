// The benchmark's own world: a dedicated kube-apiserver + etcd (no controller-manager), our CRDs, the test CA.
import { z } from "zod";
import { apimApis } from "../../src/crd/resources.ts";
import { KubeClient } from "../../src/kube/kube_client.ts";
import {
  decodeGenericObject,
  type GenericObject,
} from "../../src/kube/kube_object.ts";
import { loadConnection } from "../../src/kube/load_connection.ts";
import { ResourceApi } from "../../src/kube/resource_api.ts";
import {
  type ControlPlane,
  startControlPlane,
} from "../../test/controlplane/control_plane.ts";
import { provisionBinaries } from "../../test/controlplane/provision.ts";
import { kubectl } from "../../test/support/kubectl.ts";
import { runCommand } from "../../test/support/required_tool.ts";
import { bundleOperator } from "../../test/support/operator_bundle.ts";
import { generateTestTls, type TestTls } from "../../test/support/test_tls.ts";
import { AUDIT_POLICY, OPERATOR_USER } from "./audit.ts";
import { note } from "./log.ts";

/** Root of the repository (with a trailing slash). */
export const REPO_ROOT = decodeURIComponent(
  new URL("../../", import.meta.url).pathname,
);
const CRD_DIR = `${REPO_ROOT}deploy/crds/`;

// Bulk creation of tens of thousands of objects: more room than the defaults (400/200), although the
// admin (system:masters) is exempt from API Priority and Fairness anyway.
const API_SERVER_ARGS = [
  "--max-requests-inflight=1000",
  "--max-mutating-requests-inflight=500",
];

const versionSchema = z.object({ gitVersion: z.string() }).loose();

/** A dedicated control plane and the clients the scenarios share. */
export class BenchWorld implements AsyncDisposable {
  /** Objects the scenarios left for the next ones (the registered fleet). */
  readonly shared = new Map<string, unknown>();
  /** Servers the scenarios left running for the next ones (the fleet's simulators); stopped last. */
  readonly held = new AsyncDisposableStack();

  private constructor(
    readonly workDir: string,
    readonly plane: ControlPlane,
    readonly tls: TestTls,
    readonly kube: KubeClient,
    readonly apimApis: ResourceApi<GenericObject>,
    readonly versions: { kubernetes: string; etcd: string },
    /** Kubeconfig of the operator's own user (so the audit log tells its requests apart). */
    readonly operatorKubeconfig: string,
    /** The operator as the image ships it: the entry of its bundle (test/support/operator_bundle.ts). */
    readonly operatorEntry: string,
  ) {}

  /** The API server's audit log (the operator's requests only). */
  get auditLogPath(): string {
    return `${this.workDir}/audit.log`;
  }

  /**
   * Provisions the binaries, starts the control plane, installs the CRDs, creates the test CA and
   * bundles the operator; `fromSources` runs `src/main.ts` instead (profiles then name our modules).
   */
  static async start(fromSources = false): Promise<BenchWorld> {
    const binDir = await provisionBinaries();
    const workDir = await Deno.makeTempDir({ prefix: "apim-bench-" });
    await Deno.writeTextFile(`${workDir}/audit-policy.yaml`, AUDIT_POLICY);
    const started = performance.now();
    const plane = await startControlPlane({
      binDir,
      withControllerManager: false,
      extraApiServerArgs: [
        ...API_SERVER_ARGS,
        `--audit-policy-file=${workDir}/audit-policy.yaml`,
        `--audit-log-path=${workDir}/audit.log`,
      ],
    });
    note(
      `control plane at ${plane.server} (${
        ((performance.now() - started) / 1000).toFixed(1)
      }s)`,
    );
    try {
      const tls = await generateTestTls(`${workDir}/tls`);
      for (
        const args of [
          ["apply", "--server-side", "-f", CRD_DIR],
          [
            "wait",
            "--for=condition=Established",
            "--timeout=120s",
            "-f",
            CRD_DIR,
          ],
        ]
      ) {
        const result = await kubectl(args, {
          kubeconfig: plane.kubeconfigPath,
          binDir,
        });
        if (result.code !== 0) {
          throw new Error(`kubectl ${args[0]} failed: ${result.stderr}`);
        }
      }
      const kube = new KubeClient(
        await loadConnection({ kubeconfig: plane.kubeconfigPath }),
        { requestTimeoutMs: 120_000 },
      );
      const version = versionSchema.parse(
        await kube.request({ method: "GET", path: "/version" }),
      );
      const etcd = await fetch(`${plane.etcdUrl}/version`).then((r) => r.json())
        .catch(() => ({}));
      const operatorUser = await plane.mintUser(OPERATOR_USER, [
        "system:masters",
      ]);
      const operatorEntry = fromSources
        ? "src/main.ts"
        : await warmBundle(`${workDir}/operator`);
      return new BenchWorld(
        workDir,
        plane,
        tls,
        kube,
        new ResourceApi(kube, apimApis, decodeGenericObject),
        {
          kubernetes: version.gitVersion,
          etcd: String((etcd as Record<string, unknown>)["etcdserver"] ?? ""),
        },
        operatorUser.kubeconfigPath,
        operatorEntry,
      );
    } catch (error) {
      await plane.stop();
      await Deno.remove(workDir, { recursive: true }).catch(() => {});
      throw error;
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.held.disposeAsync();
    this.kube.close();
    await this.plane.stop();
    await Deno.remove(this.workDir, { recursive: true }).catch(() => {});
  }
}

/**
 * Bundles the operator into `outdir` and loads every chunk once, so that Deno's module caches hold
 * it before the first measured operator starts; returns the entry. A `deno run` of a file Deno has
 * not seen parses it for its imports first, which leaves ~40 MiB more RSS in that process (103
 * against 58 MiB in a probe, with or without V8's code cache); `deno compile` does that analysis
 * when the image is built.
 */
async function warmBundle(outdir: string): Promise<string> {
  const entry = await bundleOperator(outdir);
  const imports = [];
  for await (const file of Deno.readDir(outdir)) {
    if (file.name.endsWith(".js")) {
      imports.push(
        `await import(${JSON.stringify(`file://${outdir}/${file.name}`)});`,
      );
    }
  }
  const result = await runCommand(Deno.execPath(), [
    "eval",
    `--config=${REPO_ROOT}deno.json`,
    imports.join(""),
  ]);
  if (result.code !== 0) {
    throw new Error(`loading the bundle failed: ${result.stderr}`);
  }
  return entry;
}
