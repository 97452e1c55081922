// The references of an OpenAPI document to other files, which API Management cannot follow on import.

/**
 * Every distinct `$ref` that does not point into the document itself (`#/...`), in document order:
 * `common.yaml#/schemas/Pet`, `https://example.com/pet.json`. Values under extension keys
 * (`x-...`) are skipped: APIM ignores extensions on import, and Azure's specs keep
 * `x-ms-examples` in other files. A node shared through YAML aliases is walked once. A reference's
 * user info and query are left out (they may hold a password or a SAS token); its fragment stays.
 */
export function externalReferences(root: unknown): string[] {
  const found = new Set<string>();
  const seen = new Set<object>();
  const walk = (node: unknown): void => {
    if (typeof node !== "object" || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === "$ref" && typeof value === "string") {
        if (!value.startsWith("#")) found.add(withoutSecrets(value));
      } else if (!key.startsWith("x-")) walk(value);
    }
  };
  walk(root);
  return [...found];
}

/** `https://user:pw@host/a.json?sig=…#/Pet` → `https://host/a.json#/Pet`. */
function withoutSecrets(ref: string): string {
  return ref.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i, "$1")
    .replace(/\?[^#]*/, "");
}
