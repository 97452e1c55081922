// A self-signed ECDSA P-256 serving certificate built in-process (WebCrypto + DER), for secure metrics without files.

import {
  derBitString,
  derBoolean,
  type DerBytes,
  derExplicit,
  derImplicit,
  derInteger,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derTime,
  derUtf8String,
} from "./der.ts";
import { parseIpAddress } from "./ip_address.ts";
import { pemEncode } from "./pem_encode.ts";
import type { TlsCertificate } from "./tls_certificate.ts";

const OID = {
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  commonName: "2.5.4.3",
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  extKeyUsage: "2.5.29.37",
  serverAuth: "1.3.6.1.5.5.7.3.1",
} as const;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";
const DNS_NAME = new RegExp(
  `^(?=.{1,253}$)(\\*\\.)?${DNS_LABEL}(\\.${DNS_LABEL})*\\.?$`,
  "i",
);

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
 * Generates an ECDSA P-256 key with WebCrypto and a self-signed X.509 v3 certificate for
 * `hosts` (serverAuth, digitalSignature, not a CA). The key is PKCS#8 PEM.
 */
export async function generateSelfSignedCertificate(
  options: SelfSignedCertificateOptions,
): Promise<SelfSignedCertificate> {
  if (options.hosts.length === 0) {
    throw new RangeError("A self-signed certificate needs at least one host");
  }
  const keys = await crypto.subtle.generateKey(
    { name: "ECDSA", namedCurve: "P-256" },
    true,
    ["sign", "verify"],
  );
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", keys.publicKey),
  );
  const pkcs8 = new Uint8Array(
    await crypto.subtle.exportKey("pkcs8", keys.privateKey),
  );
  const notBefore = options.now - HOUR_MS;
  const notAfter = options.now + (options.validityDays ?? 365) * DAY_MS;
  const name = distinguishedName(options.commonName ?? options.hosts[0]!);
  const signatureAlgorithm = derSequence(derOid(OID.ecdsaWithSha256));
  const tbs = derSequence(
    derExplicit(0, derInteger(2)), // v3
    derInteger(serialNumber()),
    signatureAlgorithm,
    name,
    derSequence(derTime(notBefore), derTime(notAfter)),
    name,
    spki,
    derExplicit(
      3,
      derSequence(...await extensions(options.hosts, spki)),
    ),
  );
  const raw = new Uint8Array(
    await crypto.subtle.sign(
      { name: "ECDSA", hash: "SHA-256" },
      keys.privateKey,
      tbs,
    ),
  );
  const certificate = derSequence(
    tbs,
    signatureAlgorithm,
    derBitString(ecdsaSignatureToDer(raw)),
  );
  return {
    certPem: pemEncode("CERTIFICATE", certificate),
    keyPem: pemEncode("PRIVATE KEY", pkcs8),
    notAfter,
  };
}

/**
 * Converts WebCrypto's ECDSA signature (fixed-size `r || s`) to the DER `Ecdsa-Sig-Value`
 * (`SEQUENCE { r INTEGER, s INTEGER }`) that X.509 and TLS carry.
 */
export function ecdsaSignatureToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0) {
    throw new RangeError(`Invalid raw ECDSA signature of ${raw.length} bytes`);
  }
  const half = raw.length / 2;
  return derSequence(
    derInteger(raw.subarray(0, half)),
    derInteger(raw.subarray(half)),
  );
}

/** Whether `host` is a DNS name a certificate can carry (a leading `*.` wildcard allowed). */
export function isDnsName(host: string): boolean {
  return DNS_NAME.test(host);
}

/** The `subjectAltName` extension value: iPAddress entries for addresses, dNSName entries otherwise. */
export function subjectAltNames(hosts: readonly string[]): Uint8Array {
  const seen = new Set<string>();
  const names: Uint8Array[] = [];
  for (const host of hosts) {
    const key = host.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    const ip = parseIpAddress(host);
    if (ip) {
      names.push(derImplicit(7, ip));
    } else if (isDnsName(host)) {
      // dNSName is an IMPLICIT IA5String: the ASCII text under tag [2].
      names.push(derImplicit(2, new TextEncoder().encode(key)));
    } else {
      throw new RangeError(
        `"${host}" is neither a DNS name nor an IP address`,
      );
    }
  }
  return derSequence(...names);
}

function distinguishedName(commonName: string): Uint8Array {
  return derSequence(
    derSet(derSequence(derOid(OID.commonName), derUtf8String(commonName))),
  );
}

function extension(
  oid: string,
  critical: boolean,
  value: Uint8Array,
): Uint8Array {
  return derSequence(
    derOid(oid),
    ...(critical ? [derBoolean(true)] : []),
    derOctetString(value),
  );
}

async function extensions(
  hosts: readonly string[],
  spki: DerBytes,
): Promise<Uint8Array[]> {
  return [
    // digitalSignature only (bit 0; 7 unused bits).
    extension(OID.keyUsage, true, derBitString(Uint8Array.of(0x80), 7)),
    extension(
      OID.extKeyUsage,
      false,
      derSequence(derOid(OID.serverAuth)),
    ),
    // cA defaults to false, so the sequence is empty.
    extension(OID.basicConstraints, true, derSequence()),
    extension(
      OID.subjectKeyIdentifier,
      false,
      derOctetString(await subjectKeyIdentifier(spki)),
    ),
    extension(OID.subjectAltName, false, subjectAltNames(hosts)),
  ];
}

/** RFC 5280 §4.2.1.2 method 1 would hash the key's BIT STRING; the whole SPKI is just as unique. */
async function subjectKeyIdentifier(spki: DerBytes): Promise<Uint8Array> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", spki));
  return digest.subarray(0, 20);
}

/** 16 random bytes, positive and without a leading zero byte (RFC 5280: at most 20 octets). */
function serialNumber(): Uint8Array {
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x40;
  return serial;
}
