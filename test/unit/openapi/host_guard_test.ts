// Unit tests for the host check: literal hosts as URLs normalise them, and resolved addresses.

import assert from "node:assert/strict";
import { DocumentFetchError } from "../../../src/openapi/document_fetch_error.ts";
import {
  assertHostAllowed,
  type HostResolver,
} from "../../../src/openapi/host_guard.ts";

/** A resolver with fixed answers that records which names it was asked for. */
function fixedResolver(answers: Record<string, string[]>): {
  resolve: HostResolver;
  asked: string[];
} {
  const asked: string[] = [];
  const resolve: HostResolver = (hostname) => {
    asked.push(hostname);
    const addresses = answers[hostname];
    return addresses === undefined
      ? Promise.reject(new Deno.errors.NotFound(`no such host ${hostname}`))
      : Promise.resolve(addresses);
  };
  return { resolve, asked };
}

async function failure(
  url: string,
  resolve: HostResolver,
): Promise<DocumentFetchError> {
  try {
    await assertHostAllowed(
      new URL(url),
      resolve,
      new AbortController().signal,
    );
  } catch (error) {
    assert.ok(error instanceof DocumentFetchError, String(error));
    return error;
  }
  assert.fail(`expected ${url} to be refused`);
}

Deno.test("literal metadata and link-local hosts are refused in every spelling", async () => {
  const { resolve, asked } = fixedResolver({});
  for (
    const url of [
      "http://169.254.169.254/latest/meta-data/",
      "http://2852039166/", // decimal
      "http://0xa9.0xfe.0xa9.0xfe/", // hex
      "http://0251.0376.0251.0376/", // octal
      "http://169.254.169.254./", // trailing dot
      "http://168.63.129.16/machine",
      "http://[::ffff:169.254.169.254]/",
      "http://[::ffff:a83f:8110]/",
      "http://[fd00:ec2::254]/latest/",
      "http://[fe80::1]/",
      "http://0.0.0.0/",
    ]
  ) {
    const error = await failure(url, resolve);
    assert.equal(error.reason, "ForbiddenAddress", url);
    assert.equal(error.retryable, false, url);
  }
  assert.deepEqual(asked, [], "literal addresses need no DNS");
});

Deno.test("loopback and private literals are allowed without DNS", async () => {
  const { resolve, asked } = fixedResolver({});
  for (
    const url of [
      "http://127.0.0.1:8080/",
      "http://10.0.0.5/",
      "http://[::1]/",
      "http://192.168.0.2/",
    ]
  ) {
    await assertHostAllowed(
      new URL(url),
      resolve,
      new AbortController().signal,
    );
  }
  assert.deepEqual(asked, []);
});

Deno.test("a name is refused when any of its addresses is forbidden", async () => {
  const { resolve } = fixedResolver({
    "metadata.internal": ["10.0.0.1", "169.254.169.254"],
    "sneaky.example": ["::ffff:a9fe:a9fe"],
  });
  const mixed = await failure("http://metadata.internal/x", resolve);
  assert.equal(mixed.reason, "ForbiddenAddress");
  assert.match(
    mixed.message,
    /"metadata\.internal" resolves to 169\.254\.169\.254/,
  );
  assert.equal(
    (await failure("http://sneaky.example/x", resolve)).reason,
    "ForbiddenAddress",
  );
});

Deno.test("a name with only allowed addresses passes", async () => {
  const { resolve, asked } = fixedResolver({
    "pets.shop.svc.cluster.local": ["10.96.4.2"],
  });
  await assertHostAllowed(
    new URL("http://pets.shop.svc.cluster.local/swagger.json"),
    resolve,
    new AbortController().signal,
  );
  assert.deepEqual(asked, ["pets.shop.svc.cluster.local"]);
});

Deno.test("a name that does not resolve is Unreachable and retryable", async () => {
  const { resolve } = fixedResolver({ "empty.example": [] });
  const missing = await failure("https://nowhere.example/x", resolve);
  assert.equal(missing.reason, "Unreachable");
  assert.equal(missing.retryable, true);
  assert.match(missing.message, /"nowhere\.example" cannot be resolved/);
  assert.equal(
    (await failure("https://empty.example/x", resolve)).reason,
    "Unreachable",
  );
});

Deno.test("an answer that is not an IP address is refused", async () => {
  const { resolve } = fixedResolver({ "odd.example": ["not-an-address"] });
  assert.equal(
    (await failure("https://odd.example/x", resolve)).reason,
    "ForbiddenAddress",
  );
});
