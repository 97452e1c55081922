// Parses textual IPv4 and IPv6 addresses to their bytes (for iPAddress subject alternative names).

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** The 4 bytes of a dotted IPv4 address, or undefined when `text` is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const match = IPV4.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1).map(Number);
  if (octets.some((o) => o > 255)) return undefined;
  return Uint8Array.from(octets);
}

/** The 16 bytes of an IPv6 address (with `::` and an optional dotted IPv4 tail), or undefined. */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const groups = (part: string | undefined): number[] | undefined => {
    if (part === undefined || part === "") return [];
    const out: number[] = [];
    const pieces = part.split(":");
    for (const [i, piece] of pieces.entries()) {
      const v4 = i === pieces.length - 1 ? parseIpv4(piece) : undefined;
      if (v4) {
        out.push(((v4[0] ?? 0) << 8) | (v4[1] ?? 0));
        out.push(((v4[2] ?? 0) << 8) | (v4[3] ?? 0));
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        out.push(parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  if (!head || !tail) return undefined;
  const compressed = halves.length === 2;
  const missing = 8 - head.length - tail.length;
  if (compressed ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  return Uint8Array.from(all.flatMap((g) => [g >> 8, g & 0xff]));
}

/** The bytes of an IPv4 or IPv6 address (brackets allowed around IPv6), or undefined. */
export function parseIpAddress(text: string): Uint8Array | undefined {
  return parseIpv4(text) ?? parseIpv6(text.replace(/^\[(.*)\]$/, "$1"));
}
