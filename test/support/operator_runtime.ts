// How the operator process runs wherever it runs (image, `deno task start`, tests, bench): its V8 flags and allocator settings.
//
// The Dockerfile bakes the same V8 flags into the binary (`deno compile --v8-flags=…`; a compiled
// binary ignores DENO_V8_FLAGS) and sets the same environment; `deno task start` passes both.
// test/unit/operator_runtime_test.ts keeps those copies equal to these. Why these values:
// bench/README.md, "Memory".

/**
 * V8 flags. `--max-heap-size` bounds the whole V8 heap; without it V8 sizes its limits (and the
 * young generation, which grows to 57 MiB while the caches list) from the machine's RAM, not the
 * container's, and the first list of a large cluster peaks at 1.6 × the steady RSS.
 */
export const OPERATOR_V8_FLAGS = "--max-heap-size=128";

/**
 * glibc malloc settings. A fixed mmap threshold returns the large buffers of list responses to
 * the system when they are freed (by default glibc raises the threshold after the first one and
 * serves later ones from its heap); worth a few MiB of steady RSS, near the noise.
 */
export const OPERATOR_MALLOC_ENV: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: "131072",
  MALLOC_TRIM_THRESHOLD_: "131072",
};

const REPO_ROOT = new URL("../../", import.meta.url).pathname;

/** `deno run` flags of the operator before `src/main.ts` (permissions and V8 flags). */
export function operatorRunFlags(v8Flags = OPERATOR_V8_FLAGS): string[] {
  return ["-P=operator", ...(v8Flags ? [`--v8-flags=${v8Flags}`] : [])];
}

/** Options of {@linkcode operatorRunArgs}. */
export interface OperatorRunArgsOptions {
  /** V8 flags instead of the shipped ones ("" = V8's defaults). */
  v8Flags?: string;
  /** Deno flags before the entry (e.g. `--inspect=…`). */
  denoFlags?: string[];
}

/**
 * Arguments of `deno` that run the operator's `entry` (before the operator's own flags). The
 * config is named, not found: Deno looks for it beside the entry, and a bundle may be elsewhere.
 */
export function operatorRunArgs(
  entry: string,
  options: OperatorRunArgsOptions = {},
): string[] {
  return [
    "run",
    `--config=${REPO_ROOT}deno.json`,
    ...operatorRunFlags(options.v8Flags ?? OPERATOR_V8_FLAGS),
    "--quiet",
    ...(options.denoFlags ?? []),
    entry,
  ];
}

/** The variables an operator process inherits (its environment is otherwise cleared): PATH, HOME, DENO_DIR. */
export function inheritedEnv(): Record<string, string> {
  const inherited: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) inherited[name] = value;
  }
  return inherited;
}
