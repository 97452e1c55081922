// Unit tests of the DER encoder: lengths, integers, OIDs, strings, times, sets and context tags.
import assert from "node:assert/strict";
import {
  derBitString,
  derBoolean,
  derExplicit,
  derImplicit,
  derInteger,
  derLength,
  derOctetString,
  derOid,
  derSequence,
  derSet,
  derTime,
  derUtf8String,
} from "../../../src/http/der.ts";
import { hex, readTlv } from "./der_reader.ts";

Deno.test("derLength() uses the short form below 128 and the minimal long form above", () => {
  assert.equal(hex(derLength(0)), "00");
  assert.equal(hex(derLength(127)), "7f");
  assert.equal(hex(derLength(128)), "8180");
  assert.equal(hex(derLength(255)), "81ff");
  assert.equal(hex(derLength(256)), "820100");
  assert.equal(hex(derLength(65536)), "83010000");
  assert.throws(() => derLength(-1), RangeError);
});

Deno.test("derInteger() encodes minimal two's complement for non-negative values", () => {
  assert.equal(hex(derInteger(0)), "020100");
  assert.equal(hex(derInteger(2)), "020102");
  assert.equal(hex(derInteger(127)), "02017f");
  assert.equal(hex(derInteger(128)), "02020080");
  assert.equal(hex(derInteger(256)), "02020100");
  // Unsigned bytes: leading zeros dropped, one zero added before a set top bit.
  assert.equal(hex(derInteger(Uint8Array.of(0, 0, 0x12))), "020112");
  assert.equal(hex(derInteger(Uint8Array.of(0, 0xff, 1))), "020300ff01");
  assert.equal(hex(derInteger(Uint8Array.of(0, 0))), "020100");
  assert.throws(() => derInteger(-1), RangeError);
});

Deno.test("derOid() encodes arcs in base 128", () => {
  // ecdsa-with-SHA256, commonName, serverAuth: the well-known encodings.
  assert.equal(hex(derOid("1.2.840.10045.4.3.2")), "06082a8648ce3d040302");
  assert.equal(hex(derOid("2.5.4.3")), "0603550403");
  assert.equal(hex(derOid("1.3.6.1.5.5.7.3.1")), "06082b06010505070301");
  assert.throws(() => derOid("1"), RangeError);
  assert.throws(() => derOid("1.40"), RangeError);
  assert.throws(() => derOid("1.2.x"), RangeError);
});

Deno.test("der strings, booleans and bit strings carry their tag and contents", () => {
  assert.equal(hex(derBoolean(true)), "0101ff");
  assert.equal(hex(derBoolean(false)), "010100");
  assert.equal(hex(derUtf8String("é")), "0c02c3a9");
  assert.equal(hex(derOctetString(Uint8Array.of(1, 2))), "04020102");
  assert.equal(hex(derBitString(Uint8Array.of(0x80), 7)), "03020780");
  assert.equal(hex(derBitString(Uint8Array.of(0xaa))), "030200aa");
});

Deno.test("derTime() uses UTCTime up to 2049 and GeneralizedTime from 2050", () => {
  const utc = readTlv(derTime(Date.UTC(2026, 0, 2, 3, 4, 5, 678)));
  assert.equal(utc.tag, 0x17);
  assert.equal(new TextDecoder().decode(utc.contents), "260102030405Z");
  const generalized = readTlv(derTime(Date.UTC(2050, 11, 31, 23, 59, 59)));
  assert.equal(generalized.tag, 0x18);
  assert.equal(
    new TextDecoder().decode(generalized.contents),
    "20501231235959Z",
  );
  assert.equal(readTlv(derTime(Date.UTC(1949, 0, 1))).tag, 0x18);
});

Deno.test("derSequence() keeps order, derSet() sorts by encoding, long contents use long lengths", () => {
  const a = derInteger(2);
  const b = derInteger(1);
  assert.equal(hex(derSequence(a, b)), "3006020102020101");
  assert.equal(hex(derSet(a, b)), "3106020101020102");
  assert.equal(hex(derSequence()), "3000");
  const long = derOctetString(new Uint8Array(300));
  assert.equal(hex(long.subarray(0, 4)), "0482012c");
  assert.equal(readTlv(long).contents.length, 300);
});

Deno.test("derExplicit() wraps an element, derImplicit() retags raw contents", () => {
  assert.equal(hex(derExplicit(0, derInteger(2))), "a003020102");
  assert.equal(hex(derExplicit(3, derSequence())), "a3023000");
  assert.equal(
    hex(derImplicit(7, Uint8Array.of(127, 0, 0, 1))),
    "87047f000001",
  );
  assert.throws(() => derExplicit(31, derSequence()), RangeError);
});
