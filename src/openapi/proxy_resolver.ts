// Address check behind an egress proxy: a proxied host is reached through the proxy, so the proxy's address is checked.
import { parseIpAddress } from "./address_policy.ts";
import { dnsHostResolver, type HostResolver } from "./host_guard.ts";

/** The environment variables `fetch` honours for proxies. */
export type ProxyEnvironment = Readonly<Record<string, string | undefined>>;

function read(env: ProxyEnvironment, name: string): string | undefined {
  return env[name] ?? env[name.toLowerCase()];
}

/** Whether `NO_PROXY` exempts `hostname` (entries: `*`, `host`, `.suffix`, `suffix`, IPs; ports ignored). */
export function bypassesProxy(
  hostname: string,
  noProxy: string | undefined,
): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, "");
  for (const raw of (noProxy ?? "").split(",")) {
    const entry = raw.trim().toLowerCase().replace(/:\d+$/, "").replace(
      /^\[|\]$/g,
      "",
    );
    if (entry === "") continue;
    if (entry === "*") return true;
    const suffix = entry.startsWith(".") ? entry : `.${entry}`;
    if (host === entry.replace(/^\./, "") || host.endsWith(suffix)) return true;
  }
  return false;
}

/**
 * The proxy URL `fetch` uses for `hostname` under `protocol`, if any, chosen the way Deno's fetch
 * chooses it (denoland/deno ext/fetch/proxy.rs `from_env`): ALL_PROXY for every scheme, else
 * HTTPS_PROXY for https and HTTP_PROXY for http (upper case first); NO_PROXY exempts hosts.
 */
export function proxyForHost(
  hostname: string,
  protocol: string,
  env: ProxyEnvironment,
): URL | undefined {
  const proxy = read(env, "ALL_PROXY") ??
    (protocol === "https:" ? read(env, "HTTPS_PROXY") : undefined) ??
    (protocol === "http:" && env["REQUEST_METHOD"] === undefined
      ? read(env, "HTTP_PROXY")
      : undefined);
  if (!proxy || bypassesProxy(hostname, read(env, "NO_PROXY"))) {
    return undefined;
  }
  try {
    return new URL(proxy.includes("://") ? proxy : `http://${proxy}`);
  } catch {
    return undefined;
  }
}

/**
 * A resolver for the SSRF guard that answers, for a host `fetch` will reach through the proxy, the
 * proxy's addresses (the only address the operator connects to; the proxy enforces its own egress
 * policy), and resolves everything else normally.
 */
export function proxyAwareResolver(
  env: ProxyEnvironment,
  resolve: HostResolver = dnsHostResolver,
): HostResolver {
  return (hostname, signal, protocol) => {
    const proxy = proxyForHost(hostname, protocol, env);
    if (!proxy) return resolve(hostname, signal, protocol);
    const proxyHost = proxy.hostname.replace(/^\[|\]$/g, "");
    return parseIpAddress(proxyHost)
      ? Promise.resolve([proxyHost])
      : resolve(proxyHost, signal, protocol);
  };
}
