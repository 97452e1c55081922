// A self-signed ECDSA P-256 serving certificate made in-process with @peculiar/x509 and WebCrypto.
//
// Heavier than the rest of src/http (the library and its ASN.1 schemas, plus the Reflect
// polyfill its dependency injection needs): serve_metrics.ts imports this module dynamically,
// only when it has to make a certificate.
import "reflect-metadata";
import { isIP } from "node:net";
import * as x509 from "@peculiar/x509";
import { isDnsName } from "./dns_name.ts";
import type { TlsCertificate } from "./tls_certificate.ts";

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };

/** Options of {@linkcode generateSelfSignedCertificate}. */
export interface SelfSignedCertificateOptions {
  /** DNS names and IP addresses the certificate is valid for (subject alternative names). */
  hosts: readonly string[];
  /** The subject's (and issuer's) common name; default the first host. */
  commonName?: string;
  /** Start of validity in epoch ms; the certificate is valid from one hour earlier (clock skew). */
  now: number;
  /** Days of validity from `now` (default 365). */
  validityDays?: number;
}

/** A generated certificate: the PEM pair for TLS and what it was made for. */
export interface SelfSignedCertificate extends TlsCertificate {
  /** Epoch ms after which the certificate is no longer valid. */
  notAfter: number;
}

/**
 * Subject alternative names for `hosts`: `ip` entries for IPv4 and IPv6 addresses (brackets
 * allowed), `dns` entries (lower case) for DNS names, duplicates dropped. Anything else (a
 * zone-scoped or IPv4-embedded IPv6 address, a name with invalid characters) is a RangeError.
 */
export function subjectAltNames(
  hosts: readonly string[],
): x509.JsonGeneralName[] {
  const names = new Map<string, x509.JsonGeneralName>();
  for (const host of hosts) {
    const address = host.replace(/^\[(.*)\]$/, "$1");
    const version = isIP(address);
    if (version === 4 || (version === 6 && !/[%.]/.test(address))) {
      names.set(`ip:${address.toLowerCase()}`, {
        type: "ip",
        value: address.toLowerCase(),
      });
    } else if (isDnsName(host)) {
      names.set(`dns:${host.toLowerCase()}`, {
        type: "dns",
        value: host.toLowerCase(),
      });
    } else {
      throw new RangeError(
        `"${host}" is neither a DNS name nor an IP address a certificate can carry`,
      );
    }
  }
  return [...names.values()];
}

/**
 * Generates an ECDSA P-256 key with WebCrypto and a self-signed X.509 v3 certificate for
 * `hosts` (serverAuth, digitalSignature, not a CA). The key is PKCS#8 PEM.
 */
export async function generateSelfSignedCertificate(
  options: SelfSignedCertificateOptions,
): Promise<SelfSignedCertificate> {
  if (options.hosts.length === 0) {
    throw new RangeError("A self-signed certificate needs at least one host");
  }
  const alternativeNames = subjectAltNames(options.hosts);
  const keys = await crypto.subtle.generateKey(ALGORITHM, true, [
    "sign",
    "verify",
  ]);
  const notAfter = options.now + (options.validityDays ?? 365) * DAY_MS;
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: [{ CN: [options.commonName ?? options.hosts[0]!] }],
    notBefore: new Date(options.now - HOUR_MS),
    notAfter: new Date(notAfter),
    signingAlgorithm: ALGORITHM,
    keys,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      new x509.SubjectAlternativeNameExtension(alternativeNames),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return {
    certPem: certificate.toString("pem") + "\n",
    keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") + "\n",
    notAfter,
  };
}

/** 16 random bytes in hex, positive and without a leading zero byte (RFC 5280: at most 20 octets). */
function serialNumber(): string {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return [...serial].map((b) => b.toString(16).padStart(2, "0")).join("");
}
