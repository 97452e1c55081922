// Unit tests for RegistrationPass.recordLinks: the links about to be made are recorded only on the APIMAPI the pass decided on.
import assert from "node:assert/strict";
import type { ApimApi } from "../../../src/crd/apim_api.ts";
import type { ApimApiDeployment } from "../../../src/crd/apim_api_deployment.ts";
import type { OperatorContext } from "../../../src/controllers/operator_context.ts";
import { RegistrationPass } from "../../../src/controllers/registration_pass.ts";
import type { StatusPatch } from "../../../src/controllers/status_patch.ts";
import { silentLogger } from "../../../src/log.ts";
import {
  apimApiFixture,
  statusConflict as conflict,
} from "./apim_api_fixture.ts";

const cases: {
  name: string;
  /** What a re-read after the first write's conflict finds. */
  fresh: ApimApi;
  /** The status the second write sends, or undefined when there must be none. */
  written: StatusPatch | undefined;
}[] = [
  {
    name:
      "another writer's fields: recorded on the fresh read, with its links kept",
    fresh: apimApiFixture("orders", {}, {
      status: { linkedProducts: ["gold"] },
    }),
    written: { linkedProducts: ["gold", "silver"], linkedTags: ["blue"] },
  },
  {
    name: "a spec edited meanwhile: nothing recorded, the pass ends",
    fresh: apimApiFixture("orders", {}, {
      metadata: { name: "orders", namespace: "shop", generation: 2 },
    }),
    written: undefined,
  },
];

for (const c of cases) {
  Deno.test(`recordLinks(): ${c.name}`, async () => {
    const writes: StatusPatch[] = [];
    const apimApis = {
      mergePatch: (_name: string, body: { status: StatusPatch }) => {
        writes.push(body.status);
        return writes.length === 1
          ? Promise.reject(conflict)
          : Promise.resolve(c.fresh);
      },
      find: () => Promise.resolve(c.fresh),
    };
    const ctx = {
      logger: silentLogger,
      kinds: { apimApis },
    } as unknown as OperatorContext;
    const pass = new RegistrationPass(
      ctx,
      {} as ApimApiDeployment,
      apimApiFixture("orders"),
      new AbortController().signal,
    );
    const outcome = await pass.recordLinks({
      products: ["silver"],
      tags: ["blue"],
    }).then(() => "recorded", (error) => error);
    assert.deepEqual(writes.slice(1), c.written ? [c.written] : []);
    assert.equal(outcome, c.written ? "recorded" : conflict);
  });
}
