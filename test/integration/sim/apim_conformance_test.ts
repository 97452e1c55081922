// Replays every copied x-ms-example against the simulator over HTTPS: status among the example's codes, body of the example's shape.

import assert from "node:assert/strict";
import {
  EXAMPLE_OPERATIONS,
  exampleLinkFetcher,
  EXAMPLES_DIR,
  readExample,
  requestOf,
  seed,
  servicePathOf,
} from "./example_catalog.ts";
import { shapeMismatches } from "./shape_match.ts";
import {
  pollLocation,
  RESOURCE_GROUP,
  SERVICE_NAME,
  startSimulators,
  SUBSCRIPTION_ID,
} from "./sim_fixture.ts";

const VERSIONS = ["2024-05-01", "2022-08-01"];

/**
 * Example fields the recordings of real traffic do not show, which the simulator leaves out
 * (test/sim/apim/DEVIATIONS.md, "Where the spec examples and the recordings disagree").
 */
const NOT_IN_RECORDINGS = ["properties.isOnline", "properties.type"];

function exampleFiles(): { version: string; name: string; url: URL }[] {
  return VERSIONS.flatMap((version) => {
    const dir = new URL(`${version}/`, EXAMPLES_DIR);
    return [...Deno.readDirSync(dir)]
      .filter((e) => e.isFile && e.name.endsWith(".json"))
      .map((e) => ({
        version,
        name: e.name.replace(/\.json$/, ""),
        url: new URL(e.name, dir),
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
  });
}

const FILES = exampleFiles();

Deno.test("every copied example is replayed (none is skipped)", () => {
  assert.ok(
    FILES.length >= 40,
    `only ${FILES.length} example files found in ${EXAMPLES_DIR}`,
  );
  const skipped = FILES.filter((f) => !(f.name in EXAMPLE_OPERATIONS)).map((
    f,
  ) => `${f.version}/${f.name}`);
  assert.deepEqual(skipped, []);
});

for (const file of FILES) {
  const op = EXAMPLE_OPERATIONS[file.name];
  if (!op) continue;
  Deno.test(`example ${file.version}/${file.name}`, async () => {
    const example = readExample(file.url);
    await using sim = await startSimulators({
      apim: {
        fetchLink: exampleLinkFetcher,
        // The examples show plain API PUTs in LRO shape; real APIM answers them at once
        // (test/sim/apim/DEVIATIONS.md, "spec examples"): the knob gives the examples' shape.
        knobs: {
          emptyNextLink: true,
          importPolls: 1,
          asyncPlainApiWrites: true,
        },
      },
    });
    const servicePath = servicePathOf(example.parameters);
    if (
      !servicePath.endsWith(
        `/${RESOURCE_GROUP}/providers/Microsoft.ApiManagement/service/${SERVICE_NAME}`,
      ) ||
      !servicePath.includes(SUBSCRIPTION_ID)
    ) {
      const [, subscriptionId = "", , resourceGroup = "", , , , name = ""] =
        servicePath.split("/").slice(1);
      sim.apim.addService({ subscriptionId, resourceGroup, name });
    }
    await seed(sim, example, op);
    const request = requestOf(example, op);
    const res = await sim.arm(op.method, request.path, {
      apiVersion: request.apiVersion,
      query: request.query,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    const codes = Object.keys(example.responses);
    assert.ok(
      codes.includes(String(res.status)),
      `status ${res.status} not in ${codes}: ${JSON.stringify(res.body)}`,
    );
    const expected = example.responses[String(res.status)];
    for (const header of Object.keys(expected?.headers ?? {})) {
      assert.ok(res.headers.has(header), `missing header ${header}`);
    }
    if (expected?.body !== undefined) {
      assert.deepEqual(
        shapeMismatches(expected.body, res.body, [
          ...(op.ignored ?? []),
          ...NOT_IN_RECORDINGS,
        ]),
        [],
      );
    } else {
      assert.equal(res.body, null);
    }
    const location = res.headers.get("location");
    if (location?.includes("asyncId=")) {
      const { final } = await pollLocation(sim, location);
      const done = example.responses[String(final.status)];
      assert.ok(
        done,
        `final status ${final.status} not in ${codes}: ${
          JSON.stringify(final.body)
        }`,
      );
      if (done.body !== undefined) {
        // The example's body is the first answer (2024-05-01: InProgress); the final one has no provisioningState.
        const ignored = [
          ...(op.ignored ?? []),
          ...NOT_IN_RECORDINGS,
          "properties.provisioningState",
        ];
        assert.deepEqual(shapeMismatches(done.body, final.body, ignored), []);
      }
    }
  });
}
