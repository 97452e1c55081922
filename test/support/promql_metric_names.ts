// The metric names a PromQL expression (or a Grafana query using template variables) reads.

const KEYWORDS = new Set([
  "and",
  "or",
  "unless",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "bool",
  "offset",
  "inf",
  "nan",
]);

/**
 * Metric names in `expr`: identifiers that are not functions, aggregations, keywords, label
 * names (in matchers and grouping clauses) or Grafana variables. Grafana's
 * `label_values(metric, label)` counts its metric.
 */
export function promqlMetricNames(expr: string): Set<string> {
  const names = new Set<string>();
  for (const match of expr.matchAll(/label_values\(\s*([a-zA-Z_:][\w:]*)/g)) {
    names.add(match[1]!);
  }
  const bare = expr
    .replace(/label_values\([^)]*\)/g, "")
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, "")
    .replace(/\{[^}]*\}/g, "")
    .replace(/\[[^\]]*\]/g, "")
    .replace(
      /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
      "",
    )
    .replace(/\$\{[^}]*\}|\$\w+/g, "");
  for (
    const match of bare.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(\s*\()?/g)
  ) {
    const [, name, call] = match;
    if (!call && !KEYWORDS.has(name!.toLowerCase())) names.add(name!);
  }
  return names;
}

/** The names among `names` that no family of the exposition provides (a histogram provides `_bucket`, `_sum` and `_count`). */
export function missingMetricNames(
  names: Iterable<string>,
  exposition: string,
): string[] {
  const exposed = new Set<string>();
  for (
    const [, family, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)
  ) {
    exposed.add(family!);
    if (type === "histogram" || type === "summary") {
      for (const suffix of ["_sum", "_count"]) exposed.add(family + suffix);
      if (type === "histogram") exposed.add(`${family}_bucket`);
    }
  }
  return [...new Set(names)].filter((name) => !exposed.has(name)).sort();
}
