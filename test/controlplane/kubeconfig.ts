// Writes single-context kubeconfig files for the test control plane (client certificate or bearer token).

import { stringify } from "yaml";

/** How the kubeconfig's user authenticates. */
export type KubeconfigUser =
  | { certPem: string; keyPem: string }
  | { token: string };

/** Everything a single-context kubeconfig names. */
export interface KubeconfigSpec {
  server: string;
  caPem: string;
  user: KubeconfigUser;
  /** Name of the user entry (default `user`). */
  userName?: string;
}

/** Name of the cluster and the context in every kubeconfig written here. */
export const KUBECONFIG_CONTEXT = "apim-test";

function base64(text: string): string {
  return btoa(text);
}

/** Renders a kubeconfig with the CA, cert and key embedded as `*-data` (like envtest's). */
export function renderKubeconfig(spec: KubeconfigSpec): string {
  const userName = spec.userName ?? "user";
  const user = "token" in spec.user ? { token: spec.user.token } : {
    "client-certificate-data": base64(spec.user.certPem),
    "client-key-data": base64(spec.user.keyPem),
  };
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: KUBECONFIG_CONTEXT,
      cluster: {
        server: spec.server,
        "certificate-authority-data": base64(spec.caPem),
      },
    }],
    users: [{ name: userName, user }],
    contexts: [{
      name: KUBECONFIG_CONTEXT,
      context: { cluster: KUBECONFIG_CONTEXT, user: userName },
    }],
    "current-context": KUBECONFIG_CONTEXT,
  });
}

/** Writes {@linkcode renderKubeconfig}'s output to `path` (mode 0600: it holds a private key or token). */
export async function writeKubeconfig(
  path: string,
  spec: KubeconfigSpec,
): Promise<void> {
  await Deno.writeTextFile(path, renderKubeconfig(spec), { mode: 0o600 });
}
