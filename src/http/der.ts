// A small ASN.1 DER encoder: just the types an X.509 certificate needs.

/** Universal tags (and the constructed bit) used below. */
const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

/** Bytes backed by a plain ArrayBuffer (what WebCrypto accepts). */
export type DerBytes = Uint8Array<ArrayBuffer>;

/** Concatenates byte arrays. */
export function concatBytes(parts: readonly Uint8Array[]): DerBytes {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** The DER length octets: short form below 128, long form (big-endian, minimal) above. */
export function derLength(length: number): DerBytes {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`Invalid DER length: ${length}`);
  }
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** One tag-length-value element; `contents` are concatenated. */
export function derTlv(
  tag: number,
  ...contents: readonly Uint8Array[]
): DerBytes {
  const body = concatBytes(contents);
  return concatBytes([Uint8Array.of(tag), derLength(body.length), body]);
}

/** SEQUENCE of already-encoded elements. */
export function derSequence(...elements: readonly Uint8Array[]): DerBytes {
  return derTlv(TAG.sequence, ...elements);
}

/** SET of already-encoded elements, sorted by their encodings as DER requires. */
export function derSet(...elements: readonly Uint8Array[]): DerBytes {
  const sorted = [...elements].sort(compareBytes);
  return derTlv(TAG.set, ...sorted);
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return (a[i] ?? 0) - (b[i] ?? 0);
  }
  return a.length - b.length;
}

/** BOOLEAN. */
export function derBoolean(value: boolean): DerBytes {
  return derTlv(TAG.boolean, Uint8Array.of(value ? 0xff : 0x00));
}

/**
 * INTEGER from a non-negative number or from unsigned big-endian bytes (a serial number, an
 * ECDSA r or s): leading zeros are dropped and one 0x00 is added when the top bit is set.
 */
export function derInteger(value: number | Uint8Array): DerBytes {
  let bytes: Uint8Array;
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RangeError(`Unsupported DER integer: ${value}`);
    }
    const octets: number[] = [];
    for (let n = value; n > 0; n = Math.floor(n / 256)) {
      octets.unshift(n % 256);
    }
    bytes = Uint8Array.from(octets);
  } else {
    let start = 0;
    while (start < value.length && value[start] === 0) start++;
    bytes = value.subarray(start);
  }
  if (bytes.length === 0 || (bytes[0] ?? 0) >= 0x80) {
    bytes = concatBytes([Uint8Array.of(0), bytes]);
  }
  return derTlv(TAG.integer, bytes);
}

/** OBJECT IDENTIFIER from its dotted form, e.g. `"1.2.840.10045.4.3.2"`. */
export function derOid(dotted: string): DerBytes {
  const arcs = dotted.split(".").map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`Invalid OID "${dotted}"`);
    return Number(arc);
  });
  const [first, second, ...rest] = arcs;
  if (
    first === undefined || second === undefined || first > 2 ||
    (first < 2 && second >= 40)
  ) {
    throw new RangeError(`Invalid OID "${dotted}"`);
  }
  const octets: number[] = [];
  for (const arc of [first * 40 + second, ...rest]) {
    const base128 = [arc % 128];
    for (let n = Math.floor(arc / 128); n > 0; n = Math.floor(n / 128)) {
      base128.unshift(0x80 | (n % 128));
    }
    octets.push(...base128);
  }
  return derTlv(TAG.oid, Uint8Array.from(octets));
}

/** BIT STRING of whole bytes, or with `unusedBits` trailing bits of the last byte unused. */
export function derBitString(bytes: Uint8Array, unusedBits = 0): DerBytes {
  return derTlv(TAG.bitString, Uint8Array.of(unusedBits), bytes);
}

/** OCTET STRING. */
export function derOctetString(bytes: Uint8Array): DerBytes {
  return derTlv(TAG.octetString, bytes);
}

/** UTF8String. */
export function derUtf8String(text: string): DerBytes {
  return derTlv(TAG.utf8String, new TextEncoder().encode(text));
}

/**
 * An X.509 `Time` (RFC 5280 §4.1.2.5): UTCTime `YYMMDDHHMMSSZ` for the years 1950 to 2049,
 * GeneralizedTime `YYYYMMDDHHMMSSZ` otherwise. Milliseconds are dropped.
 */
export function derTime(epochMs: number): DerBytes {
  const iso = new Date(epochMs).toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const year = Number(iso.slice(0, 4));
  const digits = iso.slice(0, 19).replace(/\D/g, "") + "Z";
  const utc = year >= 1950 && year < 2050;
  const text = utc ? digits.slice(2) : digits;
  return derTlv(
    utc ? TAG.utcTime : TAG.generalizedTime,
    new TextEncoder().encode(text),
  );
}

/** A context-specific constructed EXPLICIT tag `[n]` around one element. */
export function derExplicit(tagNumber: number, element: Uint8Array): DerBytes {
  return derTlv(0xa0 | contextTagNumber(tagNumber), element);
}

/** A context-specific primitive IMPLICIT tag `[n]` with raw contents (e.g. a GeneralName). */
export function derImplicit(tagNumber: number, contents: Uint8Array): DerBytes {
  return derTlv(0x80 | contextTagNumber(tagNumber), contents);
}

function contextTagNumber(n: number): number {
  if (!Number.isInteger(n) || n < 0 || n > 30) {
    throw new RangeError(`Unsupported context tag number: ${n}`);
  }
  return n;
}
