// Runs the provisioned kubectl and helm against a kubeconfig and returns exit code and output.

import type { CommandResult } from "../../src/kube/host_io.ts";
import { CONTROL_PLANE_ENV, requiredTestEnv } from "../controlplane/shared.ts";
import { runCommand } from "./required_tool.ts";

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

function runTool(
  tool: string,
  args: readonly string[],
  options: ToolOptions,
): Promise<CommandResult> {
  const binDir = options.binDir ?? requiredTestEnv(CONTROL_PLANE_ENV.binDir);
  return runCommand(`${binDir}/${tool}`, args, {
    env: { ...options.env, KUBECONFIG: options.kubeconfig },
    ...(options.stdin === undefined ? {} : { stdin: options.stdin }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
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
