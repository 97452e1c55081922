// The standalone simulators (test/sim/serve.ts): coordinates on stdout, a working token + ARM call, clean exit on SIGTERM.

import assert from "node:assert/strict";
import { z } from "zod";
import { TEST_TLS_DIR_ENV } from "../../support/test_tls.ts";
import { readArm } from "./sim_fixture.ts";

const coordinatesSchema = z.object({
  apim: z.object({
    url: z.string(),
    services: z.array(z.object({ resourceId: z.string() })),
  }),
  entra: z.object({
    authorityHost: z.string(),
    tenantId: z.string(),
    clientId: z.string(),
    clientSecret: z.string(),
    scope: z.string(),
  }),
});

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!text.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  await reader.cancel();
  return text.split("\n")[0] ?? "";
}

Deno.test("serve.ts prints coordinates that work and stops on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("../../sim/serve.ts", import.meta.url).pathname,
      "--import-polls",
      "0",
    ],
    env: { [TEST_TLS_DIR_ENV]: Deno.env.get(TEST_TLS_DIR_ENV) ?? "" },
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  try {
    const coordinates = coordinatesSchema.parse(
      JSON.parse(await firstLine(child.stdout)),
    );
    const { entra, apim } = coordinates;
    const token = await readArm(
      await fetch(
        `${entra.authorityHost}/${entra.tenantId}/oauth2/v2.0/token`,
        {
          method: "POST",
          body: new URLSearchParams({
            grant_type: "client_credentials",
            client_id: entra.clientId,
            client_secret: entra.clientSecret,
            scope: entra.scope,
          }),
        },
      ),
    );
    const accessToken =
      z.object({ access_token: z.string() }).parse(token.body).access_token;
    const service = await readArm(
      await fetch(
        `${apim.url}${apim.services[0]?.resourceId}?api-version=2024-05-01`,
        {
          headers: { authorization: `Bearer ${accessToken}` },
        },
      ),
    );
    assert.equal(service.status, 200);
  } finally {
    child.kill("SIGTERM");
  }
  const status = await child.status;
  assert.equal(status.code, 0);
});
