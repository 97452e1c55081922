// Unit tests of IP address parsing for subject alternative names.
import assert from "node:assert/strict";
import {
  parseIpAddress,
  parseIpv4,
  parseIpv6,
} from "../../../src/http/ip_address.ts";
import { hex } from "./der_reader.ts";

const hexOf = (bytes: Uint8Array | undefined) =>
  bytes === undefined ? undefined : hex(bytes);

Deno.test("parseIpv4() accepts dotted quads only", () => {
  assert.equal(hexOf(parseIpv4("127.0.0.1")), "7f000001");
  assert.equal(hexOf(parseIpv4("255.255.255.255")), "ffffffff");
  assert.equal(parseIpv4("256.0.0.1"), undefined);
  assert.equal(parseIpv4("1.2.3"), undefined);
  assert.equal(parseIpv4("localhost"), undefined);
});

Deno.test("parseIpv6() expands :: and accepts an IPv4 tail", () => {
  assert.equal(hexOf(parseIpv6("::1")), "00000000000000000000000000000001");
  assert.equal(hexOf(parseIpv6("::")), "00000000000000000000000000000000");
  assert.equal(
    hexOf(parseIpv6("fd00:10:244::a")),
    "fd00001002440000000000000000000a",
  );
  assert.equal(
    hexOf(parseIpv6("2001:db8:0:0:0:0:2:1")),
    "20010db8000000000000000000020001",
  );
  assert.equal(
    hexOf(parseIpv6("::ffff:10.0.0.1")),
    "00000000000000000000ffff0a000001",
  );
  assert.equal(parseIpv6("1::2::3"), undefined);
  assert.equal(parseIpv6("1:2:3:4:5:6:7"), undefined);
  assert.equal(parseIpv6("1:2:3:4:5:6:7:8:9"), undefined);
  assert.equal(parseIpv6("1:2:3:4::5:6:7:8"), undefined);
  assert.equal(parseIpv6("g::1"), undefined);
});

Deno.test("parseIpAddress() takes either family, IPv6 also in brackets", () => {
  assert.equal(hexOf(parseIpAddress("10.1.2.3")), "0a010203");
  assert.equal(
    hexOf(parseIpAddress("[::1]")),
    "00000000000000000000000000000001",
  );
  assert.equal(parseIpAddress("pod-0.example"), undefined);
});
