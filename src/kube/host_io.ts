// The process environment, file reads and command runs the Kubernetes connection needs, injectable for tests.

/** A command to run (exec credential plugins). `env` is added to the inherited environment. */
export interface CommandSpec {
  command: string;
  args: string[];
  env: Record<string, string>;
  signal?: AbortSignal;
}

/** What a finished command produced. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Host access used by kubeconfig, in-cluster and exec credential loading. */
export interface HostIo {
  /** An environment variable, or undefined when unset. */
  env(name: string): string | undefined;
  /** Reads a UTF-8 file; rejects with `Deno.errors.NotFound` when it does not exist. */
  readTextFile(path: string): Promise<string>;
  /** Runs a command to completion; rejects with `Deno.errors.NotFound` when it does not exist. */
  run(spec: CommandSpec): Promise<CommandResult>;
}

/** The real host: `Deno.env`, `Deno.readTextFile`, `Deno.Command`. */
export const denoHostIo: HostIo = {
  env: (name) => Deno.env.get(name),
  readTextFile: (path) => Deno.readTextFile(path),
  async run(spec) {
    const decoder = new TextDecoder();
    const output = await new Deno.Command(spec.command, {
      args: spec.args,
      env: spec.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      ...(spec.signal ? { signal: spec.signal } : {}),
    }).output();
    return {
      code: output.code,
      stdout: decoder.decode(output.stdout),
      stderr: decoder.decode(output.stderr),
    };
  },
};
