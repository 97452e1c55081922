// Runs commands for tests: any binary with optional stdin, and system tools some tests need (promtool, lua5.1).
import type { CommandResult } from "../../src/kube/host_io.ts";

/** Options of {@linkcode runCommand}. */
export interface RunOptions {
  env?: Record<string, string>;
  /** Text written to the command's stdin. */
  stdin?: string;
  /** Kills the command when aborted. */
  signal?: AbortSignal;
}

/** Runs `command args...`, feeding `stdin`; exit code and decoded output. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const child = new Deno.Command(command, {
    args: [...args],
    ...(options.env ? { env: options.env } : {}),
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

/** Runs system tool `tool`; when it is not installed, throws naming the Debian package that has it. */
export async function runRequiredTool(
  tool: string,
  args: readonly string[],
  options: { debianPackage: string; stdin?: string },
): Promise<CommandResult> {
  try {
    return await runCommand(
      tool,
      args,
      options.stdin === undefined ? {} : { stdin: options.stdin },
    );
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    throw new Error(
      `${tool} is needed by this test: install Debian's ${options.debianPackage} package (.ci/run does)`,
      { cause: error },
    );
  }
}
