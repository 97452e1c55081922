// The apps' OpenAPI endpoints on one loopback port: `/<app>/...` answers the document that app serves now.
import { documentFor, type ServedDocument } from "./documents.ts";

/** Serves each app's current document under `/<app>/` (any deeper path, any base path variant). */
export class AppDocumentServer implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #served = new Map<string, ServedDocument>();

  constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#answer(new URL(request.url)),
    );
  }

  /** `http://127.0.0.1:<port>` */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Makes `app` serve the document of `key`; returns it. */
  serve(app: string, key: string): ServedDocument {
    const document = documentFor(app, key);
    this.#served.set(app, document);
    return document;
  }

  /** The document `app` serves now. */
  served(app: string): ServedDocument | undefined {
    return this.#served.get(app);
  }

  #answer(url: URL): Response {
    const app = url.pathname.split("/")[1] ?? "";
    const document = this.#served.get(app);
    if (!document) return new Response("no such app", { status: 404 });
    return new Response(document.text, {
      headers: { "content-type": "application/json" },
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
  }
}
