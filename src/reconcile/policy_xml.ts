// Semantic comparison of policy XML: API Management normalises what it stores (indentation, escaping, empty elements).

/** A policy as the spec gives it. */
export interface PolicyDocument {
  content: string;
  /** `rawxml`: policy expressions may hold unescaped `<`, `&` and quotes. */
  format: "xml" | "rawxml";
}

/** What a scope without a policy of its own does: inherit every section (`<base />`). */
export const DEFAULT_POLICY_XML =
  "<policies><inbound><base /></inbound><backend><base /></backend><outbound><base /></outbound><on-error><base /></on-error></policies>";

type Node = string | { comment: string } | ElementNode;

interface ElementNode {
  name: string;
  /** Attributes sorted by name, values decoded. */
  attributes: [string, string][];
  children: Node[];
}

const ENTITIES: Readonly<Record<string, string>> = {
  lt: "<",
  gt: ">",
  amp: "&",
  quot: '"',
  apos: "'",
};

/** Thrown inside the reader for input that is not a well-formed policy; never escapes this module. */
class Malformed extends Error {}

/** Reads policy XML into a tree that ignores what API Management's normalisation changes. */
class PolicyReader {
  readonly #src: string;
  readonly #raw: boolean;
  #pos = 0;

  constructor(src: string, raw: boolean) {
    this.#src = src.replaceAll("\r\n", "\n");
    this.#raw = raw;
  }

  #at(token: string): boolean {
    return this.#src.startsWith(token, this.#pos);
  }

  #until(token: string): string {
    const end = this.#src.indexOf(token, this.#pos);
    if (end < 0) throw new Malformed(`missing "${token}"`);
    const body = this.#src.slice(this.#pos, end);
    this.#pos = end + token.length;
    return body;
  }

  /** End (exclusive) of the policy expression `@(...)` or `@{...}` that starts at `start`. */
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
    throw new Malformed("unterminated policy expression");
  }

  #expressionAt(i: number): boolean {
    const next = this.#src[i + 1];
    return this.#raw && this.#src[i] === "@" && (next === "(" || next === "{");
  }

  #decode(text: string): string {
    return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, name: string) => {
      if (name.startsWith("#")) {
        const hex = name[1] === "x" || name[1] === "X";
        return String.fromCodePoint(
          parseInt(name.slice(hex ? 2 : 1), hex ? 16 : 10),
        );
      }
      const entity = ENTITIES[name];
      if (entity !== undefined) return entity;
      if (this.#raw) return whole;
      throw new Malformed(`unknown entity ${whole}`);
    });
  }

  #name(): string {
    const match = /^[A-Za-z_][\w.:-]*/.exec(this.#src.slice(this.#pos));
    if (!match) throw new Malformed("a name was expected");
    this.#pos += match[0].length;
    return match[0];
  }

  #skipSpace(): void {
    while (/\s/.test(this.#src[this.#pos] ?? "")) this.#pos++;
  }

  /** Text up to the next markup, decoded; in raw mode expressions are kept verbatim. */
  #text(): string {
    let out = "";
    let chunk = this.#pos;
    while (this.#pos < this.#src.length && this.#src[this.#pos] !== "<") {
      if (this.#expressionAt(this.#pos)) {
        out += this.#decode(this.#src.slice(chunk, this.#pos));
        const end = this.#expressionEnd(this.#pos);
        out += this.#src.slice(this.#pos, end);
        this.#pos = chunk = end;
      } else this.#pos++;
    }
    return out + this.#decode(this.#src.slice(chunk, this.#pos));
  }

  #attributeValue(): string {
    const quote = this.#src[this.#pos];
    if (quote !== '"' && quote !== "'") throw new Malformed("unquoted value");
    const start = ++this.#pos;
    if (this.#expressionAt(start)) {
      const end = this.#expressionEnd(start);
      if (this.#src[end] !== quote) throw new Malformed("unclosed value");
      this.#pos = end + 1;
      return this.#src.slice(start, end);
    }
    const value = this.#until(quote);
    if (!this.#raw && value.includes("<")) throw new Malformed("'<' in value");
    return this.#decode(value);
  }

  #element(): ElementNode {
    this.#pos++;
    const name = this.#name();
    const attributes: [string, string][] = [];
    for (;;) {
      this.#skipSpace();
      if (this.#at("/>")) {
        this.#pos += 2;
        return { name, attributes: sorted(attributes), children: [] };
      }
      if (this.#at(">")) {
        this.#pos++;
        const children = this.nodes(name);
        return { name, attributes: sorted(attributes), children };
      }
      const attribute = this.#name();
      this.#skipSpace();
      if (this.#src[this.#pos++] !== "=") throw new Malformed("'=' expected");
      this.#skipSpace();
      attributes.push([attribute, this.#attributeValue()]);
    }
  }

  /** The nodes up to `</closing>`, or to the end of the input when `closing` is null. */
  nodes(closing: string | null): Node[] {
    const nodes: Node[] = [];
    const text = (value: string) => {
      const trimmed = value.trim();
      if (trimmed !== "") nodes.push(trimmed);
    };
    while (this.#pos < this.#src.length) {
      if (this.#at("<!--")) {
        this.#pos += 4;
        nodes.push({ comment: this.#until("-->").trim() });
      } else if (this.#at("<![CDATA[")) {
        this.#pos += 9;
        text(this.#until("]]>"));
      } else if (this.#at("<?") || this.#at("<!")) {
        this.#until(">");
      } else if (this.#at("</")) {
        this.#pos += 2;
        const name = this.#name();
        this.#skipSpace();
        if (this.#src[this.#pos++] !== ">" || name !== closing) {
          throw new Malformed(`unexpected end tag "${name}"`);
        }
        return nodes;
      } else if (this.#at("<")) {
        nodes.push(this.#element());
      } else {
        text(this.#text());
      }
    }
    if (closing !== null) throw new Malformed(`"${closing}" is not closed`);
    return nodes;
  }
}

function sorted(attributes: [string, string][]): [string, string][] {
  return [...attributes].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0);
}

/**
 * A canonical text of a policy: elements, sorted attributes and decoded, trimmed text, without
 * the whitespace, quoting, escaping and empty-element forms API Management rewrites. Undefined when
 * the text is not a well-formed policy (API Management will say what is wrong).
 */
export function canonicalPolicy(
  text: string,
  raw: boolean,
): string | undefined {
  try {
    return JSON.stringify(new PolicyReader(text, raw).nodes(null));
  } catch (error) {
    if (error instanceof Malformed) return undefined;
    throw error;
  }
}

/**
 * Whether API Management's copy (`observed`, as `GET ?format=xml` returns it; undefined when the
 * scope has no policy of its own, which behaves as {@linkcode DEFAULT_POLICY_XML}) means the same
 * as `desired`. A desired policy that does not parse never matches: sending it brings APIM's error.
 */
export function samePolicy(
  desired: PolicyDocument,
  observed: string | undefined,
): boolean {
  const want = canonicalPolicy(desired.content, desired.format === "rawxml");
  const have = canonicalPolicy(observed ?? DEFAULT_POLICY_XML, false);
  return want !== undefined && want === have;
}
