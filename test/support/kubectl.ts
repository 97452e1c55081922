// Runs the provisioned kubectl and helm against a kubeconfig and returns exit code and output.

import type { CommandResult } from "../../src/kube/host_io.ts";
import { CONTROL_PLANE_ENV, requiredTestEnv } from "../controlplane/shared.ts";

/** Options for {@linkcode kubectl} and {@linkcode helm}. */
export interface ToolOptions {
  /** Kubeconfig to use (passed as `KUBECONFIG`). */
  kubeconfig: string;
  /** Text written to the command's stdin (e.g. a manifest for `apply -f -`). */
  stdin?: string;
  /** Directory with the binaries; default: the test run's (`APIM_TEST_BIN_DIR`). */
  binDir?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** Kills the command when aborted. */
  signal?: AbortSignal;
}

async function runTool(
  tool: string,
  args: readonly string[],
  options: ToolOptions,
): Promise<CommandResult> {
  const binDir = options.binDir ?? requiredTestEnv(CONTROL_PLANE_ENV.binDir);
  const child = new Deno.Command(`${binDir}/${tool}`, {
    args: [...args],
    env: { ...options.env, KUBECONFIG: options.kubeconfig },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    ...(options.signal ? { signal: options.signal } : {}),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
  };
}

/** Runs `kubectl args...` against `options.kubeconfig`. */
export function kubectl(
  args: readonly string[],
  options: ToolOptions,
): Promise<CommandResult> {
  return runTool("kubectl", args, options);
}

/** Runs `helm args...` against `options.kubeconfig`. */
export function helm(
  args: readonly string[],
  options: ToolOptions,
): Promise<CommandResult> {
  return runTool("helm", args, options);
}
