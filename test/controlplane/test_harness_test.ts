// Tests of the test harness itself: run_tests.ts's tally and arguments, and waitFor.

import assert from "node:assert/strict";
import { denoTestRuns, formatTally, tallyTestOutput } from "../run_tests.ts";
import { waitFor, WaitTimeoutError } from "../support/wait.ts";

const ESC = "\x1b";

Deno.test("tallyTestOutput counts tests and steps from deno test's summary line", () => {
  const output = [
    `${ESC}[0m${ESC}[38;5;245mrunning 5 tests from ./a_test.ts${ESC}[0m`,
    "ok | 99 passed | 0 failed (printed by a test, not the summary)",
    `${ESC}[0m${ESC}[31mFAILED${ESC}[0m | 2 passed (3 steps) | 2 failed (1 step) | 1 ignored (1 step) ${ESC}[0m${ESC}[38;5;245m(11ms)${ESC}[0m`,
    "",
    "error: Test failed",
  ].join("\n");
  assert.deepEqual(tallyTestOutput(output, 1), { passed: 5, failed: 3 });
  assert.deepEqual(
    tallyTestOutput("ok | 1 passed | 0 failed | 4 filtered out (6ms)\n", 0),
    { passed: 1, failed: 0 },
  );
});

Deno.test("tallyTestOutput reports a failure when deno test ends without a clean summary", () => {
  assert.deepEqual(
    tallyTestOutput("Check a_test.ts\nerror: Type checking failed.\n", 1),
    { passed: 0, failed: 1 },
  );
  assert.deepEqual(
    tallyTestOutput(
      "a ... ok (1ms)\n  step ... ok (0ms)\nb ... FAILED (2ms)\n",
      1,
    ),
    { passed: 2, failed: 1 },
  );
  assert.deepEqual(
    tallyTestOutput("ok | 3 passed | 0 failed (1s)\n", 1),
    { passed: 3, failed: 1 },
  );
});

Deno.test("tallyTestOutput understands the output of this Deno's test runner", async () => {
  const dir = await Deno.makeTempDir({ prefix: "apim-tally-" });
  try {
    await Deno.writeTextFile(
      `${dir}/sample_test.ts`,
      [
        'Deno.test("passes", () => {});',
        'Deno.test("fails", () => { throw new Error("expected failure"); });',
        'Deno.test({ name: "ignored", ignore: true, fn() {} });',
        'Deno.test("steps", async (t) => {',
        '  await t.step("ok 1", () => {});',
        '  await t.step("ok 2", () => {});',
        '  await t.step("bad", () => { throw new Error("expected step failure"); });',
        "});",
      ].join("\n"),
    );
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["test", "--no-check", "--no-config", "sample_test.ts"],
      cwd: dir,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    // passes + 2 passed steps; fails + steps + its failed step.
    assert.deepEqual(tallyTestOutput(stdout, out.code), {
      passed: 3,
      failed: 3,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("formatTally prints the line CI reads", () => {
  assert.equal(formatTally({ passed: 12, failed: 0 }), "12 passed, 0 failed");
});

Deno.test("denoTestRuns turns sanitizers and parallel files on and runs test/, then the files that run alone", () => {
  const prefix = [
    "test",
    "-A",
    "--parallel",
    "--sanitize-ops",
    "--sanitize-resources",
  ];
  const [all, alone, ...more] = denoTestRuns([]);
  assert.equal(more.length, 0);
  assert.deepEqual(all?.slice(0, 5), prefix);
  assert.match(all?.at(-1) ?? "", /\/test\/$/);
  assert.match(all?.[5] ?? "", /^--ignore=.*\/test\/e2e\/chaos_test\.ts$/);
  assert.deepEqual(alone?.slice(0, 5), prefix);
  assert.match(alone?.at(-1) ?? "", /\/test\/e2e\/chaos_test\.ts$/);
  const filtered = denoTestRuns(["--filter", "smoke"]);
  assert.deepEqual(filtered[0]?.slice(6, 8), ["--filter", "smoke"]);
  assert.deepEqual(filtered[1]?.slice(5, 7), ["--filter", "smoke"]);
  assert.deepEqual(denoTestRuns(["test/e2e/smoke_test.ts"]), [[
    ...prefix,
    "test/e2e/smoke_test.ts",
  ]]);
  assert.deepEqual(denoTestRuns(["--filter=x", "a_test.ts"]), [[
    ...prefix,
    "--filter=x",
    "a_test.ts",
  ]]);
});

Deno.test("waitFor returns the first value the probe yields", async () => {
  const answers = [undefined, undefined, "ready"];
  let probes = 0;
  const value = await waitFor(
    () => Promise.resolve(answers[probes++]),
    { description: "the third answer", intervalMs: 1 },
  );
  assert.equal(value, "ready");
  assert.equal(probes, 3);
});

Deno.test("waitFor fails at the deadline naming the wait and the last probe error", async () => {
  const error = await waitFor(
    () => Promise.reject(new Error("phase is Pending")),
    { description: "the widget to be Ready", timeoutMs: 50, intervalMs: 5 },
  ).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof WaitTimeoutError);
  assert.match(error.message, /the widget to be Ready/);
  assert.match(error.message, /phase is Pending/);
  assert.ok(error.attempts >= 1);
});

Deno.test("waitFor cancels a hanging probe at the deadline through its signal", async () => {
  const error = await waitFor(
    (signal) =>
      new Promise<undefined>((_resolve, reject) => {
        signal.addEventListener("abort", () => reject(signal.reason), {
          once: true,
        });
      }),
    { description: "a probe that never answers", timeoutMs: 50 },
  ).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof WaitTimeoutError);
  assert.equal(error.attempts, 1);
  assert.match(error.message, /Deadline of 50ms passed/);
});

Deno.test("waitFor stops with the reason when its signal aborts", async () => {
  const stop = new AbortController();
  const reason = new Error("test is over");
  const error = await waitFor(() => {
    stop.abort(reason);
    return Promise.resolve(undefined);
  }, { description: "something", signal: stop.signal }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.equal(error, reason);
});
