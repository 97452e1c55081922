// Reading YAML text into plain values: YAML 1.2 core schema, one document, unique keys, bounded aliases, numbers as written.

// @ts-types="@types/js-yaml"
import jsyaml from "js-yaml";
import { yamlProblem } from "../util/yaml_problem.ts";
import { InvalidDocumentError } from "./invalid_document_error.ts";

/** A YAML document read into plain values (objects, arrays, strings, numbers, booleans, null). */
export interface ParsedYaml {
  value: unknown;
  /**
   * The text the number at `path` was written as (`1.0`, `2.0`, `007`); undefined when no number
   * is there. `openapi: 3.0` and `version: 1.0` mean "3.0" and "1.0" to OpenAPI tools.
   */
  numberText(path: readonly string[]): string | undefined;
  /**
   * `root` (default: `value`, edited or not) as JSON text, each number written as in the YAML
   * where that text is valid JSON (`1.0`, `1.50`, `1e3`), so the JSON says what the YAML said.
   */
  toJson(root?: unknown): string;
}

/**
 * Values that aliases may add to a document beyond its own: PyYAML writes every shared object
 * once and refers to it from each place it appears (thousands of aliases of small nodes);
 * an alias bomb expands to billions.
 */
export const MAX_ALIAS_EXPANSION = 1_000_000;

/**
 * Characters the document may expand to through its aliases (four times APIM's inline import
 * limit): a Swagger 2 document, or one imported into a revision that is not current, is sent as
 * JSON, so the expansion is written out in the operator's heap.
 */
export const MAX_EXPANDED_CHARS = 16 * 1024 * 1024;

/**
 * Parses YAML 1.2 with the core schema (`yes`/`on` stay strings; `0o14`, `0x1F`, `.inf` are
 * numbers; no `<<` merge), one document, unique keys; unknown tags are ignored. Aliases refer to
 * the same value; a document whose aliases expand to more than {@linkcode MAX_ALIAS_EXPANSION}
 * values beyond its own, or refer to a node that contains them, is refused. js-yaml builds the
 * values directly from the text (no syntax tree), so a document of several MiB fits the
 * operator's heap and parses in a fraction of a second.
 * Throws {@linkcode InvalidDocumentError} with what is wrong and where.
 */
export function parseYaml(text: string): ParsedYaml {
  let documents: unknown[];
  try {
    documents = jsyaml.loadAll(text, null, { schema: CORE_SCHEMA });
  } catch (error) {
    throw new InvalidDocumentError(
      `the document is not valid YAML: ${yamlProblem(error)}`,
      { cause: error },
    );
  }
  if (documents.length > 1) {
    throw new InvalidDocumentError(
      `the YAML text holds ${documents.length} documents: an OpenAPI document is a single YAML document`,
    );
  }
  if (documents.length === 0 || (documents[0] === null && !hasContent(text))) {
    throw new InvalidDocumentError(
      "the YAML text holds no content, only comments",
    );
  }
  const written = new WeakMap<object, Map<string, string>>();
  let value: unknown;
  try {
    value = settle(documents[0], written);
  } catch (error) {
    if (error instanceof RangeError) throw unreadable("it nests too deeply");
    throw error;
  }
  return {
    value,
    numberText: (path) => {
      const parent = path.slice(0, -1).reduce<unknown>(
        (node, key) => isObject(node) ? node[key] : undefined,
        value,
      );
      const key = path[path.length - 1];
      if (!isObject(parent) || key === undefined) return undefined;
      const found = parent[key];
      return typeof found === "number"
        ? written.get(parent)?.get(key) ?? String(found)
        : undefined;
    },
    toJson: (root = value) =>
      JSON.stringify(root, function (this: unknown, key, item: unknown) {
        if (typeof item !== "number" || !isObject(this)) return item;
        const text = written.get(this)?.get(key);
        return text !== undefined && JSON_NUMBER.test(text)
          ? rawJson(text)
          : item;
      }),
  };
}

/** A number as JSON writes it (RFC 8259 section 6). */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?$/;

/** `JSON.rawJSON` (V8; not in TypeScript's lib yet): a value `JSON.stringify` writes as the text given. */
export const rawJson = (JSON as unknown as { rawJSON(text: string): unknown })
  .rawJSON;

/** A number whose text differs from `String(value)`; replaced by `value` once the document is read. */
class WrittenNumber {
  constructor(readonly value: number, readonly text: string) {}
  /** Mapping keys are strings: a key is the number's text, as written. */
  toString(): string {
    return this.text;
  }
  /** js-yaml stringifies keys of a class with its own tag (plain objects become "[object Object]"). */
  get [Symbol.toStringTag](): string {
    return "WrittenNumber";
  }
}

function number(value: number, text: string): number | WrittenNumber {
  return String(value) === text ? value : new WrittenNumber(value, text);
}

/** The four implicit types of the YAML 1.2 core schema (spec 10.3.2), with the spec's patterns. */
const CORE_TYPES = [
  scalarType("null", /^(?:~|null|Null|NULL|)$/, () => null),
  scalarType(
    "bool",
    /^(?:true|True|TRUE|false|False|FALSE)$/,
    (text) => /^t/i.test(text),
  ),
  scalarType(
    "int",
    /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$/,
    (text) => number(Number(text), text),
  ),
  scalarType(
    "float",
    /^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/,
    (text) => {
      const lower = text.toLowerCase();
      if (lower.endsWith(".nan")) return NaN;
      if (lower.endsWith(".inf")) {
        return lower.startsWith("-") ? -Infinity : Infinity;
      }
      return number(Number(text), text);
    },
  ),
];

function scalarType(
  name: string,
  pattern: RegExp,
  construct: (text: string) => unknown,
): jsyaml.Type {
  return new jsyaml.Type(`tag:yaml.org,2002:${name}`, {
    kind: "scalar",
    resolve: (data: unknown) => typeof data === "string" && pattern.test(data),
    construct: (data: string) => construct(data),
  });
}

/** Any other tag (`!custom`, `!!binary`) is ignored: the node is read as if it had none. */
const IGNORED_TAGS = (["scalar", "sequence", "mapping"] as const).map((kind) =>
  new jsyaml.Type("", {
    kind,
    multi: true,
    construct: (data: unknown) => data,
  })
);

const CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: CORE_TYPES,
  explicit: IGNORED_TAGS,
});

/** Whether the text has a line that is not blank, a comment or a document marker. */
function hasContent(text: string): boolean {
  return text.split(/\r?\n/).some((line) =>
    !/^\s*(?:#.*)?$/.test(line) && !/^(?:---|\.\.\.)\s*(?:#.*)?$/.test(line)
  );
}

/**
 * Replaces {@linkcode WrittenNumber}s by their values (recording their text in `written`) and
 * measures what the aliases add, each shared node once: refused when they add more than
 * {@linkcode MAX_ALIAS_EXPANSION} values, when the document they expand to is longer than
 * {@linkcode MAX_EXPANDED_CHARS} (a long string behind many aliases), or when a node contains an
 * alias of itself.
 */
function settle(
  root: unknown,
  written: WeakMap<object, Map<string, string>>,
): unknown {
  const sizes = new Map<object, Expansion>();
  const open = new Set<object>();
  let own = 0;
  const sizeOf = (node: object): Expansion => {
    const known = sizes.get(node);
    if (known !== undefined) return known;
    if (open.has(node)) {
      throw unreadable("an alias refers to a node that contains it");
    }
    open.add(node);
    const size = { values: 1, chars: 2 };
    own += 1;
    const record = node as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const child = record[key];
      if (child instanceof WrittenNumber) {
        record[key] = child.value;
        const texts = written.get(node) ?? new Map<string, string>();
        written.set(node, texts.set(key, child.text));
      }
      size.chars += key.length + 4;
      if (isObject(child) && !(child instanceof WrittenNumber)) {
        const inner = sizeOf(child);
        size.values += inner.values;
        size.chars += inner.chars;
      } else {
        size.values += 1;
        size.chars += typeof child === "string" ? child.length : 8;
        own += 1;
      }
    }
    open.delete(node);
    sizes.set(node, size);
    return size;
  };
  if (root instanceof WrittenNumber) return root.value;
  if (!isObject(root)) return root;
  const expanded = sizeOf(root);
  if (expanded.values - own > MAX_ALIAS_EXPANSION) {
    throw unreadable(
      `its aliases expand to more than ${MAX_ALIAS_EXPANSION} values`,
    );
  }
  if (expanded.chars > MAX_EXPANDED_CHARS) {
    throw unreadable(
      `its aliases expand it to more than ${MAX_EXPANDED_CHARS} characters`,
    );
  }
  return root;
}

/** The values and (about) the characters of a node with its aliases expanded. */
interface Expansion {
  values: number;
  chars: number;
}

function unreadable(why: string): InvalidDocumentError {
  return new InvalidDocumentError(`the YAML cannot be read: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
