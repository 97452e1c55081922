// Unit tests for IP address parsing and classification of the OpenAPI fetcher's SSRF guard.

import assert from "node:assert/strict";
import {
  type AddressClass,
  classifyAddress,
  parseIpAddress,
} from "../../../src/openapi/address_policy.ts";

const CASES: [string, AddressClass][] = [
  // IPv4: loopback and private ranges stay allowed.
  ["127.0.0.1", "allowed"],
  ["10.0.0.7", "allowed"],
  ["172.16.4.2", "allowed"],
  ["192.168.1.10", "allowed"],
  ["20.50.2.1", "allowed"],
  // IPv4: link-local and metadata.
  ["169.254.169.254", "metadata"],
  ["169.254.0.1", "link-local"],
  ["169.254.255.255", "link-local"],
  ["168.63.129.16", "metadata"],
  ["168.63.129.17", "allowed"],
  ["169.253.255.255", "allowed"],
  ["169.255.0.0", "allowed"],
  ["0.0.0.0", "unspecified"],
  ["224.0.0.1", "multicast"],
  ["255.255.255.255", "multicast"],
  // IPv6.
  ["::1", "allowed"],
  ["fd12:3456::1", "allowed"],
  ["2001:db8::1", "allowed"],
  ["::", "unspecified"],
  ["fe80::1", "link-local"],
  ["febf:ffff::1", "link-local"],
  ["fec0::1", "allowed"],
  ["fe80::1%eth0", "link-local"],
  ["FE80::ABCD", "link-local"],
  ["ff02::1", "multicast"],
  ["fd00:ec2::254", "metadata"],
  ["fd00:0ec2:0000:0000:0000:0000:0000:0254", "metadata"],
  ["fd20:ce::254", "metadata"],
  ["fd00:ec2::255", "allowed"],
  ["[fe80::1]", "link-local"],
  // IPv6 forms that carry an IPv4 address.
  ["::ffff:169.254.169.254", "metadata"],
  ["::ffff:a9fe:a9fe", "metadata"],
  ["::ffff:a9fe:1", "link-local"],
  ["::ffff:a83f:8110", "metadata"],
  ["0:0:0:0:0:ffff:168.63.129.16", "metadata"],
  ["::ffff:0:169.254.1.1", "link-local"],
  ["::169.254.169.254", "metadata"],
  ["64:ff9b::169.254.169.254", "metadata"],
  ["64:ff9b::a9fe:a9fe", "metadata"],
  ["::ffff:127.0.0.1", "allowed"],
  ["::ffff:10.1.2.3", "allowed"],
  ["[::ffff:a9fe:a9fe]", "metadata"],
  // Not IP addresses.
  ["example.com", "not-an-ip"],
  ["metadata.google.internal", "not-an-ip"],
  ["256.1.1.1", "not-an-ip"],
  ["1.2.3", "not-an-ip"],
  ["01.2.3.4", "not-an-ip"],
  ["0x7f.0.0.1", "not-an-ip"],
  ["2130706433", "not-an-ip"],
  ["1::2::3", "not-an-ip"],
  ["1:2:3:4:5:6:7:8:9", "not-an-ip"],
  ["1:2:3:4:5:6:7", "not-an-ip"],
  ["12345::1", "not-an-ip"],
  ["::ffff:1.2.3.256", "not-an-ip"],
  ["", "not-an-ip"],
];

for (const [address, expected] of CASES) {
  Deno.test(`classifyAddress(${JSON.stringify(address)}) is ${expected}`, () => {
    assert.equal(classifyAddress(address), expected);
  });
}

Deno.test("parseIpAddress gives 4 bytes for IPv4 and 16 for IPv6", () => {
  assert.deepEqual(parseIpAddress("10.1.2.3"), new Uint8Array([10, 1, 2, 3]));
  assert.deepEqual(
    parseIpAddress("2001:db8::1:2"),
    new Uint8Array([0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2]),
  );
  assert.deepEqual(
    parseIpAddress("::ffff:1.2.3.4"),
    new Uint8Array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4]),
  );
  assert.equal(parseIpAddress("localhost"), undefined);
});
