// The in-process self-signed certificate as other TLS stacks see it: openssl parses and verifies it, Deno serves it.
import assert from "node:assert/strict";
import { generateSelfSignedCertificate } from "../../../src/http/self_signed_certificate.ts";
import { serveHttp } from "../../../src/http/serve_http.ts";

async function openssl(args: string[]): Promise<string> {
  const out = await new Deno.Command("openssl", {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`openssl ${args[0]} failed: ${text}`);
  return text;
}

Deno.test("openssl parses the self-signed certificate, checks its signature and matches its key", async () => {
  const dir = await Deno.makeTempDir({ prefix: "self-signed-" });
  try {
    const cert = await generateSelfSignedCertificate({
      hosts: ["operator-7d9f-abc", "localhost", "127.0.0.1", "::1"],
      now: Date.now(),
    });
    await Deno.writeTextFile(`${dir}/tls.crt`, cert.certPem);
    await Deno.writeTextFile(`${dir}/tls.key`, cert.keyPem);
    const text = await openssl([
      "x509",
      "-in",
      `${dir}/tls.crt`,
      "-noout",
      "-text",
    ]);
    assert.match(text, /Version: 3 \(0x2\)/);
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(text, /Subject: CN ?= ?operator-7d9f-abc/);
    assert.match(text, /NIST CURVE: P-256/);
    assert.match(
      text,
      /DNS:operator-7d9f-abc, DNS:localhost, IP Address:127\.0\.0\.1, IP Address:0:0:0:0:0:0:0:1/,
    );
    assert.match(text, /CA:FALSE/);
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /Digital Signature/);
    // The self-signature verifies, and the time is inside the validity period.
    assert.match(
      await openssl(["verify", "-CAfile", `${dir}/tls.crt`, `${dir}/tls.crt`]),
      /: OK/,
    );
    const fromCert = await openssl([
      "x509",
      "-in",
      `${dir}/tls.crt`,
      "-noout",
      "-pubkey",
    ]);
    const fromKey = await openssl(["pkey", "-in", `${dir}/tls.key`, "-pubout"]);
    assert.equal(fromCert, fromKey);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Deno's TLS serves the self-signed certificate and a client trusting it accepts it", async () => {
  const cert = await generateSelfSignedCertificate({
    hosts: ["localhost", "127.0.0.1"],
    now: Date.now(),
  });
  await using server = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    tls: cert,
    handler: () => new Response("over tls"),
  });
  using client = Deno.createHttpClient({ caCerts: [cert.certPem] });
  for (const host of ["127.0.0.1", "localhost"]) {
    const response = await fetch(`https://${host}:${server.port}/`, {
      client,
    });
    assert.equal(await response.text(), "over tls");
  }
  // A name the certificate does not carry is refused.
  const other = await generateSelfSignedCertificate({
    hosts: ["elsewhere.example"],
    now: Date.now(),
  });
  await using wrongName = serveHttp({
    hostname: "127.0.0.1",
    port: 0,
    tls: other,
    handler: () => new Response("never"),
  });
  using trustsOther = Deno.createHttpClient({ caCerts: [other.certPem] });
  await assert.rejects(
    fetch(`https://127.0.0.1:${wrongName.port}/`, { client: trustsOther }),
  );
});
