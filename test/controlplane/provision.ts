// Runs provision.sh (build-once, cached control-plane binaries) and returns the directory holding them.

/** Path of provision.sh next to this module. */
export const PROVISION_SCRIPT = decodeURIComponent(
  new URL("./provision.sh", import.meta.url).pathname,
);

/**
 * Makes sure kube-apiserver, kube-controller-manager, etcd, kubectl and helm exist and returns their
 * directory. The script's progress (stderr) streams to this process's stderr; a cold build takes long.
 */
export async function provisionBinaries(
  options: { signal?: AbortSignal } = {},
): Promise<string> {
  const command = new Deno.Command("bash", {
    args: [PROVISION_SCRIPT],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const out = await command.output();
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  const binDir = lines.at(-1)?.trim() ?? "";
  if (!out.success || binDir === "") {
    throw new Error(
      `Provisioning the control-plane binaries failed: ${PROVISION_SCRIPT} exited with code ${out.code}`,
    );
  }
  return binDir;
}
