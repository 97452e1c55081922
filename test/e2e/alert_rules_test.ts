// The chart's alerting rules under promtool: they load, and each alert fires when it should and only then.
import assert from "node:assert/strict";
import { stringify } from "yaml";
import { sharedControlPlane } from "../controlplane/shared.ts";
import { runRequiredTool } from "../support/required_tool.ts";
import {
  renderAlertRules,
  type RuleGroups,
  RULES_NAMESPACE,
  RULES_RELEASE,
  RULES_SERIES_LABELS as L,
} from "../support/monitoring.ts";

/** promtool's verdict on `args`. */
async function promtool(
  args: string[],
): Promise<{ ok: boolean; output: string }> {
  const run = await runRequiredTool("promtool", args, {
    debianPackage: "prometheus",
  });
  return { ok: run.code === 0, output: run.stdout + run.stderr };
}

const JOB = { job: `${RULES_RELEASE}-metrics`, namespace: RULES_NAMESPACE };

interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts: Array<{ exp_labels: Record<string, string> }>;
}

interface RuleTest {
  name: string;
  interval: string;
  input_series: Array<{ series: string; values: string }>;
  alert_rule_test: AlertCase[];
}

function fires(
  alertname: string,
  at: string,
  severity: string,
  extra: Record<string, string> = {},
): AlertCase {
  return {
    eval_time: at,
    alertname,
    exp_alerts: [{ exp_labels: { ...JOB, severity, ...extra } }],
  };
}

function silent(alertname: string, at: string): AlertCase {
  return { eval_time: at, alertname, exp_alerts: [] };
}

/** One promtool test per situation; samples every minute. */
const TESTS: RuleTest[] = [
  {
    name: "a registration that fails for good alerts, from the first failure",
    interval: "1m",
    input_series: [
      {
        series: `apim_registrations_total{result="failed",${L}}`,
        values: "0x4 1x40",
      },
      {
        series: `apim_registrations_total{result="succeeded",${L}}`,
        values: "0+1x44",
      },
    ],
    alert_rule_test: [
      silent("ApimOperatorRegistrationsFailing", "3m"),
      fires("ApimOperatorRegistrationsFailing", "10m", "warning"),
      silent("ApimOperatorRegistrationsFailing", "44m"),
    ],
  },
  {
    name: "successful registrations alone do not alert",
    interval: "1m",
    input_series: [
      {
        series: `apim_registrations_total{result="failed",${L}}`,
        values: "0x40",
      },
      {
        series: `apim_registrations_total{result="succeeded",${L}}`,
        values: "0+3x40",
      },
    ],
    alert_rule_test: [silent("ApimOperatorRegistrationsFailing", "30m")],
  },
  {
    name: "a stalled API alerts after 15 minutes; progressing ones do not",
    interval: "1m",
    input_series: [
      { series: `apim_apis{state="stalled",pod="a",${L}}`, values: "0x5 1x40" },
      { series: `apim_apis{state="stalled",pod="b",${L}}`, values: "0x5 1x40" },
      { series: `apim_apis{state="progressing",pod="a",${L}}`, values: "7x45" },
    ],
    alert_rule_test: [
      silent("ApimOperatorApisStalled", "15m"),
      fires("ApimOperatorApisStalled", "25m", "warning"),
    ],
  },
  {
    name:
      "ARM throttling of 10% of requests alerts after 15 minutes, 1% does not",
    interval: "1m",
    input_series: [
      {
        series: `apim_arm_requests_total{method="PUT",code="200",${L}}`,
        values: "0+90x60",
      },
      {
        series: `apim_arm_requests_total{method="PUT",code="429",${L}}`,
        values: "0+10x60",
      },
      {
        series: `apim_arm_throttled_requests_total{method="PUT",${L}}`,
        values: "0x10 0+10x50",
      },
    ],
    alert_rule_test: [
      silent("ApimOperatorArmThrottled", "20m"),
      fires("ApimOperatorArmThrottled", "40m", "warning"),
    ],
  },
  {
    name: "rare throttling does not alert",
    interval: "1m",
    input_series: [
      {
        series: `apim_arm_requests_total{method="GET",code="200",${L}}`,
        values: "0+99x60",
      },
      {
        series: `apim_arm_throttled_requests_total{method="GET",${L}}`,
        values: "0+1x60",
      },
    ],
    alert_rule_test: [silent("ApimOperatorArmThrottled", "50m")],
  },
  {
    name: "token requests failing every minute alert; one failure does not",
    interval: "1m",
    input_series: [
      {
        series: `apim_azure_token_request_failures_total{pod="a",${L}}`,
        values: "0x5 0+1x30",
      },
      {
        series: `apim_azure_token_request_failures_total{pod="b",${L}}`,
        values: "0x5 1x30",
      },
    ],
    alert_rule_test: [
      silent("ApimOperatorTokenRequestsFailing", "8m"),
      fires("ApimOperatorTokenRequestsFailing", "20m", "critical"),
    ],
  },
  {
    name: "a single token failure does not alert",
    interval: "1m",
    input_series: [
      {
        series: `apim_azure_token_request_failures_total{pod="a",${L}}`,
        values: "0x5 1x30",
      },
    ],
    alert_rule_test: [silent("ApimOperatorTokenRequestsFailing", "20m")],
  },
  {
    name:
      "a work queue growing for 15 minutes alerts; a deep but steady or draining one does not",
    interval: "1m",
    input_series: [
      {
        series: `workqueue_depth{name="apimapi",pod="a",${L}}`,
        values: "0+2x60",
      },
      {
        series: `workqueue_depth{name="apimproduct",pod="a",${L}}`,
        values: "50x60",
      },
      {
        series: `workqueue_depth{name="apimtag",pod="a",${L}}`,
        values: "500-5x60",
      },
    ],
    alert_rule_test: [
      silent("ApimOperatorWorkQueueGrowing", "15m"),
      fires("ApimOperatorWorkQueueGrowing", "40m", "warning", {
        name: "apimapi",
      }),
    ],
  },
  {
    name: "no replica leading for 5 minutes alerts; a leader clears it",
    interval: "1m",
    input_series: [
      {
        series:
          `leader_election_master_status{name="azure-apim-operator",pod="a",${L}}`,
        values: "1x10 0x20 1x10",
      },
      {
        series:
          `leader_election_master_status{name="azure-apim-operator",pod="b",${L}}`,
        values: "0x40",
      },
    ],
    alert_rule_test: [
      silent("ApimOperatorNoLeader", "9m"),
      silent("ApimOperatorNoLeader", "13m"),
      fires("ApimOperatorNoLeader", "20m", "critical"),
      silent("ApimOperatorNoLeader", "38m"),
    ],
  },
  {
    name: "no leader metric at all alerts",
    interval: "1m",
    input_series: [
      {
        series: `workqueue_depth{name="apimapi",pod="a",${L}}`,
        values: "0x20",
      },
    ],
    alert_rule_test: [fires("ApimOperatorNoLeader", "10m", "critical")],
  },
];

/**
 * The rules without their annotations: promtool compares an alert's annotations too, and those
 * are prose with values in them. `promtool check rules` still parses the annotation templates.
 */
function withoutAnnotations(rules: RuleGroups): RuleGroups {
  return {
    groups: rules.groups.map((group) => ({
      ...group,
      rules: group.rules.map(({ annotations: _, ...rule }) => rule),
    })),
  };
}

Deno.test("promtool loads the chart's alerting rules and each alert fires in its unit test, and only there", async () => {
  const plane = await sharedControlPlane();
  const rules = await renderAlertRules(plane.kubeconfigPath);
  const alerts = rules.groups.flatMap((g) => g.rules.map((r) => r.alert));
  assert.deepEqual(alerts.sort(), [
    "ApimOperatorApisStalled",
    "ApimOperatorArmThrottled",
    "ApimOperatorNoLeader",
    "ApimOperatorRegistrationsFailing",
    "ApimOperatorTokenRequestsFailing",
    "ApimOperatorWorkQueueGrowing",
  ]);
  // Every alert has a case where it fires and one where it stays silent.
  for (const alert of alerts) {
    const cases = TESTS.flatMap((t) => t.alert_rule_test).filter((c) =>
      c.alertname === alert
    );
    assert.ok(cases.some((c) => c.exp_alerts.length > 0), `${alert} fires`);
    assert.ok(cases.some((c) => c.exp_alerts.length === 0), `${alert} silent`);
  }
  const dir = await Deno.makeTempDir({ prefix: "apim-alert-rules-" });
  try {
    await Deno.writeTextFile(`${dir}/rules.yaml`, stringify(rules));
    await Deno.writeTextFile(
      `${dir}/unit-rules.yaml`,
      stringify(withoutAnnotations(rules)),
    );
    const checked = await promtool(["check", "rules", `${dir}/rules.yaml`]);
    assert.ok(checked.ok, checked.output);
    await Deno.writeTextFile(
      `${dir}/tests.yaml`,
      stringify({
        rule_files: ["unit-rules.yaml"],
        evaluation_interval: "1m",
        tests: TESTS,
      }),
    );
    const tested = await promtool(["test", "rules", `${dir}/tests.yaml`]);
    assert.ok(tested.ok, tested.output);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("prometheusRule.selector and alertLabels reach every alert", async () => {
  const plane = await sharedControlPlane();
  const rules = await renderAlertRules(plane.kubeconfigPath, {
    selector: 'service="apim"',
    alertLabels: { team: "platform" },
  });
  for (const rule of rules.groups.flatMap((g) => g.rules)) {
    assert.match(rule.expr, /\{([^}]*,)?service="apim"\}/, rule.alert);
    assert.doesNotMatch(rule.expr, /SELECTOR|job=/, rule.alert);
    assert.equal(rule.labels?.["team"], "platform", rule.alert);
    assert.match(rule.labels?.["severity"] ?? "", /^(warning|critical)$/);
  }
});
