// Unit tests of the PromQL metric-name extraction the dashboard and alert checks rely on.
import assert from "node:assert/strict";
import {
  missingMetricNames,
  promqlMetricNames,
} from "../../support/promql_metric_names.ts";

Deno.test("promqlMetricNames() finds metrics, not functions, keywords, labels, durations or variables", () => {
  assert.deepEqual(
    [
      ...promqlMetricNames(
        'histogram_quantile(0.99, sum by (controller, le) (rate(a_seconds_bucket{namespace="$namespace",job=~"x|y"}[$__rate_interval])))',
      ),
    ],
    ["a_seconds_bucket"],
  );
  assert.deepEqual(
    [
      ...promqlMetricNames(
        '(sum by (namespace, job) (b_total{x="1"}) < 1) or absent(c) and on (job) group_left (pod) d offset 5m > bool 1e3',
      ),
    ].sort(),
    ["b_total", "c", "d"],
  );
  assert.deepEqual([...promqlMetricNames("time() - e_seconds")], ["e_seconds"]);
  assert.deepEqual(
    [...promqlMetricNames('label_values(f{namespace="$namespace"}, job)')],
    ["f"],
  );
});

Deno.test("missingMetricNames() accepts a histogram's series and reports unknown names", () => {
  const exposition = [
    "# HELP h_seconds H.",
    "# TYPE h_seconds histogram",
    "# TYPE g gauge",
  ].join("\n");
  assert.deepEqual(
    missingMetricNames(
      [
        "h_seconds_bucket",
        "h_seconds_sum",
        "h_seconds_count",
        "g",
        "g_sum",
        "x",
      ],
      exposition,
    ),
    ["g_sum", "x"],
  );
});
