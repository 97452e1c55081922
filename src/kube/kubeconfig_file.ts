// Kubeconfig files: the schema (js-yaml + zod), several files merged (the first definition of a name wins), relative paths.

// @ts-types="@types/js-yaml"
import jsyaml from "js-yaml";
import { z } from "zod";
import { yamlProblem } from "../util/yaml_problem.ts";
import { EXEC_API_VERSIONS } from "./exec_credential.ts";
import { formatIssues } from "./format_issues.ts";
import type { HostIo } from "./host_io.ts";
import { KubeConfigError } from "./kube_errors.ts";

const optionalString = z.string().nullish();

const clusterSchema = z.looseObject({
  server: z.string().min(1),
  "certificate-authority": optionalString,
  "certificate-authority-data": optionalString,
  "insecure-skip-tls-verify": z.boolean().nullish(),
  "tls-server-name": optionalString,
});

const execSchema = z.looseObject({
  apiVersion: z.enum(EXEC_API_VERSIONS, {
    error: `must be one of ${EXEC_API_VERSIONS.join(", ")}`,
  }),
  command: z.string().min(1),
  args: z.array(z.string()).nullish(),
  env: z.array(z.object({ name: z.string(), value: z.string() })).nullish(),
  installHint: optionalString,
  provideClusterInfo: z.boolean().nullish(),
  interactiveMode: z.enum(["Never", "IfAvailable", "Always"]).nullish(),
});

const userSchema = z.looseObject({
  "client-certificate": optionalString,
  "client-certificate-data": optionalString,
  "client-key": optionalString,
  "client-key-data": optionalString,
  token: optionalString,
  tokenFile: optionalString,
  exec: execSchema.nullish(),
});

const contextSchema = z.looseObject({
  cluster: z.string().min(1),
  user: optionalString,
  namespace: optionalString,
});

const fileSchema = z.looseObject({
  "current-context": optionalString,
  clusters: z.array(z.object({ name: z.string(), cluster: clusterSchema }))
    .nullish(),
  users: z.array(z.object({ name: z.string(), user: userSchema })).nullish(),
  contexts: z.array(z.object({ name: z.string(), context: contextSchema }))
    .nullish(),
});

/** A `clusters[].cluster` entry. */
export type ClusterEntry = z.infer<typeof clusterSchema>;
/** A `users[].user` entry. */
export type UserEntry = z.infer<typeof userSchema>;
/** A `contexts[].context` entry. */
export type ContextEntry = z.infer<typeof contextSchema>;
/** A user's `exec` plugin entry. */
export type ExecEntry = z.infer<typeof execSchema>;

/** A named entry and where it came from (for relative paths and error messages). */
export interface Located<T> {
  value: T;
  file: string;
  /** e.g. `users[2]`. */
  field: string;
}

/** The files merged: `current-context` and every named entry, the first definition winning. */
export interface MergedConfig {
  currentContext: string | undefined;
  clusters: Map<string, Located<ClusterEntry>>;
  users: Map<string, Located<UserEntry>>;
  contexts: Map<string, Located<ContextEntry>>;
}

/**
 * Reads `paths` in precedence order and merges them. A missing file is skipped unless
 * `requireAll`; finding none at all is an error.
 */
export async function readMergedKubeconfig(
  options: { paths: string[]; requireAll?: boolean | undefined; io: HostIo },
): Promise<MergedConfig> {
  const merged: MergedConfig = {
    currentContext: undefined,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  let found = 0;
  for (const file of options.paths) {
    let text: string;
    try {
      text = await options.io.readTextFile(file);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound && !options.requireAll) {
        continue;
      }
      throw new KubeConfigError(
        `could not read the file: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { file, cause: error },
      );
    }
    found++;
    const parsed = parseFile(text, file);
    if (!merged.currentContext && parsed["current-context"]) {
      merged.currentContext = parsed["current-context"];
    }
    addEntries(
      merged.clusters,
      parsed.clusters,
      "clusters",
      file,
      (e) => e.cluster,
    );
    addEntries(merged.users, parsed.users, "users", file, (e) => e.user);
    addEntries(
      merged.contexts,
      parsed.contexts,
      "contexts",
      file,
      (e) => e.context,
    );
  }
  if (found === 0) {
    throw new KubeConfigError(
      `no kubeconfig file found (looked for ${
        options.paths.map((p) => `"${p}"`).join(", ")
      })`,
    );
  }
  return merged;
}

function parseFile(text: string, file: string): z.infer<typeof fileSchema> {
  let document: unknown;
  try {
    // The core schema, as kubectl reads it: `2024-01-01` stays a string, not a Date.
    document = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
  } catch (error) {
    // No cause: js-yaml's error holds the text around the problem (a token, perhaps).
    throw new KubeConfigError(`not valid YAML: ${yamlProblem(error)}`, {
      file,
    });
  }
  const parsed = fileSchema.safeParse(document ?? {});
  if (!parsed.success) {
    throw new KubeConfigError(formatIssues(parsed.error), { file });
  }
  return parsed.data;
}

function addEntries<E extends { name: string }, T>(
  target: Map<string, Located<T>>,
  entries: E[] | null | undefined,
  section: string,
  file: string,
  valueOf: (entry: E) => T,
): void {
  entries?.forEach((entry, index) => {
    if (!target.has(entry.name)) {
      target.set(entry.name, {
        value: valueOf(entry),
        file,
        field: `${section}[${index}]`,
      });
    }
  });
}

function directoryOf(file: string): string {
  const slash = file.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : file.slice(0, slash);
}

/** Resolves a path from a kubeconfig relative to that kubeconfig's directory. */
export function resolvePath(path: string, file: string): string {
  if (path.startsWith("/")) return path;
  const dir = directoryOf(file);
  const relative = path.replace(/^(\.\/)+/, "");
  return dir === "/" ? `/${relative}` : `${dir}/${relative}`;
}
