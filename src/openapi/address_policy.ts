// Which IP addresses the OpenAPI fetcher may connect to: parsing IPv4/IPv6 text and classifying it.

/**
 * Why an address is refused, or `allowed`. Loopback and private ranges are allowed on purpose:
 * in-cluster services live on private addresses and tests serve documents on 127.0.0.1.
 */
export type AddressClass =
  | "allowed"
  | "link-local"
  | "metadata"
  | "unspecified"
  | "multicast"
  | "not-an-ip";

/** Cloud metadata endpoints outside the link-local ranges. */
const METADATA_IPV4 = ["168.63.129.16"]; // Azure WireServer
const METADATA_IPV6 = [
  "fd00:ec2::254", // AWS instance metadata over IPv6
  "fd20:ce::254", // GCP metadata server over IPv6
];

/**
 * Parses a canonical IPv4 dotted quad or an IPv6 address (with `::`, an embedded dotted quad, an
 * optional zone id and optional brackets) into 4 or 16 bytes; anything else gives `undefined`.
 * Non-canonical IPv4 forms (`0x7f.1`, `2130706433`) are not addresses here: URL parsing has already
 * normalised them, and resolvers never return them.
 */
export function parseIpAddress(text: string): Uint8Array | undefined {
  const bare = text.startsWith("[") && text.endsWith("]")
    ? text.slice(1, -1)
    : text;
  return bare.includes(":") ? parseIpv6(bare) : parseIpv4(bare);
}

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [i, part] of parts.entries()) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[i] = value;
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const withoutZone = text.split("%", 1)[0] ?? "";
  const halves = withoutZone.split("::");
  if (halves.length > 2) return undefined;
  const head = groupsOf(halves[0] ?? "");
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? "") : [];
  if (head === undefined || tail === undefined) return undefined;
  const total = head.length + tail.length;
  if (halves.length === 2 ? total > 7 : total !== 8) return undefined;
  const groups = [...head, ...new Array<number>(8 - total).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  for (const [i, group] of groups.entries()) {
    bytes[2 * i] = group >> 8;
    bytes[2 * i + 1] = group & 0xff;
  }
  return bytes;
}

/** 16-bit groups of one side of `::`; a trailing dotted quad counts as two groups. */
function groupsOf(side: string): number[] | undefined {
  if (side === "") return [];
  const pieces = side.split(":");
  const groups: number[] = [];
  for (const [i, piece] of pieces.entries()) {
    if (i === pieces.length - 1 && piece.includes(".")) {
      const v4 = parseIpv4(piece);
      if (v4 === undefined) return undefined;
      groups.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(piece)) {
      groups.push(parseInt(piece, 16));
    } else {
      return undefined;
    }
  }
  return groups;
}

/**
 * Classifies an IP address given as text. IPv6 forms that carry an IPv4 address (IPv4-mapped
 * `::ffff:a.b.c.d`, IPv4-translated `::ffff:0:a.b.c.d`, IPv4-compatible `::a.b.c.d` and the NAT64
 * prefix `64:ff9b::/96`) are judged by the IPv4 address they reach.
 */
export function classifyAddress(text: string): AddressClass {
  const bytes = parseIpAddress(text);
  if (bytes === undefined) return "not-an-ip";
  return bytes.length === 4 ? classifyIpv4(bytes) : classifyIpv6(bytes);
}

function classifyIpv4(b: Uint8Array): AddressClass {
  const dotted = b.join(".");
  if (METADATA_IPV4.includes(dotted) || dotted === "169.254.169.254") {
    return "metadata";
  }
  if (b[0] === 169 && b[1] === 254) return "link-local";
  if (b[0] === 0) return "unspecified";
  if (b[0]! >= 224 && b[0]! <= 239) return "multicast";
  if (dotted === "255.255.255.255") return "multicast";
  return "allowed";
}

function classifyIpv6(b: Uint8Array): AddressClass {
  const embedded = embeddedIpv4(b);
  if (embedded !== undefined) return classifyIpv4(embedded);
  if (b.every((byte) => byte === 0)) return "unspecified";
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return "link-local";
  if (b[0] === 0xff) return "multicast";
  if (METADATA_IPV6.some((m) => sameBytes(parseIpv6(m), b))) return "metadata";
  return "allowed";
}

/** The IPv4 address an IPv6 address stands for, if it is one of the IPv4-carrying forms. */
function embeddedIpv4(b: Uint8Array): Uint8Array | undefined {
  const zeroUpTo = (end: number) => b.subarray(0, end).every((x) => x === 0);
  const last4 = b.subarray(12, 16);
  const mapped = zeroUpTo(10) && b[10] === 0xff && b[11] === 0xff;
  const translated = zeroUpTo(8) && b[8] === 0xff && b[9] === 0xff &&
    b[10] === 0 && b[11] === 0;
  // ::a.b.c.d, but not :: and ::1 (the first 12 bytes are zero and the IPv4 part is 0.0.0.0/0.0.0.1).
  const compatible = zeroUpTo(12) &&
    (b[12] !== 0 || b[13] !== 0 || b[14] !== 0);
  const nat64 = b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff &&
    b[3] === 0x9b && b.subarray(4, 12).every((x) => x === 0);
  return mapped || translated || compatible || nat64 ? last4 : undefined;
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length &&
    a.every((x, i) => x === b[i]);
}
