// The APIM and Entra simulators for one scenario, with a timing log of every ARM answer (for "time spent in Azure").
import {
  CLIENT_ID,
  CLIENT_SECRET,
  RESOURCE_GROUP,
  SUBSCRIPTION_ID,
  TENANT_ID,
} from "../../test/support/e2e_environment.ts";
import type { TestTls } from "../../test/support/test_tls.ts";
import {
  type ApimKnobs,
  ApimSimulator,
  type ServiceHandle,
} from "../../test/sim/apim_simulator.ts";
import {
  type EntraSimulator,
  startEntraSimulator,
} from "../../test/sim/entra_simulator.ts";
import { serveHttps } from "../../test/sim/https_server.ts";
import { nowMs } from "./pool.ts";

export { CLIENT_ID, CLIENT_SECRET, RESOURCE_GROUP, SUBSCRIPTION_ID, TENANT_ID };

/** When one ARM request was received and answered (harness clock, ms), and how. */
export interface ArmTiming {
  method: string;
  /** Decoded path. */
  path: string;
  query: string;
  status: number;
  start: number;
  end: number;
  /** The answer's Retry-After header, if any. */
  retryAfter: string | null;
  /** Paths the answer names to poll (`Azure-AsyncOperation`, `Location`): its operation's requests. */
  pollPaths: string[];
}

/** The decoded path of `url` (relative to `base`), or undefined when it is not a URL. */
export function decodedPath(url: string, base?: string): string | undefined {
  try {
    const path = new URL(url, base).pathname;
    try {
      return decodeURIComponent(path);
    } catch {
      return path;
    }
  } catch {
    return undefined;
  }
}

/** ARM "as realistic as the brief says": 150 ms per call, imports take 3 s, ARM's 2024 buckets. */
export const REALISTIC_KNOBS: Partial<ApimKnobs> = {
  latencyMs: 150,
  importPolls: 1_000_000_000,
  importDurationMs: 3_000,
  pollRetryAfterSeconds: 1,
};

/** No simulated latency: every call answers at once and imports finish at the first poll. */
export const ZERO_KNOBS: Partial<ApimKnobs> = {
  latencyMs: 0,
  importPolls: 0,
  importDurationMs: 0,
  pollRetryAfterSeconds: 0,
};

/** Both simulators of one scenario. */
export class Simulators implements AsyncDisposable {
  /** Every answered ARM request with its timing, oldest first. */
  readonly timings: ArmTiming[] = [];

  private constructor(
    readonly apim: ApimSimulator,
    readonly entra: EntraSimulator,
    timings: ArmTiming[],
  ) {
    this.timings = timings;
  }

  /** Starts Entra and APIM (HTTPS on loopback with `tls`). */
  static async start(
    tls: TestTls,
    knobs: Partial<ApimKnobs>,
    options: { tokenLifetimeSeconds?: number } = {},
  ): Promise<Simulators> {
    const entra = await startEntraSimulator({
      tls,
      tenantId: TENANT_ID,
      clients: [{ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET }],
      ...(options.tokenLifetimeSeconds === undefined
        ? {}
        : { tokenLifetimeSeconds: options.tokenLifetimeSeconds }),
    });
    const timings: ArmTiming[] = [];
    const holder: { simulator?: ApimSimulator } = {};
    const server = serveHttps(tls, async (request) => {
      const start = nowMs();
      const url = new URL(request.url);
      const simulator = holder.simulator;
      const response = simulator
        ? await simulator.handle(request)
        : new Response(null, { status: 503 });
      const path = decodedPath(request.url) ?? url.pathname;
      const pollPaths = ["azure-asyncoperation", "location"]
        .map((h) => response.headers.get(h))
        .flatMap((h) => (h === null ? [] : [decodedPath(h, request.url)]))
        .filter((p): p is string => p !== undefined);
      timings.push({
        method: request.method,
        path,
        query: url.search,
        status: response.status,
        start,
        end: nowMs(),
        retryAfter: response.headers.get("retry-after"),
        pollPaths,
      });
      return response;
    });
    holder.simulator = new ApimSimulator(
      {
        verify: (header) => entra.verifyAccessToken(header),
        knobs,
        requestLogLimit: 2_000_000,
      },
      server.url,
      server,
    );
    return new Simulators(holder.simulator, entra, timings);
  }

  /** Adds the APIM instance `name` with the given products and tags. */
  addService(
    name: string,
    products: readonly string[] = [],
    tags: readonly string[] = [],
  ): ServiceHandle {
    const service = this.apim.addService({
      subscriptionId: SUBSCRIPTION_ID,
      resourceGroup: RESOURCE_GROUP,
      name,
    });
    for (const product of products) service.createProduct(product);
    for (const tag of tags) service.createTag(tag);
    return service;
  }

  /** Environment of the operator process: trust the test CA, the Entra app's credentials. */
  operatorEnv(caPath: string): Record<string, string> {
    return {
      DENO_CERT: caPath,
      NODE_EXTRA_CA_CERTS: caPath,
      AZURE_TENANT_ID: TENANT_ID,
      AZURE_CLIENT_ID: CLIENT_ID,
      AZURE_CLIENT_SECRET: CLIENT_SECRET,
    };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.apim.stop();
    await this.entra.stop();
  }
}
