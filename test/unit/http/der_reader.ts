// A minimal DER reader for the tests: splits tag-length-value elements so encodings can be checked.

/** One decoded element: its tag, its contents, and the whole encoding. */
export interface Tlv {
  tag: number;
  contents: Uint8Array;
  encoded: Uint8Array;
}

/** Reads the element at `offset` (long-form lengths included). */
export function readTlv(bytes: Uint8Array, offset = 0): Tlv {
  const tag = bytes[offset];
  let length = bytes[offset + 1];
  if (tag === undefined || length === undefined) {
    throw new Error(`Truncated DER at ${offset}`);
  }
  let start = offset + 2;
  if (length >= 0x80) {
    const octets = length & 0x7f;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + bytes[start + i]!;
    start += octets;
  }
  if (start + length > bytes.length) {
    throw new Error(`Truncated DER at ${offset}`);
  }
  return {
    tag,
    contents: bytes.subarray(start, start + length),
    encoded: bytes.subarray(offset, start + length),
  };
}

/** The elements inside a constructed element's contents. */
export function children(contents: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  for (let offset = 0; offset < contents.length;) {
    const tlv = readTlv(contents, offset);
    out.push(tlv);
    offset += tlv.encoded.length;
  }
  return out;
}

/** Lower-case hex of bytes (for readable assertions). */
export function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The DER bytes inside the first PEM block of `pem`. */
export function pemToDer(pem: string): Uint8Array<ArrayBuffer> {
  const body = pem.replace(/-----(BEGIN|END) [^-]+-----/g, "").replace(
    /\s+/g,
    "",
  );
  return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
}
