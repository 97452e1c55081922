// Collection responses: `$filter` (eq/ne joined by `and`), `$top`/`$skip` paging and absolute nextLinks.

import { invalidField } from "./arm_error.ts";
import type { RequestContext } from "./context.ts";
import { jsonResponse } from "./http.ts";
import { isJsonObject, type JsonObject, type JsonValue } from "./json.ts";

interface Clause {
  field: string;
  op: "eq" | "ne";
  value: string | boolean;
}

const CLAUSE =
  /^\s*([A-Za-z][A-Za-z0-9/]*)\s+(eq|ne)\s+(?:'((?:[^']|'')*)'|(true|false))\s*$/i;

function parseFilter(filter: string): Clause[] {
  return filter.split(/\s+and\s+/i).map((part) => {
    const m = CLAUSE.exec(part);
    if (!m) {
      throw invalidField(
        "$filter",
        `Invalid filter clause '${part.trim()}'. Supported: <field> eq|ne '<value>' joined by 'and'.`,
      );
    }
    const op = m[2]?.toLowerCase() === "ne" ? "ne" : "eq";
    const literal = m[3] !== undefined
      ? m[3].replaceAll("''", "'")
      : m[4]?.toLowerCase() === "true";
    return { field: m[1] ?? "", op, value: literal };
  });
}

/** A field of a rendered item (`name`, `path`, `properties/path`): top level first, then `properties`. */
function fieldOf(item: JsonObject, field: string): JsonValue | undefined {
  const lookup = (from: JsonValue | undefined) =>
    field.split("/").reduce<JsonValue | undefined>(
      (node, segment) => isJsonObject(node) ? node[segment] : undefined,
      from,
    );
  return lookup(item) ?? lookup(item.properties);
}

function clauseHolds(item: JsonObject, clause: Clause): boolean {
  const actual = fieldOf(item, clause.field);
  const equal = typeof clause.value === "string"
    ? typeof actual === "string" &&
      actual.toLowerCase() === clause.value.toLowerCase()
    : actual === clause.value;
  return clause.op === "eq" ? equal : !equal;
}

function nonNegativeInt(ctx: RequestContext, name: string): number | null {
  const raw = ctx.url.searchParams.get(name);
  if (raw === null) return null;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) {
    throw invalidField(name, `The value '${raw}' is not valid for ${name}.`);
  }
  return n;
}

/** How a collection ends. */
export interface ListOptions {
  /**
   * The last page carries `"nextLink": null` (revision lists: cli-test_apim_api_revision#2,
   * net-ApiRevisionTests#15) instead of no nextLink (APIs, products, releases: net-ApiTests#2,
   * net-ProductTests#2, net-ApiRevisionTests#18).
   */
  nullNextLink?: boolean;
}

/**
 * A paged collection body `{value, count, nextLink?}` of `items` after `$filter`, `$skip` and
 * `$top` (page size capped by the `pageSize` knob); nextLink is absolute to the simulator and
 * `count` the total (net-ApiRevisionTests#13: `count` 9 on a `$top=1` page).
 */
export function pagedList(
  ctx: RequestContext,
  items: readonly JsonObject[],
  options: ListOptions = {},
): Response {
  const filter = ctx.url.searchParams.get("$filter");
  const clauses = filter ? parseFilter(filter) : [];
  const selected = items.filter((item) =>
    clauses.every((c) => clauseHolds(item, c))
  );
  const skip = nonNegativeInt(ctx, "$skip") ?? 0;
  const maxPage = ctx.runtime.knobs.pageSize;
  const top = Math.min(nonNegativeInt(ctx, "$top") ?? maxPage, maxPage);
  const page = selected.slice(skip, skip + top);
  const body: JsonObject = { value: page, count: selected.length };
  if (skip + top < selected.length && top > 0) {
    const next = new URL(ctx.url.pathname, ctx.runtime.baseUrl);
    for (const [k, v] of ctx.url.searchParams) {
      if (k !== "$skip" && k !== "$top") next.searchParams.append(k, v);
    }
    next.searchParams.set("$top", String(top));
    next.searchParams.set("$skip", String(skip + top));
    body.nextLink = next.toString();
  } else if (ctx.runtime.knobs.emptyNextLink) {
    body.nextLink = "";
  } else if (options.nullNextLink) {
    body.nextLink = null;
  }
  return jsonResponse(200, body);
}
