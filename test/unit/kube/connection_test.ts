// Unit tests for KubeConnection's HTTP clients: which client each request gets, made once per identity.
import assert from "node:assert/strict";
import {
  type HttpClientOptions,
  KubeConnection,
} from "../../../src/kube/connection.ts";

const CA = "-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----";
const CERT = { certPem: "cert", keyPem: "key" };

const cases: {
  name: string;
  caPem?: string;
  clientCertificate?: typeof CERT;
  /** The options of the client reads and watches get (undefined: Deno's default client). */
  reads: HttpClientOptions | undefined;
  /** The options of the client requests with a body get. */
  writes: HttpClientOptions;
}[] = [
  {
    name: "no CA, no certificate: reads on Deno's default client",
    reads: undefined,
    writes: { http2: false },
  },
  {
    name: "a CA",
    caPem: CA,
    reads: { caCerts: [CA] },
    writes: { caCerts: [CA], http2: false },
  },
  {
    name: "a CA and a client certificate",
    caPem: CA,
    clientCertificate: CERT,
    reads: { caCerts: [CA], cert: "cert", key: "key" },
    writes: { caCerts: [CA], cert: "cert", key: "key", http2: false },
  },
];

for (const c of cases) {
  Deno.test(`KubeConnection: ${c.name}; bodies go over HTTP/1.1, each client made once and closed`, async () => {
    const made: HttpClientOptions[] = [];
    const clients: Deno.HttpClient[] = [];
    const closed: Deno.HttpClient[] = [];
    const connection = new KubeConnection({
      server: "https://127.0.0.1:6443",
      namespace: "default",
      caPem: c.caPem,
      clientCertificate: c.clientCertificate,
    }, {
      createHttpClient: (options) => {
        made.push(options);
        const client = {
          close: () => void closed.push(client),
        } as Deno.HttpClient;
        clients.push(client);
        return client;
      },
    });
    const read = await connection.auth();
    const write = await connection.auth(undefined, true);
    assert.equal((await connection.auth()).client, read.client);
    assert.equal((await connection.auth(undefined, true)).client, write.client);
    assert.deepEqual(made, c.reads ? [c.reads, c.writes] : [c.writes]);
    assert.equal(read.client, c.reads ? clients[0] : undefined);
    assert.equal(write.client, clients.at(-1));
    connection.close();
    assert.deepEqual(closed, clients, "close() closes every client it made");
  });
}
