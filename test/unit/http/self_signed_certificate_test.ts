// Unit tests of the in-process self-signed certificate: structure, signature, names, validity, key.
import assert from "node:assert/strict";
import { derOid } from "../../../src/http/der.ts";
import { defaultSelfSignedHosts } from "../../../src/http/serve_metrics.ts";
import {
  ecdsaSignatureToDer,
  generateSelfSignedCertificate,
  isDnsName,
  subjectAltNames,
} from "../../../src/http/self_signed_certificate.ts";
import { children, hex, pemToDer, readTlv, type Tlv } from "./der_reader.ts";

const NOW = Date.UTC(2026, 4, 6, 7, 8, 9);

/** The 32-byte big-endian value of a DER INTEGER (for P-256 r and s). */
function fixed32(integer: Tlv): Uint8Array {
  const bytes = integer.contents.subarray(integer.contents[0] === 0 ? 1 : 0);
  const out = new Uint8Array(32);
  out.set(bytes, 32 - bytes.length);
  return out;
}

function extensionValue(tbs: Tlv[], oid: string): Tlv | undefined {
  const extensions = children(readTlv(tbs[7]!.contents).contents);
  const wanted = hex(derOid(oid));
  const found = extensions.map((e) => children(e.contents)).find((parts) =>
    hex(parts[0]!.encoded) === wanted
  );
  return found && readTlv(found.at(-1)!.contents);
}

Deno.test("generateSelfSignedCertificate() makes a v3 certificate whose signature verifies with its own key", async () => {
  const cert = await generateSelfSignedCertificate({
    hosts: ["pod-1", "localhost", "127.0.0.1", "::1"],
    now: NOW,
  });
  const [tbs, algorithm, signature] = children(
    readTlv(pemToDer(cert.certPem)).contents,
  );
  assert.ok(tbs && algorithm && signature);
  const fields = children(tbs.contents);
  assert.equal(fields.length, 8);
  assert.equal(hex(fields[0]!.encoded), "a003020102"); // [0] version v3
  assert.equal(fields[1]!.tag, 0x02); // serial
  assert.ok(fields[1]!.contents.length <= 20);
  assert.equal(fields[1]!.contents[0]! & 0x80, 0); // positive
  assert.equal(hex(fields[2]!.encoded), hex(algorithm.encoded));
  assert.equal(hex(algorithm.encoded), "300a06082a8648ce3d040302");
  assert.equal(hex(fields[3]!.encoded), hex(fields[5]!.encoded)); // issuer = subject
  assert.match(new TextDecoder().decode(fields[3]!.encoded), /pod-1/);

  // The signature is a DER Ecdsa-Sig-Value over the TBSCertificate, made by the key in the SPKI.
  const spki = fields[6]!.encoded.slice();
  const publicKey = await crypto.subtle.importKey(
    "spki",
    spki,
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["verify"],
  );
  assert.equal(signature.tag, 0x03);
  assert.equal(signature.contents[0], 0); // no unused bits
  const [r, s] = children(readTlv(signature.contents.subarray(1)).contents);
  const raw = new Uint8Array(64);
  raw.set(fixed32(r!), 0);
  raw.set(fixed32(s!), 32);
  assert.ok(
    await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      publicKey,
      raw,
      tbs.encoded.slice(),
    ),
  );

  // The PKCS#8 key is the private half of that public key.
  const privateKey = await crypto.subtle.importKey(
    "pkcs8",
    pemToDer(cert.keyPem),
    { name: "ECDSA", namedCurve: "P-256" },
    false,
    ["sign"],
  );
  const message = new TextEncoder().encode("hello");
  const signed = await crypto.subtle.sign(
    { name: "ECDSA", hash: "SHA-256" },
    privateKey,
    message,
  );
  assert.ok(
    await crypto.subtle.verify(
      { name: "ECDSA", hash: "SHA-256" },
      publicKey,
      signed,
      message,
    ),
  );
  assert.match(cert.keyPem, /^-----BEGIN PRIVATE KEY-----\n/);
});

Deno.test("generateSelfSignedCertificate() is valid from an hour before now for the given days, for the given names", async () => {
  const cert = await generateSelfSignedCertificate({
    hosts: ["metrics.example", "10.0.0.7"],
    now: NOW,
    validityDays: 30,
  });
  const fields = children(
    readTlv(readTlv(pemToDer(cert.certPem)).contents).contents,
  );
  const [notBefore, notAfter] = children(fields[4]!.contents).map((t) =>
    new TextDecoder().decode(t.contents)
  );
  assert.equal(notBefore, "260506060809Z");
  assert.equal(notAfter, "260605070809Z");
  assert.equal(cert.notAfter, NOW + 30 * 86_400_000);

  const san = extensionValue(fields, "2.5.29.17");
  assert.ok(san);
  assert.deepEqual(
    children(san.contents).map((n) => [n.tag, hex(n.contents)]),
    [[0x82, hex(new TextEncoder().encode("metrics.example"))], [
      0x87,
      "0a000007",
    ]],
  );
  // Not a CA; digitalSignature; serverAuth.
  assert.equal(hex(extensionValue(fields, "2.5.29.19")!.encoded), "3000");
  assert.equal(hex(extensionValue(fields, "2.5.29.15")!.encoded), "03020780");
  assert.equal(
    hex(extensionValue(fields, "2.5.29.37")!.encoded),
    "300a06082b06010505070301",
  );
});

Deno.test("generateSelfSignedCertificate() needs a host", async () => {
  await assert.rejects(
    generateSelfSignedCertificate({ hosts: [], now: NOW }),
    RangeError,
  );
});

Deno.test("ecdsaSignatureToDer() turns r||s into a SEQUENCE of two minimal positive INTEGERs", () => {
  const r = new Uint8Array(32).fill(0x80); // top bit set: needs a 0x00 prefix
  const s = new Uint8Array(32);
  s[31] = 5; // leading zeros: dropped
  const der = ecdsaSignatureToDer(Uint8Array.of(...r, ...s));
  const [ri, si] = children(readTlv(der).contents);
  assert.equal(readTlv(der).tag, 0x30);
  assert.equal(hex(ri!.contents), "00" + "80".repeat(32));
  assert.equal(hex(si!.encoded), "020105");
  assert.throws(() => ecdsaSignatureToDer(new Uint8Array(63)), RangeError);
});

Deno.test("subjectAltNames() drops duplicates and rejects what is neither a name nor an address", () => {
  const names = children(
    readTlv(subjectAltNames(["Localhost", "localhost", "::1", "*.svc"]))
      .contents,
  );
  assert.deepEqual(names.map((n) => n.tag), [0x82, 0x87, 0x82]);
  assert.equal(new TextDecoder().decode(names[0]!.contents), "localhost");
  assert.throws(() => subjectAltNames(["not a host"]), RangeError);
  assert.throws(() => subjectAltNames(["fe80::1%eth0"]), RangeError);
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
  assert.ok(hosts.every((h) => subjectAltNames([h]).length > 2));
});
