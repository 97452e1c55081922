// PEM armour for DER bytes: base64 in 64-character lines between BEGIN and END markers.

/** Encodes `der` as a PEM block labelled `label` (e.g. "CERTIFICATE", "PRIVATE KEY"). */
export function pemEncode(label: string, der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return [`-----BEGIN ${label}-----`, ...lines, `-----END ${label}-----`]
    .join("\n") + "\n";
}
