// What-if entry point for the memory benchmark: the operator as src/main.ts runs it, plus one full
// garbage collection once the caches have synced and another 5 s later (the fix bench/README.md
// suggests). Not used for the headline numbers.
import v8 from "node:v8";
import vm from "node:vm";
import { loadConfig } from "../../src/config.ts";
import { Logger } from "../../src/log.ts";
import { runOperator } from "../../src/main.ts";

const encoder = new TextEncoder();

function fullGc(): void {
  v8.setFlagsFromString("--expose-gc");
  (vm.runInNewContext("gc") as () => void)();
}

const config = loadConfig({
  args: Deno.args,
  env: Deno.env.toObject(),
  hostname: "bench",
});
const logger = new Logger({
  level: config.logLevel,
  format: config.logFormat,
  sink: (line, level) => {
    const stream = level === "error" || level === "warn"
      ? Deno.stderr
      : Deno.stdout;
    stream.writeSync(encoder.encode(`${line}\n`));
    if (line.includes("Caches synced; starting controllers")) {
      setTimeout(fullGc, 0);
      setTimeout(fullGc, 5_000);
    }
  },
});
const shutdown = new AbortController();
Deno.addSignalListener("SIGTERM", () => shutdown.abort(new Error("SIGTERM")));
await runOperator(config, logger, shutdown.signal);
Deno.exit(0);
