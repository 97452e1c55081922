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

/** `deno run` flags of the operator before `src/main.ts` (permissions and V8 flags). */
export function operatorRunFlags(v8Flags = OPERATOR_V8_FLAGS): string[] {
  return ["-P=operator", ...(v8Flags ? [`--v8-flags=${v8Flags}`] : [])];
}
