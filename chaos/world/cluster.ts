// The run's Kubernetes side, shared by every schedule: one control plane, our CRDs, the test CA and an admin client.
import { KubeClient } from "../../src/kube/kube_client.ts";
import { loadConnection } from "../../src/kube/load_connection.ts";
import {
  type ControlPlane,
  startControlPlane,
} from "../../test/controlplane/control_plane.ts";
import { provisionBinaries } from "../../test/controlplane/provision.ts";
import {
  createTestNamespace,
  sharedControlPlane,
} from "../../test/controlplane/shared.ts";
import { kubectl } from "../../test/support/kubectl.ts";
import {
  generateTestTls,
  loadTestTls,
  type TestTls,
} from "../../test/support/test_tls.ts";

const CRD_DIR = decodeURIComponent(
  new URL("../../deploy/crds/", import.meta.url).pathname,
);

/** Where the cluster comes from. */
export interface ClusterOptions {
  /** Use the control plane and CA of `deno task test` (env vars) instead of starting them. */
  shared?: boolean;
  /** Progress lines. */
  note?: (message: string) => void;
}

async function installCrds(plane: ControlPlane): Promise<void> {
  for (
    const args of [
      ["apply", "--server-side", "-f", CRD_DIR],
      ["wait", "--for=condition=Established", "--timeout=120s", "-f", CRD_DIR],
    ]
  ) {
    const result = await kubectl(args, {
      kubeconfig: plane.kubeconfigPath,
      binDir: plane.binDir,
    });
    if (result.code !== 0) {
      throw new Error(`kubectl ${args[0]} failed: ${result.stderr}`);
    }
  }
}

/** The control plane and clients of a chaos run. */
export class ChaosCluster implements AsyncDisposable {
  private constructor(
    readonly plane: ControlPlane,
    readonly tls: TestTls,
    readonly kube: KubeClient,
    readonly workDir: string,
    readonly owned: boolean,
  ) {}

  /** Starts (or attaches to) the control plane and installs the CRDs. */
  static async start(options: ClusterOptions = {}): Promise<ChaosCluster> {
    const note = options.note ?? (() => {});
    const workDir = await Deno.makeTempDir({ prefix: "apim-chaos-" });
    let plane: ControlPlane;
    let tls: TestTls;
    if (options.shared) {
      plane = await sharedControlPlane();
      tls = await loadTestTls();
    } else {
      const binDir = await provisionBinaries();
      const started = performance.now();
      plane = await startControlPlane({ binDir, withControllerManager: true });
      note(
        `control plane at ${plane.server} (${
          ((performance.now() - started) / 1000).toFixed(1)
        }s)`,
      );
      tls = await generateTestTls(`${workDir}/tls`);
    }
    try {
      await installCrds(plane);
      const kube = new KubeClient(
        await loadConnection({ kubeconfig: plane.kubeconfigPath }),
      );
      return new ChaosCluster(
        plane,
        tls,
        kube,
        workDir,
        !options.shared,
      );
    } catch (error) {
      if (!options.shared) await plane.stop();
      throw error;
    }
  }

  /** A fresh namespace (left behind; the control plane is thrown away after the run). */
  async namespace(prefix: string): Promise<string> {
    return (await createTestNamespace(this.plane, prefix)).name;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.kube.close();
    if (this.owned) await this.plane.stop();
    await Deno.remove(this.workDir, { recursive: true }).catch(() => {});
  }
}
