// Compact JWS (JWT) encoding, decoding, signing and verification with node:crypto (synchronous, ES256 or RS256).

import {
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomUUID,
  sign,
  verify,
} from "node:crypto";
import { Buffer } from "node:buffer";

/** JWS algorithms the Entra simulator can sign with. */
export type SigningAlgorithm = "ES256" | "RS256";

/** A JSON object taken from a JWT header or payload. */
export type JwtClaims = Record<string, unknown>;

/** A JWT split into its parts; nothing is verified yet. */
export interface DecodedJwt {
  header: JwtClaims;
  payload: JwtClaims;
  /** `base64url(header).base64url(payload)`, the bytes the signature covers. */
  signingInput: string;
  signature: Uint8Array;
}

/** A public key as published in a JWKS document. */
export type PublicJwk = Record<string, unknown> & { kid: string; alg: string };

/** base64url without padding. */
export function base64UrlEncode(data: Uint8Array | string): string {
  return Buffer.from(data).toString("base64url");
}

function isClaims(value: unknown): value is JwtClaims {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJsonPart(part: string): JwtClaims | null {
  try {
    const value: unknown = JSON.parse(
      Buffer.from(part, "base64url").toString("utf8"),
    );
    return isClaims(value) ? value : null;
  } catch {
    return null;
  }
}

/** Splits and decodes a compact JWT; `null` when it is not three base64url parts with JSON objects. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  const header = parseJsonPart(h);
  const payload = parseJsonPart(p);
  if (!header || !payload) return null;
  return {
    header,
    payload,
    signingInput: `${h}.${p}`,
    signature: new Uint8Array(Buffer.from(s, "base64url")),
  };
}

/** Encodes an unsigned JWT (`alg: none`), e.g. a projected service-account token in tests. */
export function unsignedJwt(payload: JwtClaims): string {
  return `${base64UrlEncode(JSON.stringify({ alg: "none", typ: "JWT" }))}.${
    base64UrlEncode(JSON.stringify(payload))
  }.`;
}

function signOptions(alg: SigningAlgorithm, key: KeyObject) {
  return alg === "ES256" ? { key, dsaEncoding: "ieee-p1363" as const } : key;
}

/** One asymmetric signing key with its `kid`. */
export class SigningKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;

  private constructor(alg: SigningAlgorithm) {
    const pair = alg === "ES256"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : generateKeyPairSync("rsa", { modulusLength: 2048 });
    this.alg = alg;
    this.kid = randomUUID().replaceAll("-", "").slice(0, 20);
    this.#privateKey = pair.privateKey;
    this.#publicKey = createPublicKey(pair.privateKey);
  }

  /** Generates a fresh key pair. */
  static generate(alg: SigningAlgorithm): SigningKey {
    return new SigningKey(alg);
  }

  /** Signs `payload` into a compact JWT with `typ`, `alg` and `kid` in the header. */
  sign(payload: JwtClaims): string {
    const header = { typ: "JWT", alg: this.alg, kid: this.kid };
    const input = `${base64UrlEncode(JSON.stringify(header))}.${
      base64UrlEncode(JSON.stringify(payload))
    }`;
    const signature = sign(
      "sha256",
      Buffer.from(input),
      signOptions(this.alg, this.#privateKey),
    );
    return `${input}.${base64UrlEncode(signature)}`;
  }

  /** Whether `jwt` carries a valid signature by this key. */
  verifies(jwt: DecodedJwt): boolean {
    if (jwt.header.alg !== this.alg) return false;
    return verify(
      "sha256",
      Buffer.from(jwt.signingInput),
      signOptions(this.alg, this.#publicKey),
      jwt.signature,
    );
  }

  /** The public half as a JWK for the JWKS endpoint. */
  publicJwk(): PublicJwk {
    const jwk = this.#publicKey.export({ format: "jwk" });
    return { ...jwk, kid: this.kid, alg: this.alg, use: "sig" };
  }
}
