// The README's Argo CD health script, run with Lua 5.1 (Argo CD's gopher-lua dialect) against an object.
import { parse } from "yaml";
import { z } from "zod";
import { runRequiredTool } from "./required_tool.ts";

const README = new URL("../../README.md", import.meta.url);
const GROUP_KEY = "apim.operator.io/*";

/** The health script of the README's `argocd-cm` snippet (the `resource.customizations` wildcard entry). */
export async function readmeHealthScript(): Promise<string> {
  const readme = await Deno.readTextFile(README);
  const block = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)]
    .map((m) => m[1]!)
    .find((text) => text.includes("resource.customizations:"));
  if (block === undefined) {
    throw new Error(
      "The README has no argocd-cm resource.customizations block",
    );
  }
  const configMap = z.object({
    data: z.object({ "resource.customizations": z.string() }),
  }).parse(parse(block));
  const customizations = z.record(
    z.string(),
    z.object({ "health.lua": z.string() }),
  ).parse(parse(configMap.data["resource.customizations"]));
  const script = customizations[GROUP_KEY]?.["health.lua"];
  if (script === undefined) throw new Error(`No ${GROUP_KEY} health.lua`);
  return script;
}

/** A Lua string literal of `text` (bytes outside printable ASCII as decimal escapes, which Lua 5.1 reads). */
function luaString(text: string): string {
  let out = '"';
  for (const byte of new TextEncoder().encode(text)) {
    const printable = byte >= 0x20 && byte < 0x7f && byte !== 0x22 &&
      byte !== 0x5c;
    out += printable ? String.fromCharCode(byte) : `\\${byte}`;
  }
  return out + '"';
}

/** A Lua table constructor for a JSON value, converted as Argo CD does (arrays 1-based, null absent). */
export function luaValue(value: unknown): string {
  if (value === null || value === undefined) return "nil";
  if (typeof value === "string") return luaString(value);
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (Array.isArray(value)) return `{${value.map(luaValue).join(", ")}}`;
  return `{${
    Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => `[${luaString(k)}] = ${luaValue(v)}`)
      .join(", ")
  }}`;
}

/** Argo CD's verdict on an object. */
export interface HealthStatus {
  status: string;
  message: string;
}

/**
 * Runs `script` like Argo CD does (a chunk with the global `obj`, returning a table) under the
 * `lua5.1` interpreter. A missing interpreter fails (CI installs Debian's lua5.1).
 */
export async function runHealthScript(
  script: string,
  object: unknown,
): Promise<HealthStatus> {
  const program = [
    `obj = ${luaValue(object)}`,
    `local health = (function()\n${script}\nend)()`,
    'io.write(health.status, "\\n", health.message or "")',
  ].join("\n");
  const run = await runRequiredTool("lua5.1", ["-"], {
    debianPackage: "lua5.1",
    stdin: program,
  });
  if (run.code !== 0) throw new Error(`lua5.1 failed: ${run.stderr}`);
  const [status = "", ...message] = run.stdout.split("\n");
  return { status, message: message.join("\n") };
}
