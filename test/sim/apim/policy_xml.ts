// A small XML reader/writer for APIM policy documents: well-formedness, `rawxml` expressions, and APIM's normalised output.
//
// `xml` input must be well-formed XML. `rawxml` additionally allows policy expressions
// (`@(...)`, `@{...}`) to contain unescaped `<`, `&` and quotes. Output is re-serialised the way
// APIM returns policies: CRLF line breaks, two-space indentation, `/>` for empty elements, and
// `>` in text escaped as `&gt;` (so `h => h.Id` comes back as `h =&gt; h.Id`).

/** An element with its attributes (decoded values) and children. */
export interface XmlElement {
  kind: "element";
  name: string;
  attributes: [string, string][];
  children: XmlNode[];
  line: number;
  column: number;
}

/** A node of a parsed policy document. */
export type XmlNode =
  | XmlElement
  | { kind: "text"; value: string }
  | { kind: "comment"; value: string };

/** A syntax or structure problem, reported against an element. */
export class PolicyXmlError extends Error {
  readonly element: string;
  readonly line: number;
  readonly column: number;

  constructor(element: string, line: number, column: number, problem: string) {
    super(
      `Error in element '${element}' on line ${line}, column ${column}: ${problem}`,
    );
    this.name = "PolicyXmlError";
    this.element = element;
    this.line = line;
    this.column = column;
  }
}

const NAME = /[A-Za-z_][\w.:-]*/y;
const ENTITIES: Record<string, string> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

class Reader {
  readonly #src: string;
  readonly #raw: boolean;
  #pos = 0;
  readonly #open: XmlElement[] = [];

  constructor(src: string, raw: boolean) {
    this.#src = src;
    this.#raw = raw;
  }

  #where(at = this.#pos): { line: number; column: number } {
    const before = this.#src.slice(0, at).split("\n");
    return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
  }

  #fail(problem: string, at = this.#pos): never {
    const { line, column } = this.#where(at);
    const element = this.#open.at(-1)?.name ?? "policies";
    throw new PolicyXmlError(element, line, column, problem);
  }

  #startsWith(token: string): boolean {
    return this.#src.startsWith(token, this.#pos);
  }

  #skipTo(token: string, what: string): string {
    const end = this.#src.indexOf(token, this.#pos);
    if (end < 0) this.#fail(`Unexpected end of file while parsing ${what}.`);
    const body = this.#src.slice(this.#pos, end);
    this.#pos = end + token.length;
    return body;
  }

  /** End index (exclusive) of a policy expression starting at `start` (`@(` or `@{`). */
  #expressionEnd(start: number): number {
    const open = this.#src[start + 1];
    const close = open === "(" ? ")" : "}";
    let depth = 0;
    for (let i = start + 1; i < this.#src.length; i++) {
      const c = this.#src[i];
      if (c === '"' || c === "'") {
        i = this.#src.indexOf(c, i + 1);
        if (i < 0) break;
      } else if (c === open) depth++;
      else if (c === close && --depth === 0) return i + 1;
    }
    return this.#fail("Unterminated policy expression.", start);
  }

  #isExpressionAt(i: number): boolean {
    return this.#raw && this.#src[i] === "@" &&
      (this.#src[i + 1] === "(" || this.#src[i + 1] === "{");
  }

  #decode(text: string, at: number): string {
    return text.replace(/&([^;\s&<]*);?/g, (whole, name: string) => {
      if (whole.endsWith(";")) {
        if (name in ENTITIES) return ENTITIES[name] ?? whole;
        const code = /^#x([0-9a-f]+)$/i.exec(name)?.[1] ??
          /^#(\d+)$/.exec(name)?.[1];
        if (code !== undefined) {
          return String.fromCodePoint(
            parseInt(code, name.startsWith("#x") ? 16 : 10),
          );
        }
      }
      if (this.#raw) return whole;
      return this.#fail("An error occurred while parsing EntityName.", at);
    });
  }

  /** Decoded text up to the next markup; raw expressions may contain `<`. */
  #text(): string {
    const start = this.#pos;
    let out = "";
    let chunk = this.#pos;
    while (this.#pos < this.#src.length && this.#src[this.#pos] !== "<") {
      if (this.#isExpressionAt(this.#pos)) {
        out += this.#decode(this.#src.slice(chunk, this.#pos), start);
        const end = this.#expressionEnd(this.#pos);
        out += this.#src.slice(this.#pos, end);
        this.#pos = end;
        chunk = end;
      } else this.#pos++;
    }
    return out + this.#decode(this.#src.slice(chunk, this.#pos), start);
  }

  #name(): string {
    NAME.lastIndex = this.#pos;
    const m = NAME.exec(this.#src);
    if (!m) this.#fail("Name cannot begin with this character.");
    this.#pos += m[0].length;
    return m[0];
  }

  #skipSpace(): void {
    while (/\s/.test(this.#src[this.#pos] ?? "")) this.#pos++;
  }

  #attributeValue(): string {
    const quote = this.#src[this.#pos];
    if (quote !== '"' && quote !== "'") {
      this.#fail("Attribute value must be quoted.");
    }
    const start = ++this.#pos;
    if (this.#isExpressionAt(start)) {
      const end = this.#expressionEnd(start);
      if (this.#src[end] !== quote) {
        this.#fail("Expected end of attribute value.", end);
      }
      this.#pos = end + 1;
      return this.#src.slice(start, end);
    }
    const end = this.#src.indexOf(quote, start);
    if (end < 0) this.#fail("Unexpected end of file in attribute value.");
    const value = this.#src.slice(start, end);
    if (!this.#raw && value.includes("<")) {
      this.#fail(
        "'<', hexadecimal value 0x3C, is an invalid attribute character.",
        start,
      );
    }
    this.#pos = end + 1;
    return this.#decode(value, start);
  }

  #element(): XmlElement {
    const { line, column } = this.#where();
    this.#pos++;
    const element: XmlElement = {
      kind: "element",
      name: this.#name(),
      attributes: [],
      children: [],
      line,
      column,
    };
    this.#open.push(element);
    for (;;) {
      this.#skipSpace();
      if (this.#startsWith("/>")) {
        this.#pos += 2;
        this.#open.pop();
        return element;
      }
      if (this.#startsWith(">")) {
        this.#pos++;
        element.children = this.nodes(element.name);
        this.#open.pop();
        return element;
      }
      const name = this.#name();
      this.#skipSpace();
      if (this.#src[this.#pos] !== "=") {
        this.#fail(`Missing '=' after attribute '${name}'.`);
      }
      this.#pos++;
      this.#skipSpace();
      element.attributes.push([name, this.#attributeValue()]);
    }
  }

  /** Nodes until `</closing>` (or the end of input for the document). */
  nodes(closing: string | null): XmlNode[] {
    const nodes: XmlNode[] = [];
    while (this.#pos < this.#src.length) {
      if (this.#startsWith("<!--")) {
        this.#pos += 4;
        nodes.push({
          kind: "comment",
          value: this.#skipTo("-->", "a comment"),
        });
      } else if (this.#startsWith("<![CDATA[")) {
        this.#pos += 9;
        nodes.push({
          kind: "text",
          value: this.#skipTo("]]>", "a CDATA section"),
        });
      } else if (this.#startsWith("<?")) {
        this.#skipTo("?>", "a processing instruction");
      } else if (this.#startsWith("</")) {
        const at = this.#pos;
        this.#pos += 2;
        const name = this.#name();
        this.#skipSpace();
        if (this.#src[this.#pos] !== ">") this.#fail("Expected '>'.");
        this.#pos++;
        if (name !== closing) {
          this.#fail(
            closing === null
              ? `Unexpected end tag '${name}'.`
              : `The '${closing}' start tag does not match the end tag of '${name}'.`,
            at,
          );
        }
        return nodes;
      } else if (this.#startsWith("<")) {
        nodes.push(this.#element());
      } else {
        nodes.push({ kind: "text", value: this.#text() });
      }
    }
    if (closing !== null) {
      this.#fail(`Unexpected end of file: '${closing}' is not closed.`);
    }
    return nodes;
  }
}

const SECTIONS = new Set(["inbound", "backend", "outbound", "on-error"]);

function meaningful(nodes: XmlNode[]): XmlNode[] {
  return nodes.filter((n) => n.kind !== "text" || n.value.trim() !== "");
}

/** Parses a policy document and checks it is `<policies>` with known sections. */
export function parsePolicy(source: string, raw: boolean): XmlNode[] {
  const nodes = meaningful(new Reader(source, raw).nodes(null));
  const roots = nodes.filter((n): n is XmlElement => n.kind === "element");
  const root = roots[0];
  if (!root || roots.length > 1 || nodes.some((n) => n.kind === "text")) {
    const el = roots[1] ?? root;
    throw new PolicyXmlError(
      el?.name ?? "policies",
      el?.line ?? 1,
      el?.column ?? 1,
      "A policy document must contain exactly one root element 'policies'.",
    );
  }
  if (root.name !== "policies") {
    throw new PolicyXmlError(
      root.name,
      root.line,
      root.column,
      "Root element must be 'policies'.",
    );
  }
  for (const child of root.children) {
    if (child.kind === "element" && !SECTIONS.has(child.name)) {
      throw new PolicyXmlError(
        child.name,
        child.line,
        child.column,
        `Unrecognized section '${child.name}'. Expected one of: inbound, backend, outbound, on-error.`,
      );
    }
  }
  return nodes;
}

function escapeText(value: string, raw: boolean): string {
  return raw
    ? value
    : value.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(
      ">",
      "&gt;",
    );
}

function escapeAttribute(value: string, raw: boolean): string {
  return raw ? value : escapeText(value, false).replaceAll('"', "&quot;");
}

function lines(node: XmlNode, depth: number, raw: boolean): string[] {
  const indent = "  ".repeat(depth);
  if (node.kind === "comment") return [`${indent}<!--${node.value}-->`];
  if (node.kind === "text") {
    return [`${indent}${escapeText(node.value.trim(), raw)}`];
  }
  const attrs = node.attributes.map(([k, v]) =>
    ` ${k}="${escapeAttribute(v, raw)}"`
  ).join("");
  const children = meaningful(node.children);
  if (children.length === 0) return [`${indent}<${node.name}${attrs} />`];
  if (children.every((c) => c.kind === "text")) {
    const text = node.children.map((c) => c.kind === "text" ? c.value : "")
      .join("");
    return [
      `${indent}<${node.name}${attrs}>${escapeText(text, raw)}</${node.name}>`,
    ];
  }
  return [
    `${indent}<${node.name}${attrs}>`,
    ...children.flatMap((c) => lines(c, depth + 1, raw)),
    `${indent}</${node.name}>`,
  ];
}

/** Serialises parsed nodes the way APIM returns policies (`raw` keeps expressions unescaped). */
export function serializePolicy(nodes: XmlNode[], raw: boolean): string {
  return nodes.flatMap((n) => lines(n, 0, raw)).join("\r\n");
}
