// serveReloadingTls: serves the certificate directory's files and switches to new ones when they change (virtual time).
import assert from "node:assert/strict";
import { serveReloadingTls } from "../../../src/http/reloading_tls_server.ts";
import { generateSelfSignedCertificate } from "../../../src/http/self_signed_certificate.ts";
import type { TlsCertificate } from "../../../src/http/tls_certificate.ts";
import { Logger } from "../../../src/log.ts";
import { FakeClock } from "../../support/fake_clock.ts";
import { waitFor } from "../../support/wait.ts";

const INTERVAL_MS = 10_000;

async function writePair(dir: string, pair: TlsCertificate): Promise<void> {
  // Like a Secret volume: the new files appear at once (rename over the old ones).
  await Deno.writeTextFile(`${dir}/tls.crt.new`, pair.certPem);
  await Deno.writeTextFile(`${dir}/tls.key.new`, pair.keyPem);
  await Deno.rename(`${dir}/tls.crt.new`, `${dir}/tls.crt`);
  await Deno.rename(`${dir}/tls.key.new`, `${dir}/tls.key`);
}

async function textVia(client: Deno.HttpClient, url: string): Promise<string> {
  const response = await fetch(url, { client });
  return await response.text();
}

Deno.test("serveReloadingTls() restarts on the same port with new files and keeps the old pair when the new files are bad or refused", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cert-dir-" });
  // Virtual timers, but the wall-clock date: peers check validity against their real clocks.
  const clock = new FakeClock(Date.now());
  const lines: string[] = [];
  const hosts = ["127.0.0.1"];
  const first = await generateSelfSignedCertificate({
    hosts,
    now: clock.now(),
  });
  const second = await generateSelfSignedCertificate({
    hosts,
    now: clock.now(),
  });
  await writePair(dir, first);
  try {
    await using server = await serveReloadingTls({
      hostname: "127.0.0.1",
      port: 0,
      certDir: dir,
      clock,
      reloadIntervalMs: INTERVAL_MS,
      logger: new Logger({ sink: (line) => lines.push(line) }),
      handler: () => new Response("hello"),
    });
    using trustsFirst = Deno.createHttpClient({ caCerts: [first.certPem] });
    using trustsSecond = Deno.createHttpClient({ caCerts: [second.certPem] });
    const url = `${server.url}/`;
    assert.equal(await textVia(trustsFirst, url), "hello");
    assert.equal(server.certificatePem, first.certPem);

    // Unusable files are reported and the served pair stays.
    await Deno.writeTextFile(`${dir}/tls.crt`, "not a certificate");
    await clock.advance(INTERVAL_MS);
    await waitFor(
      () =>
        Promise.resolve(
          lines.some((l) => l.includes("Could not reload the certificate")) ||
            undefined,
        ),
      { description: "the failed reload to be logged" },
    );
    assert.equal(await textVia(trustsFirst, url), "hello");
    assert.equal(server.certificatePem, first.certPem);

    // A pair TLS refuses (key of another certificate): the previous pair is served again.
    await writePair(dir, { certPem: second.certPem, keyPem: first.keyPem });
    await clock.advance(INTERVAL_MS);
    await waitFor(
      () =>
        Promise.resolve(
          lines.some((l) =>
            l.includes("Could not serve with the certificate")
          ) ||
            undefined,
        ),
      { description: "the refused pair to be logged" },
    );
    await waitFor(
      () => textVia(trustsFirst, url).then((t) => t === "hello" || undefined),
      { description: "the previous certificate to be served again" },
    );
    assert.equal(server.certificatePem, first.certPem);

    // A new pair is served on the same address after the next check.
    await writePair(dir, second);
    await clock.advance(INTERVAL_MS);
    await waitFor(
      () => textVia(trustsSecond, url).then((t) => t === "hello" || undefined),
      { description: "the new certificate to be served" },
    );
    assert.equal(server.certificatePem, second.certPem);
    await assert.rejects(fetch(url, { client: trustsFirst }));
    assert.ok(lines.some((l) => l.includes("Reloaded the certificate")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveReloadingTls() fails to start without readable files, naming the file", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cert-dir-" });
  try {
    await assert.rejects(
      serveReloadingTls({
        hostname: "127.0.0.1",
        port: 0,
        certDir: dir,
        clock: new FakeClock(),
        handler: () => new Response("never"),
      }),
      /tls\.crt/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("serveReloadingTls() stops when its signal aborts", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cert-dir-" });
  try {
    const pair = await generateSelfSignedCertificate({
      hosts: ["127.0.0.1"],
      now: Date.now(),
    });
    await writePair(dir, pair);
    const abort = new AbortController();
    const server = await serveReloadingTls({
      hostname: "127.0.0.1",
      port: 0,
      certDir: dir,
      signal: abort.signal,
      clock: new FakeClock(),
      handler: () => new Response("hello"),
    });
    abort.abort();
    await server.finished;
    using client = Deno.createHttpClient({ caCerts: [pair.certPem] });
    await assert.rejects(fetch(`${server.url}/`, { client }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
