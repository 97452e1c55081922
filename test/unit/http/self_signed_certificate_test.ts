// Unit tests of the in-process self-signed certificate: names, validity, extensions, signature, key.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import assert from "node:assert/strict";
import { isDnsName } from "../../../src/http/dns_name.ts";
import { defaultSelfSignedHosts } from "../../../src/http/serve_metrics.ts";
import {
  generateSelfSignedCertificate,
  subjectAltNames,
} from "../../../src/http/self_signed_certificate.ts";

const NOW = Date.UTC(2026, 4, 6, 7, 8, 9);

Deno.test("generateSelfSignedCertificate() makes a v3 certificate whose signature verifies with its own key", async () => {
  const generated = await generateSelfSignedCertificate({
    hosts: ["pod-1", "localhost", "127.0.0.1", "::1"],
    now: NOW,
  });
  const cert = new x509.X509Certificate(generated.certPem);
  assert.equal(cert.subject, "CN=pod-1");
  assert.equal(cert.issuer, cert.subject);
  assert.equal(cert.signatureAlgorithm.name, "ECDSA");
  assert.match(cert.serialNumber, /^[4-7][0-9a-f]{31}$/); // 16 bytes, positive
  assert.ok(await cert.verify({ date: new Date(NOW), signatureOnly: false }));

  // The PKCS#8 key is the private half of the certificate's public key.
  assert.match(generated.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    x509.PemConverter.decodeFirst(generated.keyPem),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const publicKey = await cert.publicKey.export(
    { name: "ECDSA", namedCurve: "P-256" },
    ["verify"],
  );
  const message = new TextEncoder().encode("hello");
  const algorithm = { name: "ECDSA", hash: "SHA-256" };
  const signed = await crypto.subtle.sign(algorithm, privateKey, message);
  assert.ok(
    await crypto.subtle.verify(algorithm, publicKey, signed, message),
  );
});

Deno.test("generateSelfSignedCertificate() is valid from an hour before now for the given days, for the given names", async () => {
  const generated = await generateSelfSignedCertificate({
    hosts: ["metrics.example", "10.0.0.7"],
    now: NOW,
    validityDays: 30,
  });
  const cert = new x509.X509Certificate(generated.certPem);
  assert.equal(cert.notBefore.getTime(), NOW - 3_600_000);
  assert.equal(cert.notAfter.getTime(), NOW + 30 * 86_400_000);
  assert.equal(generated.notAfter, NOW + 30 * 86_400_000);

  const san = cert.getExtension(x509.SubjectAlternativeNameExtension);
  assert.deepEqual(san?.names.toJSON(), [
    { type: "dns", value: "metrics.example" },
    { type: "ip", value: "10.0.0.7" },
  ]);
  // Not a CA (critical); digitalSignature only (critical); serverAuth.
  const basic = cert.getExtension(x509.BasicConstraintsExtension);
  assert.deepEqual([basic?.ca, basic?.critical], [false, true]);
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  assert.deepEqual(
    [usage?.usages, usage?.critical],
    [x509.KeyUsageFlags.digitalSignature, true],
  );
  assert.deepEqual(
    [...cert.getExtension(x509.ExtendedKeyUsageExtension)?.usages ?? []],
    [x509.ExtendedKeyUsage.serverAuth],
  );
  assert.ok(cert.getExtension(x509.SubjectKeyIdentifierExtension));
});

Deno.test("generateSelfSignedCertificate() needs a host", async () => {
  await assert.rejects(
    generateSelfSignedCertificate({ hosts: [], now: NOW }),
    RangeError,
  );
});

Deno.test("subjectAltNames() drops duplicates and rejects what is neither a name nor an address", () => {
  assert.deepEqual(
    subjectAltNames(["Localhost", "localhost", "::1", "[::1]", "*.svc"]),
    [
      { type: "dns", value: "localhost" },
      { type: "ip", value: "::1" },
      { type: "dns", value: "*.svc" },
    ],
  );
  assert.throws(() => subjectAltNames(["not a host"]), RangeError);
  assert.throws(() => subjectAltNames(["fe80::1%eth0"]), RangeError);
  assert.throws(() => subjectAltNames(["::ffff:127.0.0.1"]), RangeError);
});

Deno.test("isDnsName() accepts host names and a leading wildcard only", () => {
  for (const ok of ["a", "pod-1.ns.svc.cluster.local", "*.svc", "x."]) {
    assert.equal(isDnsName(ok), true, ok);
  }
  for (const bad of ["", "a*b", "*abc", "My_Laptop", "-a", "a-", "a..b"]) {
    assert.equal(isDnsName(bad), false, bad);
  }
});

Deno.test("defaultSelfSignedHosts() always names localhost and the loopback addresses", () => {
  const hosts = defaultSelfSignedHosts();
  assert.deepEqual(hosts.slice(-3), ["localhost", "127.0.0.1", "::1"]);
  assert.equal(subjectAltNames(hosts).length, hosts.length);
});
