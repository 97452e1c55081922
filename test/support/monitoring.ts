// The chart's monitoring files as tests read them: the Grafana dashboard's queries and the rendered alerting rules.
import { z } from "zod";
import { CHART_DIR, objectOf, renderChart } from "./helm_chart.ts";

/** The dashboard JSON in the chart. */
export const DASHBOARD_PATH =
  `${CHART_DIR}/files/monitoring/grafana-dashboard.json`;

/** Release and namespace the rules are rendered for (their default selector names both). */
export const RULES_RELEASE = "azure-apim-operator";
export const RULES_NAMESPACE = "apim-operator";
/** The label matchers of the default selector for that release, as series in promtool tests carry them. */
export const RULES_SERIES_LABELS =
  `job="${RULES_RELEASE}-metrics",namespace="${RULES_NAMESPACE}"`;

const ruleSchema = z.looseObject({
  alert: z.string(),
  expr: z.string(),
  for: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const rulesSchema = z.object({
  groups: z.array(
    z.looseObject({ name: z.string(), rules: z.array(ruleSchema) }),
  ),
});

/** Prometheus rule groups (the `spec` of a PrometheusRule, and a `promtool` rules file). */
export type RuleGroups = z.infer<typeof rulesSchema>;

const dashboardSchema = z.looseObject({
  panels: z.array(z.looseObject({
    targets: z.array(z.looseObject({ expr: z.string() })).optional(),
  })),
  templating: z.looseObject({
    list: z.array(z.looseObject({
      type: z.string(),
      definition: z.string().optional(),
    })),
  }),
});

/** Every PromQL query of the dashboard: panel targets and query variables. */
export async function dashboardQueries(): Promise<string[]> {
  const dashboard = dashboardSchema.parse(
    JSON.parse(await Deno.readTextFile(DASHBOARD_PATH)),
  );
  return [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.flatMap((v) =>
      v.type === "query" && v.definition ? [v.definition] : []
    ),
  ];
}

/** The chart's PrometheusRule rendered with `prometheusRule.enabled` (and `values` on top): its rule groups. */
export async function renderAlertRules(
  kubeconfig: string,
  values: Record<string, unknown> = {},
): Promise<RuleGroups> {
  const rule = objectOf(
    await renderChart({
      release: RULES_RELEASE,
      namespace: RULES_NAMESPACE,
      kubeconfig,
      showOnly: ["templates/prometheusrule.yaml"],
      values: { prometheusRule: { enabled: true, ...values } },
    }),
    "PrometheusRule",
  );
  return rulesSchema.parse(rule["spec"]);
}
