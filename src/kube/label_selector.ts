// Label selectors: matching labels locally (cache queries) and formatting for server-side filtering.

import type { LabelSelector } from "kubernetes-types/meta/v1.d.ts";

/**
 * Whether `labels` satisfy `selector` (matchLabels AND every matchExpression). An empty
 * selector matches everything; an unknown operator matches nothing.
 */
export function labelSelectorMatches(
  selector: LabelSelector,
  labels: Readonly<Record<string, string>> | undefined,
): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, expression.key);
    const values = expression.values ?? [];
    switch (expression.operator) {
      case "In":
        if (!present || !values.includes(have[expression.key]!)) return false;
        break;
      case "NotIn":
        if (present && values.includes(have[expression.key]!)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** The `labelSelector` query form: `a=b,c in (x,y),!d`. */
export function formatLabelSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {}).map(([k, v]) =>
    `${k}=${v}`
  );
  for (const expression of selector.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(",");
    switch (expression.operator) {
      case "In":
        parts.push(`${expression.key} in (${values})`);
        break;
      case "NotIn":
        parts.push(`${expression.key} notin (${values})`);
        break;
      case "Exists":
        parts.push(expression.key);
        break;
      case "DoesNotExist":
        parts.push(`!${expression.key}`);
        break;
      default:
        throw new TypeError(
          `Cannot format label selector: unknown operator "${expression.operator}"`,
        );
    }
  }
  return parts.join(",");
}
