// Leaving the cluster tidy for the next scenario: APIMAPIs deleted through the running operator, then the APIMService.
import type { ApiWatch } from "./api_watch.ts";
import { note } from "./log.ts";
import { paths, type Writer } from "./objects.ts";
import { nowMs, sleep } from "./pool.ts";

/**
 * Deletes the APIMAPIs (the running operator finalizes them in APIM) and waits until they are gone;
 * stragglers lose their finalizer. Then deletes the scenario's APIMService.
 */
export async function retireApis(
  writer: Writer,
  watch: ApiWatch,
  names: readonly string[],
  serviceNamespace: string,
  timeoutMs = 60_000,
): Promise<void> {
  const ns = watch.namespace;
  for (const name of names) await writer.delete(paths.apimApi(ns, name));
  const deadline = nowMs() + timeoutMs;
  while (nowMs() < deadline && names.some((n) => watch.states.has(n))) {
    await sleep(100);
  }
  const left = names.filter((n) => watch.states.has(n));
  if (left.length > 0) {
    note(`${left.length} APIMAPI(s) in ${ns} not finalized in time; dropping`);
    for (const name of left) {
      await writer.mergePatch(paths.apimApi(ns, name), {
        metadata: { finalizers: null },
      }).catch(() => {});
    }
  }
  await writer.delete(`${paths.apimServices(serviceNamespace)}/apim`);
}
