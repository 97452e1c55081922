// One full garbage collection on request: the initial list of a large cluster leaves pages of garbage that V8 would otherwise keep resident.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Runs a full, synchronous V8 garbage collection (best effort: does nothing if V8 refuses). */
export function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  const gc: unknown = runInNewContext(
    "typeof gc === 'function' ? gc : undefined",
  );
  if (typeof gc === "function") gc();
}
