// A stand-in for the application's OpenAPI endpoint: serves a document (or a failure) on loopback.

/** What the server answers at its document path. */
export type DocumentAnswer =
  | { kind: "document"; body: string; contentType: string }
  | { kind: "status"; status: number; body: string; contentType: string }
  | { kind: "hang" };

/** A running document server. */
export class DocumentServer implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #hanging = new Set<() => void>();
  #answer: DocumentAnswer;
  /** How many times the document was requested. */
  fetches = 0;

  readonly #secure: boolean;

  /** Serves HTTPS with `tls` (a certificate from the test CA), plain HTTP without. */
  constructor(
    answer: DocumentAnswer,
    tls?: { certPem: string; keyPem: string },
  ) {
    this.#answer = answer;
    this.#secure = tls !== undefined;
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
      ...(tls ? { cert: tls.certPem, key: tls.keyPem } : {}),
    }, () => this.#respond());
  }

  /** The bound port. */
  get port(): number {
    return this.#server.addr.port;
  }

  async #respond(): Promise<Response> {
    this.fetches++;
    const answer = this.#answer;
    if (answer.kind === "hang") {
      await new Promise<void>((resolve) => this.#hanging.add(resolve));
      return new Response("released", { status: 503 });
    }
    const status = answer.kind === "document" ? 200 : answer.status;
    return new Response(answer.body, {
      status,
      headers: { "content-type": answer.contentType },
    });
  }

  /** Base URL, e.g. `http://127.0.0.1:40123` (use it as serviceUrl; it needs no Ingress). */
  get url(): string {
    return `${
      this.#secure ? "https" : "http"
    }://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Serves a JSON or YAML document. */
  serve(
    body: string,
    contentType = body.trimStart().startsWith("{")
      ? "application/json"
      : "application/yaml",
  ): void {
    this.#answer = { kind: "document", body, contentType };
  }

  /** Answers with a status and body instead of a document. */
  fail(status: number, body = "", contentType = "text/plain"): void {
    this.#answer = { kind: "status", status, body, contentType };
  }

  /** Never answers (until stopped), to exercise timeouts. */
  hang(): void {
    this.#answer = { kind: "hang" };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    for (const release of this.#hanging) release();
    await this.#server.shutdown();
  }
}

/** Reads a document from test/fixtures/openapi. */
export async function fixtureDocument(name: string): Promise<string> {
  return await Deno.readTextFile(
    new URL(`../fixtures/openapi/${name}`, import.meta.url),
  );
}
