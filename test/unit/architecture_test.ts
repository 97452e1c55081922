// Enforces the dependency rules of docs/ARCHITECTURE.md on src/: layers, type-only imports, I/O calls, barrels, cycles.

import assert from "node:assert/strict";

// ---------------------------------------------------------------------------------------------
// A small TypeScript lexer: enough to find import/export specifiers and calls without being fooled
// by comments, strings, template literals or regular expressions.

interface Token {
  kind: "id" | "str" | "punct" | "other";
  value: string;
  line: number;
}

// After these tokens a `/` starts a regular expression rather than a division.
const REGEX_AFTER_WORDS = new Set([
  "return",
  "typeof",
  "case",
  "do",
  "else",
  "in",
  "of",
  "new",
  "delete",
  "void",
  "throw",
  "instanceof",
  "yield",
  "await",
]);

function regexMayFollow(previous: Token | undefined): boolean {
  if (previous === undefined) return true;
  if (previous.kind === "id") return REGEX_AFTER_WORDS.has(previous.value);
  if (previous.kind === "punct") {
    return ![")", "]", "}"].includes(previous.value);
  }
  return false;
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  // One entry per open `{`: true when it is a template literal's `${`.
  const braces: boolean[] = [];
  let line = 1;
  let i = 0;
  const push = (kind: Token["kind"], value: string, at: number) =>
    tokens.push({ kind, value, line: at });
  const readTemplateChunk = () => {
    // i is just after "`" or after the "}" closing a "${"; reads to "`" or "${".
    const start = line;
    while (i < source.length) {
      const c = source[i]!;
      if (c === "\\") {
        i += 2;
        continue;
      }
      if (c === "\n") line++;
      if (c === "`") {
        i++;
        push("other", "template", start);
        return;
      }
      if (c === "$" && source[i + 1] === "{") {
        i += 2;
        braces.push(true);
        push("punct", "${", start);
        return;
      }
      i++;
    }
  };
  while (i < source.length) {
    const c = source[i]!;
    const next = source[i + 1];
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (c === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (c === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      line += (source.slice(i, stop).match(/\n/g) ?? []).length;
      i = stop;
    } else if (c === '"' || c === "'") {
      const start = line;
      let value = "";
      i++;
      while (i < source.length && source[i] !== c && source[i] !== "\n") {
        if (source[i] === "\\") {
          value += source[i + 1] ?? "";
          i += 2;
        } else {
          value += source[i];
          i++;
        }
      }
      i++;
      push("str", value, start);
    } else if (c === "`") {
      i++;
      readTemplateChunk();
    } else if (c === "{") {
      braces.push(false);
      push("punct", "{", line);
      i++;
    } else if (c === "}") {
      i++;
      if (braces.pop() === true) readTemplateChunk();
      else push("punct", "}", line);
    } else if (c === "/" && regexMayFollow(tokens.at(-1))) {
      let inClass = false;
      i++;
      while (i < source.length && source[i] !== "\n") {
        const r = source[i]!;
        if (r === "\\") i++;
        else if (r === "[") inClass = true;
        else if (r === "]") inClass = false;
        else if (r === "/" && !inClass) break;
        i++;
      }
      i++;
      while (i < source.length && /[a-z]/i.test(source[i]!)) i++;
      push("other", "regex", line);
    } else if (/[A-Za-z_$#]/.test(c)) {
      const start = i++;
      while (i < source.length && /[\w$]/.test(source[i]!)) i++;
      push("id", source.slice(start, i), line);
    } else if (/[0-9]/.test(c)) {
      while (i < source.length && /[\w.]/.test(source[i]!)) i++;
      push("other", "number", line);
    } else if (
      c === "?" && next === "." && !/[0-9]/.test(source[i + 2] ?? "")
    ) {
      push("punct", "?.", line);
      i += 2;
    } else {
      push("punct", c, line);
      i++;
    }
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// What a module imports and calls.

interface ImportRef {
  specifier: string;
  /** Erased at runtime: `import type`, `export type`, or only inline `type` specifiers. */
  typeOnly: boolean;
  line: number;
}

function isMemberAccess(token: Token | undefined): boolean {
  return token?.kind === "punct" &&
    (token.value === "." || token.value === "?.");
}

/** Index of the `}` matching the `{` at `open`. */
function closingBrace(tokens: Token[], open: number): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const value = tokens[i]!.kind === "punct" ? tokens[i]!.value : "";
    if (value === "{" || value === "${") depth++;
    if (value === "}") depth--;
    if (depth === 0) return i;
  }
  return tokens.length - 1;
}

/** Whether every entry of the `{ ... }` list between open and close is marked `type`. */
function allInlineTypes(tokens: Token[], open: number, close: number): boolean {
  const entries: Token[][] = [[]];
  for (const token of tokens.slice(open + 1, close)) {
    if (token.kind === "punct" && token.value === ",") entries.push([]);
    else entries.at(-1)!.push(token);
  }
  const named = entries.filter((entry) => entry.length > 0);
  return named.length > 0 &&
    named.every((entry) => entry[0]?.value === "type" && entry.length > 1);
}

/** The `from "<specifier>"` after index `start`, within the statement. */
function fromClause(
  tokens: Token[],
  start: number,
): { specifier: string; index: number } | undefined {
  for (let i = start; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token.kind === "punct" && token.value === ";") return undefined;
    const next = tokens[i + 1];
    if (token.kind === "id" && token.value === "from" && next?.kind === "str") {
      return { specifier: next.value, index: i + 1 };
    }
  }
  return undefined;
}

function scanImportStatement(
  tokens: Token[],
  at: number,
): ImportRef | undefined {
  const keyword = tokens[at]!;
  const first = tokens[at + 1];
  if (first === undefined || isMemberAccess(first)) return undefined; // import.meta
  if (first.kind === "str") {
    return { specifier: first.value, typeOnly: false, line: keyword.line };
  }
  if (first.value === "(") {
    const specifier = tokens[at + 2];
    if (specifier?.kind !== "str") return undefined;
    const before = tokens[at - 1];
    const inType = before?.value === "typeof" || before?.value === ":";
    return { specifier: specifier.value, typeOnly: inType, line: keyword.line };
  }
  const from = fromClause(tokens, at + 1);
  if (from === undefined) return undefined; // import x = require(...) and the like
  const second = tokens[at + 2];
  const statementType = first.value === "type" && second !== undefined &&
    !(second.kind === "id" && second.value === "from") && second.value !== ",";
  const inlineTypes = first.value === "{" &&
    allInlineTypes(tokens, at + 1, closingBrace(tokens, at + 1));
  return {
    specifier: from.specifier,
    typeOnly: statementType || inlineTypes,
    line: keyword.line,
  };
}

function scanExportStatement(
  tokens: Token[],
  at: number,
): ImportRef | undefined {
  const keyword = tokens[at]!;
  let i = at + 1;
  let typeOnly = false;
  if (
    tokens[i]?.value === "type" &&
    ["{", "*"].includes(tokens[i + 1]?.value ?? "")
  ) {
    typeOnly = true;
    i++;
  }
  const head = tokens[i];
  if (head?.value === "*") {
    const from = fromClause(tokens, i + 1);
    return from && { specifier: from.specifier, typeOnly, line: keyword.line };
  }
  if (head?.value !== "{") return undefined;
  const close = closingBrace(tokens, i);
  const after = tokens[close + 1];
  const specifier = tokens[close + 2];
  if (after?.value !== "from" || specifier?.kind !== "str") return undefined;
  return {
    specifier: specifier.value,
    typeOnly: typeOnly || allInlineTypes(tokens, i, close),
    line: keyword.line,
  };
}

/** Every static import, dynamic import and re-export of a module. */
function scanImports(source: string): ImportRef[] {
  const tokens = tokenize(source);
  const refs: ImportRef[] = [];
  tokens.forEach((token, i) => {
    if (token.kind !== "id" || isMemberAccess(tokens[i - 1])) return;
    const ref = token.value === "import"
      ? scanImportStatement(tokens, i)
      : token.value === "export"
      ? scanExportStatement(tokens, i)
      : undefined;
    if (ref) refs.push(ref);
  });
  return refs;
}

/** A use of an ambient capability: "fetch", "Deno.serve", "Deno.env", "Date.now", "new Date()", ... */
interface AmbientUse {
  name: string;
  line: number;
}

/** Calls of `fetch`, and reads of `Deno.*`, the clock and `Math.random`. */
function scanAmbientUses(source: string): AmbientUse[] {
  const tokens = tokenize(source);
  const uses: AmbientUse[] = [];
  tokens.forEach((token, i) => {
    if (token.kind !== "id") return;
    const before = tokens[i - 1];
    const next = tokens[i + 1];
    const member = tokens[i + 2];
    const globalAccess = !isMemberAccess(before) ||
      tokens[i - 2]?.value === "globalThis";
    if (
      token.value === "fetch" && next?.value === "(" && globalAccess &&
      before?.value !== "function"
    ) {
      uses.push({ name: "fetch", line: token.line });
    }
    if (
      !isMemberAccess(before) && isMemberAccess(next) && member?.kind === "id"
    ) {
      const name = `${token.value}.${member.value}`;
      if (
        token.value === "Deno" ||
        ["Date.now", "performance.now", "Math.random"].includes(name)
      ) uses.push({ name, line: token.line });
    }
    if (
      token.value === "Date" && before?.value === "new" &&
      (next?.value !== "(" || tokens[i + 2]?.value === ")")
    ) uses.push({ name: "new Date()", line: token.line });
  });
  return uses;
}

// ---------------------------------------------------------------------------------------------
// The rules.

const LAYERS = [
  "main",
  "config",
  "log",
  "util",
  "kube",
  "azure",
  "openapi",
  "crd",
  "reconcile",
  "controllers",
  "http",
] as const;
type Layer = typeof LAYERS[number];

/** Layers that may call `fetch` / `Deno.serve`. */
const IO_LAYERS: ReadonlySet<Layer> = new Set([
  "kube",
  "azure",
  "openapi",
  "http",
]);

/** Layers a layer must never import, not even types. */
const FORBIDDEN: Partial<Record<Layer, readonly Layer[]>> = {
  kube: ["azure", "controllers", "reconcile", "crd"],
  azure: ["kube", "controllers", "reconcile", "crd"],
};

/** Layers whose values `reconcile` may import (types may come from any layer below controllers). */
const RECONCILE_VALUE_LAYERS: ReadonlySet<Layer> = new Set([
  "reconcile",
  "util",
]);

/** Foundations import only foundations. */
const FOUNDATIONS: Partial<Record<Layer, readonly Layer[]>> = {
  util: ["util"],
  log: ["log", "util"],
};

const IMPURE_IN_RECONCILE =
  /^(fetch|Deno\..*|Date\.now|new Date\(\)|performance\.now|Math\.random)$/;

/** A module of src/, with its path relative to the repository root ("src/kube/watch.ts"). */
interface SourceFile {
  path: string;
  text: string;
}

interface Violation {
  file: string;
  line: number;
  message: string;
}

function layerOf(path: string): Layer | undefined {
  const match = /^src\/(?:([^/]+)\/.+|([^/]+)\.ts)$/.exec(path);
  const name = match?.[1] ?? match?.[2];
  return LAYERS.find((layer) => layer === name);
}

/** Repository-relative path a relative specifier points at, or undefined for a package. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) {
    return undefined;
  }
  return new URL(specifier, `file:///repo/${from}`).pathname.slice(
    "/repo/".length,
  );
}

function layerEdgeViolation(
  from: Layer,
  to: Layer,
  ref: ImportRef,
): string | undefined {
  if (from === to) return undefined;
  if (to === "main") return `imports main (nothing imports the entry point)`;
  if (to === "controllers" && from !== "main") {
    return `${from} imports controllers (only main does)`;
  }
  if (FORBIDDEN[from]?.includes(to)) return `${from} must not import ${to}`;
  const foundations = FOUNDATIONS[from];
  if (foundations && !foundations.includes(to)) {
    return `${from} may import only ${foundations.join(", ")}, not ${to}`;
  }
  if (
    from === "reconcile" && !ref.typeOnly && !RECONCILE_VALUE_LAYERS.has(to)
  ) {
    return `reconcile imports values from ${to}: use \`import type\` (reconcile stays pure)`;
  }
  return undefined;
}

/** Value-import cycles among modules (each cycle once, as its member paths). */
function findCycles(graph: Map<string, string[]>): string[][] {
  // Tarjan's strongly connected components.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string) => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const target of graph.get(node) ?? []) {
      if (!graph.has(target)) continue;
      if (!index.has(target)) {
        visit(target);
        low.set(node, Math.min(low.get(node)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node)!, index.get(target)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1 || graph.get(node)?.includes(node)) {
        cycles.push(component.sort());
      }
    }
  };
  for (const node of [...graph.keys()].sort()) {
    if (!index.has(node)) visit(node);
  }
  return cycles;
}

/** Every violation of the dependency rules in `files`. */
function checkArchitecture(files: readonly SourceFile[]): Violation[] {
  const violations: Violation[] = [];
  const valueGraph = new Map<string, string[]>();
  for (const file of files) {
    const report = (line: number, message: string) =>
      violations.push({ file: file.path, line, message });
    const layer = layerOf(file.path);
    if (layer === undefined) {
      report(
        1,
        `not in a layer of docs/ARCHITECTURE.md (${LAYERS.join(", ")})`,
      );
      continue;
    }
    if (/(^|\/)(mod|index)\.ts$/.test(file.path)) {
      report(1, "barrel file: import from the file that defines the thing");
    }
    const edges: string[] = [];
    for (const ref of scanImports(file.text)) {
      const target = resolveSpecifier(file.path, ref.specifier);
      if (target === undefined) continue;
      if (!ref.typeOnly) edges.push(target);
      if (target.startsWith("test/")) {
        report(ref.line, `src imports test code "${ref.specifier}"`);
        continue;
      }
      const targetLayer = layerOf(target);
      if (targetLayer === undefined) {
        report(
          ref.line,
          `imports "${ref.specifier}", which is outside the src/ layers`,
        );
        continue;
      }
      const problem = layerEdgeViolation(layer, targetLayer, ref);
      if (problem) report(ref.line, `${problem}: "${ref.specifier}"`);
    }
    valueGraph.set(file.path, edges);
    for (const use of scanAmbientUses(file.text)) {
      const io = use.name === "fetch" || use.name === "Deno.serve";
      if (io && !IO_LAYERS.has(layer)) {
        report(
          use.line,
          `${layer} calls ${use.name} (only ${
            [...IO_LAYERS].join(", ")
          } do I/O)`,
        );
      }
      if (layer === "reconcile" && IMPURE_IN_RECONCILE.test(use.name)) {
        report(
          use.line,
          `reconcile uses ${use.name} (pure: I/O, time and randomness are inputs)`,
        );
      }
    }
  }
  for (const cycle of findCycles(valueGraph)) {
    violations.push({
      file: cycle[0]!,
      line: 1,
      message: `import cycle: ${cycle.join(" -> ")}`,
    });
  }
  return violations;
}

// ---------------------------------------------------------------------------------------------
// The real tree.

const REPO_ROOT = new URL("../../", import.meta.url);

async function readSources(dir: string): Promise<SourceFile[]> {
  const files: SourceFile[] = [];
  for await (const entry of Deno.readDir(new URL(dir, REPO_ROOT))) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...await readSources(path));
    else if (entry.isFile && /\.tsx?$/.test(entry.name)) {
      files.push({
        path,
        text: await Deno.readTextFile(new URL(path, REPO_ROOT)),
      });
    }
  }
  return files;
}

Deno.test("src/ follows the dependency rules of docs/ARCHITECTURE.md", async () => {
  const files = await readSources("src");
  assert.ok(
    files.some((f) => f.path === "src/log.ts"),
    "src/log.ts was not found: wrong root?",
  );
  const violations = checkArchitecture(files);
  assert.deepEqual(
    violations.map((v) => `${v.file}:${v.line}: ${v.message}`),
    [],
  );
});

// ---------------------------------------------------------------------------------------------
// The checker itself, on synthetic trees.

function messages(files: Record<string, string>): string[] {
  return checkArchitecture(
    Object.entries(files).map(([path, text]) => ({ path, text })),
  ).map((v) => `${v.file}:${v.line}: ${v.message}`);
}

Deno.test("scanImports finds static, type-only, inline-type, side-effect, dynamic imports and re-exports", () => {
  const source = [
    'import { a } from "./a.ts";',
    'import type { B } from "./b.ts";',
    'import { type C, type D } from "./c.ts";',
    'import { type E, e } from "./e.ts";',
    'import "./side_effect.ts";',
    'import * as ns from "./ns.ts";',
    'import def, { f } from "./def.ts";',
    'import type from "./default_named_type.ts";',
    'export * from "./star.ts";',
    'export type { G } from "./g.ts";',
    'export { h } from "./h.ts";',
    "export { local };",
    'const lazy = await import("./lazy.ts");',
    'let t: typeof import("./typeof.ts");',
    "const url = import.meta.url;",
    'const s = "import { x } from \\"./in_string.ts\\"";',
    '// import { y } from "./in_comment.ts";',
    "const tpl = `${\"import z from './in_template.ts'\"}`;",
    'const re = /import w from "\\.\\/in_regex.ts"/;',
    "import {",
    "  multi,",
    '} from "./multi_line.ts";',
  ].join("\n");
  assert.deepEqual(
    scanImports(source).map((r) => [r.specifier, r.typeOnly, r.line]),
    [
      ["./a.ts", false, 1],
      ["./b.ts", true, 2],
      ["./c.ts", true, 3],
      ["./e.ts", false, 4],
      ["./side_effect.ts", false, 5],
      ["./ns.ts", false, 6],
      ["./def.ts", false, 7],
      ["./default_named_type.ts", false, 8],
      ["./star.ts", false, 9],
      ["./g.ts", true, 10],
      ["./h.ts", false, 11],
      ["./lazy.ts", false, 13],
      ["./typeof.ts", true, 14],
      ["./multi_line.ts", false, 20],
    ],
  );
});

Deno.test("scanAmbientUses finds fetch calls, Deno, clock and randomness but not look-alikes", () => {
  const source = [
    "await fetch(url);",
    "await globalThis.fetch(url);",
    "await client.fetch(url);",
    "function fetch(x: string) {}",
    "const f: typeof fetch = fetch;",
    "Deno.serve(handler);",
    "const now = Date.now();",
    "const then = new Date();",
    "const parsed = new Date(text);",
    "const r = Math.random();",
    "const p = performance.now();",
    "// fetch(url) in a comment",
    'const s = "Deno.env.get(x)";',
  ].join("\n");
  assert.deepEqual(scanAmbientUses(source).map((u) => [u.name, u.line]), [
    ["fetch", 1],
    ["fetch", 2],
    ["Deno.serve", 6],
    ["Date.now", 7],
    ["new Date()", 8],
    ["Math.random", 10],
    ["performance.now", 11],
  ]);
});

Deno.test("kube and azure never import each other, nor controllers, reconcile, crd", () => {
  assert.deepEqual(
    messages({
      "src/kube/watch.ts": [
        'import { arm } from "../azure/arm_client.ts";',
        'import type { Plan } from "../reconcile/plan.ts";',
        'import { ApimApi } from "../crd/apim_api.ts";',
        'import { Logger } from "../log.ts";',
        'import { z } from "zod";',
      ].join("\n"),
      "src/azure/arm_client.ts":
        'import type { Watch } from "../kube/watch.ts";',
      "src/reconcile/plan.ts": "",
      "src/crd/apim_api.ts": "",
      "src/log.ts": "",
    }),
    [
      'src/kube/watch.ts:1: kube must not import azure: "../azure/arm_client.ts"',
      'src/kube/watch.ts:2: kube must not import reconcile: "../reconcile/plan.ts"',
      'src/kube/watch.ts:3: kube must not import crd: "../crd/apim_api.ts"',
      'src/azure/arm_client.ts:1: azure must not import kube: "../kube/watch.ts"',
    ],
  );
});

Deno.test("reconcile imports only types from other layers and stays pure", () => {
  assert.deepEqual(
    messages({
      "src/reconcile/plan.ts": [
        'import type { Watch } from "../kube/watch.ts";',
        'import { type ArmClient } from "../azure/arm_client.ts";',
        'import { backoffDelay } from "../util/backoff.ts";',
        'import { conditions } from "./conditions.ts";',
        'import { ApimApi } from "../crd/apim_api.ts";',
        'import { type Logger, silentLogger } from "../log.ts";',
        "export function plan(now: number) {",
        "  const later = Date.now();",
        "  const env = Deno.env.get('X');",
        "  return fetch('https://example.com');",
        "}",
      ].join("\n"),
      "src/reconcile/conditions.ts": "",
      "src/kube/watch.ts": "",
      "src/azure/arm_client.ts": "",
      "src/util/backoff.ts": "",
      "src/crd/apim_api.ts": "",
      "src/log.ts": "",
    }),
    [
      'src/reconcile/plan.ts:5: reconcile imports values from crd: use `import type` (reconcile stays pure): "../crd/apim_api.ts"',
      'src/reconcile/plan.ts:6: reconcile imports values from log: use `import type` (reconcile stays pure): "../log.ts"',
      "src/reconcile/plan.ts:8: reconcile uses Date.now (pure: I/O, time and randomness are inputs)",
      "src/reconcile/plan.ts:9: reconcile uses Deno.env (pure: I/O, time and randomness are inputs)",
      "src/reconcile/plan.ts:10: reconcile calls fetch (only kube, azure, openapi, http do I/O)",
      "src/reconcile/plan.ts:10: reconcile uses fetch (pure: I/O, time and randomness are inputs)",
    ],
  );
});

Deno.test("only kube, azure, openapi and http call fetch or Deno.serve", () => {
  assert.deepEqual(
    messages({
      "src/controllers/api_controller.ts": "await fetch(url);",
      "src/main.ts": "Deno.serve(handler);",
      "src/kube/client.ts": "await fetch(url);",
      "src/http/server.ts": "Deno.serve(handler);",
      "src/openapi/fetch_document.ts": "await fetch(url);",
    }),
    [
      "src/controllers/api_controller.ts:1: controllers calls fetch (only kube, azure, openapi, http do I/O)",
      "src/main.ts:1: main calls Deno.serve (only kube, azure, openapi, http do I/O)",
    ],
  );
});

Deno.test("only main imports controllers, nothing imports main, foundations stay foundations", () => {
  assert.deepEqual(
    messages({
      "src/main.ts": 'import { run } from "./controllers/api_controller.ts";',
      "src/controllers/api_controller.ts":
        'import { config } from "../main.ts";',
      "src/http/server.ts":
        'import type { Run } from "../controllers/api_controller.ts";',
      "src/util/clock.ts": 'import { Logger } from "../log.ts";',
      "src/log.ts": 'import { systemClock } from "./util/clock.ts";',
    }),
    [
      'src/controllers/api_controller.ts:1: imports main (nothing imports the entry point): "../main.ts"',
      'src/http/server.ts:1: http imports controllers (only main does): "../controllers/api_controller.ts"',
      'src/util/clock.ts:1: util may import only util, not log: "../log.ts"',
      "src/controllers/api_controller.ts:1: import cycle: src/controllers/api_controller.ts -> src/main.ts",
      "src/log.ts:1: import cycle: src/log.ts -> src/util/clock.ts",
    ],
  );
});

Deno.test("src never imports test code, has no barrels and no unknown layers", () => {
  assert.deepEqual(
    messages({
      "src/kube/client.ts":
        'import { fake } from "../../test/support/fake.ts";',
      "src/kube/mod.ts": 'export * from "./client.ts";',
      "src/gadgets/thing.ts": "",
    }),
    [
      'src/kube/client.ts:1: src imports test code "../../test/support/fake.ts"',
      "src/kube/mod.ts:1: barrel file: import from the file that defines the thing",
      "src/gadgets/thing.ts:1: not in a layer of docs/ARCHITECTURE.md (main, config, log, util, kube, azure, openapi, crd, reconcile, controllers, http)",
    ],
  );
});

Deno.test("value-import cycles are violations, type-only cycles are not", () => {
  assert.deepEqual(
    messages({
      "src/kube/a.ts": 'import { b } from "./b.ts";',
      "src/kube/b.ts": 'import { c } from "./c.ts";',
      "src/kube/c.ts": 'import { a } from "./a.ts";',
      "src/azure/x.ts": 'import type { Y } from "./y.ts";',
      "src/azure/y.ts": 'import { x } from "./x.ts";',
      "src/util/self.ts": 'import { me } from "./self.ts";',
    }),
    [
      "src/kube/a.ts:1: import cycle: src/kube/a.ts -> src/kube/b.ts -> src/kube/c.ts",
      "src/util/self.ts:1: import cycle: src/util/self.ts",
    ],
  );
});
