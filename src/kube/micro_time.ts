// MicroTime: the RFC 3339 timestamp with six fractional digits that Leases and Events require.

/** Formats epoch milliseconds as `2006-01-02T15:04:05.000000Z`. */
export function formatMicroTime(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/Z$/, "000Z");
}
