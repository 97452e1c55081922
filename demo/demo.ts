// `deno task demo`: the operator on a real (local) kube-apiserver against the APIM and Entra ID simulators,
// registering the original README's sample API. Needs no cluster and no Azure; the first run builds the
// control-plane binaries (cached under ~/.cache/azure-apim-operator).
//
//   deno task demo            runs until Ctrl-C
//   deno task demo --once     exits after the sample API is registered (exit code 0) or not (1)
import { startControlPlane } from "../test/controlplane/control_plane.ts";
import { provisionBinaries } from "../test/controlplane/provision.ts";
import { ConnectProxy } from "../test/support/connect_proxy.ts";
import {
  DocumentServer,
  fixtureDocument,
} from "../test/support/document_server.ts";
import { E2eEnvironment, isReady } from "../test/support/e2e_environment.ts";
import { kubectl } from "../test/support/kubectl.ts";
import {
  generateTestTls,
  issueServerCertificate,
} from "../test/support/test_tls.ts";
import { makeRolloutReady } from "../test/support/workload.ts";

const SEED = new URL("../test/fixtures/seed/", import.meta.url).pathname;
const once = Deno.args.includes("--once");

function say(text: string): void {
  // deno-lint-ignore no-console
  console.log(`\n[demo] ${text}`);
}

async function main(): Promise<number> {
  const work = await Deno.makeTempDir({ prefix: "apim-demo-" });
  try {
    return await demo(work);
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

async function demo(work: string): Promise<number> {
  say(
    "Provisioning the control-plane binaries (the first run builds them with Go; later runs reuse them)",
  );
  const binDir = await provisionBinaries();
  const tls = await generateTestTls(`${work}/tls`);
  say("Starting kube-apiserver, etcd and kube-controller-manager on loopback");
  await using plane = await startControlPlane({
    binDir,
    withControllerManager: true,
  });
  await using env = await E2eEnvironment.start({ plane, tls });
  const kubeconfig = plane.kubeconfigPath;

  say(`Simulated Azure: ARM at ${env.apim.url}, Entra ID at ${env.entra.url}`);
  const instance = env.apim.addService({
    subscriptionId: "<your-azure-subscription-id>",
    resourceGroup: "my-resource-group",
    name: "my-apim-service",
  });
  instance.createProduct("my-product", "My Product");
  instance.createTag("backend");
  instance.createTag("v1");
  env.apim.addService({
    subscriptionId: "<subscription-id>",
    resourceGroup: "my-resource-group",
    name: "my-apim-service-name",
  });

  say(
    "The sample application https://my-api.example.com serves its OpenAPI document (through a local proxy)",
  );
  await using app = new DocumentServer(
    {
      kind: "document",
      body: await fixtureDocument("petstore.json"),
      contentType: "application/json",
    },
    await issueServerCertificate(tls, ["my-api.example.com"]),
  );
  await using proxy = new ConnectProxy({ "my-api.example.com:443": app.port });

  await kubectl(["create", "namespace", "apim-operator"], {
    kubeconfig,
    binDir,
  });
  say("Starting the operator (deno run -P=operator src/main.ts)");
  const operator = env.operator({
    watchNamespaces: [],
    operatorNamespace: "apim-operator",
    extraArgs: ["--log-format=text", "--log-level=info"],
    extraEnv: { HTTPS_PROXY: proxy.url, NO_PROXY: "127.0.0.1,localhost" },
    echo: true,
  });

  say("Applying the README's sample manifests unchanged");
  for (const file of ["getting-started.yaml", "crd-reference.yaml"]) {
    const applied = await kubectl(["apply", "-f", `${SEED}${file}`], {
      kubeconfig,
      binDir,
    });
    // deno-lint-ignore no-console
    console.log(applied.stdout.trim());
  }
  say("Playing the kubelet: marking the Deployment's pods Ready");
  await makeRolloutReady(env, "default", "my-api", {
    "app.kubernetes.io/name": "my-api",
  });

  let registered = false;
  try {
    await env.waitForObject(
      env.apis.apimApis,
      "default",
      "my-api",
      isReady,
      "my-api Ready",
      120_000,
    );
    registered = true;
  } catch (error) {
    say(
      `The sample API did not become Ready: ${
        error instanceof Error ? error.message : error
      }`,
    );
  }
  const listing = await kubectl(["get", "apim", "-A", "-o", "wide"], {
    kubeconfig,
    binDir,
  });
  say(`kubectl get apim -A\n${listing.stdout}`);
  const api = instance.currentRevision("my-api");
  say(
    `API Management now holds API "my-api" at path "/${api?.properties.path}" -> ${api?.properties.serviceUrl}, ` +
      `operations: ${
        api?.operations.map((o) => o.name).join(", ")
      }; products: ${instance.api("my-api")?.productIds.join(", ")}; tags: ${
        instance.api("my-api")?.tagIds.join(", ")
      }`,
  );

  if (!once) {
    say(
      `Running. KUBECONFIG=${kubeconfig} kubectl get apim -A   (Ctrl-C to stop)`,
    );
    await new Promise<void>((resolve) => {
      Deno.addSignalListener("SIGINT", () => resolve());
      Deno.addSignalListener("SIGTERM", () => resolve());
    });
  }
  await operator.stop();
  return registered ? 0 : 1;
}

Deno.exit(await main());
