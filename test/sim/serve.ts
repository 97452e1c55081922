// Runs the Entra and APIM simulators standalone for demos: prints their coordinates as one JSON line, serves until SIGINT/SIGTERM.
//
// Usage: deno run -A test/sim/serve.ts [--apim-port N] [--entra-port N] [--latency-ms N] [--import-polls N]
// TLS material comes from $APIM_TEST_TLS_DIR, or is generated into a temporary directory
// (trust it with DENO_CERT and NODE_EXTRA_CA_CERTS, both printed).

import { z } from "zod";
import { startApimSimulator } from "./apim_simulator.ts";
import { startEntraSimulator } from "./entra_simulator.ts";
import {
  generateTestTls,
  readTestTls,
  TEST_TLS_DIR_ENV,
  type TestTls,
} from "../support/test_tls.ts";

const DEMO = {
  tenantId: "11111111-2222-3333-4444-555555555555",
  clientId: "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee",
  clientSecret: "demo-client-secret",
  subscriptionId: "00000000-0000-0000-0000-000000000000",
  resourceGroup: "demo-rg",
  serviceName: "demo-apim",
};

const flagsSchema = z.object({
  "apim-port": z.coerce.number().int().min(0).max(65535).default(0),
  "entra-port": z.coerce.number().int().min(0).max(65535).default(0),
  "latency-ms": z.coerce.number().min(0).default(0),
  "import-polls": z.coerce.number().int().min(0).default(1),
}).strict();

/** `--name value` / `--name=value` pairs. */
function parseFlags(args: readonly string[]): z.infer<typeof flagsSchema> {
  const raw: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const m = /^--([^=]+)(?:=(.*))?$/.exec(args[i] ?? "");
    if (!m?.[1]) throw new Error(`Unexpected argument "${args[i]}"`);
    raw[m[1]] = m[2] ?? args[++i] ?? "";
  }
  return flagsSchema.parse(raw);
}

async function tlsMaterial(): Promise<TestTls> {
  const dir = Deno.env.get(TEST_TLS_DIR_ENV);
  if (dir) return await readTestTls(dir);
  return await generateTestTls(
    await Deno.makeTempDir({ prefix: "apim-sim-tls-" }),
  );
}

function signalled(): Promise<string> {
  return new Promise((resolve) => {
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, () => resolve(signal));
    }
  });
}

async function main(): Promise<void> {
  const flags = parseFlags(Deno.args);
  const tls = await tlsMaterial();
  const entra = await startEntraSimulator({
    tls,
    tenantId: DEMO.tenantId,
    clients: [{ clientId: DEMO.clientId, clientSecret: DEMO.clientSecret }],
    port: flags["entra-port"],
  });
  const apim = await startApimSimulator({
    tls,
    verify: entra.verifyAccessToken,
    port: flags["apim-port"],
    knobs: {
      latencyMs: flags["latency-ms"],
      importPolls: flags["import-polls"],
    },
  });
  const service = apim.addService({
    subscriptionId: DEMO.subscriptionId,
    resourceGroup: DEMO.resourceGroup,
    name: DEMO.serviceName,
  });
  const coordinates = {
    apim: {
      url: apim.url,
      apiVersions: ["2024-05-01", "2022-08-01"],
      services: [{
        subscriptionId: service.subscriptionId,
        resourceGroup: service.resourceGroup,
        name: service.name,
        resourceId: service.resourceId,
      }],
    },
    entra: {
      authorityHost: entra.url,
      tenantId: entra.tenantId,
      clientId: DEMO.clientId,
      clientSecret: DEMO.clientSecret,
      scope: entra.armScope,
    },
    tls: { caPath: tls.caPath },
    env: {
      AZURE_AUTHORITY_HOST: entra.url,
      AZURE_TENANT_ID: entra.tenantId,
      AZURE_CLIENT_ID: DEMO.clientId,
      AZURE_CLIENT_SECRET: DEMO.clientSecret,
      DENO_CERT: tls.caPath,
      NODE_EXTRA_CA_CERTS: tls.caPath,
    },
  };
  await Deno.stdout.write(
    new TextEncoder().encode(`${JSON.stringify(coordinates)}\n`),
  );
  await signalled();
  await apim.stop();
  await entra.stop();
}

if (import.meta.main) await main();
