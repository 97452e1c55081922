// The applications' OpenAPI endpoints: one loopback server that serves a versioned document per API name.

/** Operations in each generated document (10 resources x list/create/get). */
const RESOURCES = 10;

/** A mid-sized OpenAPI 3 document (30 operations, ~15 KB) whose version changes its digest. */
export function openApiDocument(name: string, version: number): string {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (let r = 0; r < RESOURCES; r++) {
    const resource = `resource${r}`;
    const schema = `Resource${r}`;
    schemas[schema] = {
      type: "object",
      required: ["id", "name"],
      properties: {
        id: { type: "string", format: "uuid" },
        name: { type: "string", maxLength: 128 },
        description: { type: "string" },
        createdAt: { type: "string", format: "date-time" },
        tags: { type: "array", items: { type: "string" } },
        owner: { type: "string" },
        state: { type: "string", enum: ["active", "disabled", "deleted"] },
      },
    };
    const ref = { $ref: `#/components/schemas/${schema}` };
    const json = (s: unknown) => ({ "application/json": { schema: s } });
    paths[`/${resource}`] = {
      get: {
        operationId: `list-${resource}`,
        summary: `List ${resource} items`,
        parameters: [
          { name: "$top", in: "query", schema: { type: "integer" } },
          { name: "$skip", in: "query", schema: { type: "integer" } },
        ],
        responses: {
          "200": {
            description: "OK",
            content: json({ type: "array", items: ref }),
          },
        },
      },
      post: {
        operationId: `create-${resource}`,
        summary: `Create a ${resource} item`,
        requestBody: { required: true, content: json(ref) },
        responses: { "201": { description: "Created", content: json(ref) } },
      },
    };
    paths[`/${resource}/{id}`] = {
      get: {
        operationId: `get-${resource}`,
        summary: `Get one ${resource} item`,
        parameters: [{
          name: "id",
          in: "path",
          required: true,
          schema: { type: "string" },
        }],
        responses: {
          "200": { description: "OK", content: json(ref) },
          "404": { description: "Not found" },
        },
      },
    };
  }
  return JSON.stringify({
    openapi: "3.0.1",
    info: {
      title: `${name} API`,
      version: `1.0.${version}`,
      description: `Benchmark API ${name}`,
    },
    servers: [{ url: "/" }],
    paths,
    components: { schemas },
  });
}

/** Serves `GET /docs/{name}.json` with the document of the name's current version. */
export class DocumentHost implements AsyncDisposable {
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #versions = new Map<string, number>();
  readonly #bodies = new Map<string, string>();
  /** Documents served so far. */
  fetches = 0;

  constructor() {
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, (request) => this.#respond(request));
  }

  #respond(request: Request): Response {
    const name = /^\/docs\/([^/]+)\.json$/.exec(new URL(request.url).pathname)
      ?.[1];
    if (!name) return new Response("not found", { status: 404 });
    this.fetches++;
    const version = this.#versions.get(name) ?? 1;
    const key = `${name}@${version}`;
    let body = this.#bodies.get(key);
    if (body === undefined) {
      body = openApiDocument(name, version);
      if (this.#bodies.size >= 2000) this.#bodies.clear();
      this.#bodies.set(key, body);
    }
    return new Response(body, {
      headers: { "content-type": "application/json" },
    });
  }

  /** Base URL, `http://127.0.0.1:PORT`. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /** Where the API's document is served (an absolute openApiDefinitionUrl). */
  documentUrl(name: string): string {
    return `${this.url}/docs/${name}.json`;
  }

  /** The API's backend URL (cluster-local: loopback needs no Ingress). */
  serviceUrl(name: string): string {
    return `${this.url}/svc/${name}`;
  }

  /** Makes the next fetches of `name` return a new version (a new digest). */
  bump(name: string): number {
    const version = (this.#versions.get(name) ?? 1) + 1;
    this.#versions.set(name, version);
    return version;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
  }
}
