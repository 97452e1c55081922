// Recognises PEM certificates and private keys (PKCS#8, SEC1 EC, PKCS#1 RSA) before handing them to TLS.

const CERTIFICATE =
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;
const PRIVATE_KEY =
  /-----BEGIN (PRIVATE KEY|EC PRIVATE KEY|RSA PRIVATE KEY)-----[\s\S]+?-----END \1-----/;

/** Whether `text` holds at least one PEM certificate. */
export function isPemCertificate(text: string): boolean {
  return CERTIFICATE.test(text);
}

/** Whether `text` holds an unencrypted PEM private key of a kind Deno's TLS accepts. */
export function isPemPrivateKey(text: string): boolean {
  return PRIVATE_KEY.test(text);
}

/** Decodes base64 (kubeconfig `*-data` fields) to text; undefined when it is not base64. */
export function decodeBase64Text(value: string): string | undefined {
  try {
    const binary = atob(value.replace(/\s+/g, ""));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}
