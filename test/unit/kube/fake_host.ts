// An in-memory HostIo for unit tests: environment, files and a scripted command runner.

import type {
  CommandResult,
  CommandSpec,
  HostIo,
} from "../../../src/kube/host_io.ts";

/** A host whose environment, files and commands the test defines. */
export class FakeHost implements HostIo {
  readonly envs = new Map<string, string>();
  readonly files = new Map<string, string>();
  /** Every command run, in order. */
  readonly runs: CommandSpec[] = [];
  /** Answers a command; throw `Deno.errors.NotFound` to simulate a missing binary. */
  runner: (spec: CommandSpec) => CommandResult = () => {
    throw new Deno.errors.NotFound("no runner");
  };

  /** Answers every command with a successful ExecCredential of `apiVersion` carrying `status`. */
  answerExec(apiVersion: string, status: Record<string, unknown>): void {
    this.runner = () => ({
      code: 0,
      stderr: "",
      stdout: JSON.stringify({ apiVersion, kind: "ExecCredential", status }),
    });
  }

  env(name: string): string | undefined {
    return this.envs.get(name);
  }

  readTextFile(path: string): Promise<string> {
    const text = this.files.get(path);
    return text === undefined
      ? Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`))
      : Promise.resolve(text);
  }

  run(spec: CommandSpec): Promise<CommandResult> {
    this.runs.push(spec);
    try {
      return Promise.resolve(this.runner(spec));
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** PEM-shaped text (the loaders check the armour; TLS never sees these). */
export const FAKE_CERT =
  "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n";
/** A SEC1 EC key in PEM armour. */
export const FAKE_EC_KEY =
  "-----BEGIN EC PRIVATE KEY-----\nMHcfake\n-----END EC PRIVATE KEY-----\n";
