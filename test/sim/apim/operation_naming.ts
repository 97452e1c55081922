// How an import names API operations and maps a re-imported document onto existing operations (§A.12).
//
// Naming (first import and new operations): the resource name is the document's operationId with
// its case kept (recorded: `addPet`, `findPetById`, `dummyOperationId`, `resourceWithFormDataPOST`,
// net-ApiRevisionTests#6, #12), every run of non-alphanumerics turned into one "-", dashes
// trimmed, cut to 76 characters, de-duplicated with "-1".."-999" (reference A.12; names are
// compared case-insensitively, as APIM ids are). Without an operationId the name is generated the
// same way from "{method}-{urlTemplate}", lower-cased (GET /foo/{bar}?buzz={quix} ->
// get-foo-bar-buzz-quix).
//
// Re-import (the simulator's explicit choice, faithful to §A.12 and to the seed README's
// troubleshooting "ValidationError stating an operation already exists when the operator
// re-imports an API" whose cause is "the spec omits operationId"):
//  1. Two operations of the document with the same signature (method + URL template, compared
//     case-insensitively, path parameter names ignored) fail the import: "Importing API has
//     duplicate signature operations".
//  2. The match key of an incoming operation is its normalised operationId. An incoming operation
//     WITHOUT operationId has no key: the name APIM generated for it last time is not an id the
//     document supplies, so it is never matched (APIM treats it as a new operation).
//  3. Keyed operations whose key equals an existing operation's name are updated in place (name and
//     policy kept, method/template/display name updated).
//  4. Other keyed operations are created under their own name; when an existing unmatched operation
//     has the same signature, this is a rename: its policy is copied to the new operation.
//  5. Key-less operations are created BEFORE the unmatched existing operations are deleted, with a
//     generated name de-duplicated against the names that still exist (so "get-pets" becomes
//     "get-pets-1": "different names on subsequent imports"). If an existing operation with the same
//     signature is still there (unmatched and not renamed by step 4), APIM refuses the duplicate:
//     400 ValidationError, detail "Operation with the same method and URL template already exists."
//     So re-importing a document without operationIds onto an API that already has those
//     operations fails, while a document with stable operationIds re-imports cleanly.
//  6. Existing operations left unmatched are deleted with their policies.

import {
  ArmError,
  fieldValidationError,
  validationFailure,
} from "./arm_error.ts";
import type { ImportedOperation } from "./openapi_document.ts";
import type { OperationState, PolicyState } from "./store.ts";

const MAX_BASE_LENGTH = 76;
const MAX_SUFFIX = 999;

/** Non-alphanumeric runs to "-", trimmed, at most 76 characters; the case is kept. */
export function normaliseOperationName(source: string): string {
  return source
    .replace(/[^A-Za-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_BASE_LENGTH)
    .replace(/-+$/, "");
}

/** The name APIM generates for an operation without operationId. */
export function generatedOperationName(
  method: string,
  urlTemplate: string,
): string {
  return normaliseOperationName(`${method}-${urlTemplate}`).toLowerCase();
}

/**
 * Method + URL template with the path parameters' names blanked, the identity APIM uses to detect
 * duplicate operations: it refused .../content/item/{path} next to .../content/item/{id}
 * (umbraco/Umbraco-CMS#17300). A query parameter's name stays (`?kind={}` is not `?sort={}`).
 */
function operationSignature(
  method: string,
  urlTemplate: string,
): string {
  const [path = "", query] = urlTemplate.toLowerCase().split("?", 2);
  return `${method.toUpperCase()} ${path.replace(/\{[^}]*\}/g, "{}")}${
    query === undefined ? "" : `?${query}`
  }`;
}

/** `base`, or `base-1`..`base-999`, whichever is not in `taken` (lower-case names). */
function uniqueName(base: string, taken: Set<string>): string {
  const root = base === "" ? "operation" : base;
  if (!taken.has(root.toLowerCase())) return root;
  for (let i = 1; i <= MAX_SUFFIX; i++) {
    const candidate = `${root}-${i}`;
    if (!taken.has(candidate.toLowerCase())) return candidate;
  }
  throw validationFailure(
    `Unable to generate a unique operation name for '${root}'.`,
  );
}

function duplicateSignatureError(
  incoming: readonly ImportedOperation[],
): ArmError | null {
  // The message names the first operation's template, lower-cased (apiops#670).
  const counts = new Map<string, { count: number; shown: string }>();
  for (const op of incoming) {
    const sig = operationSignature(op.method, op.urlTemplate);
    const seen = counts.get(sig);
    const shown = `${op.method.toUpperCase()} ${op.urlTemplate.toLowerCase()}`;
    counts.set(sig, {
      count: (seen?.count ?? 0) + 1,
      shown: seen?.shown ?? shown,
    });
  }
  for (const { count, shown } of counts.values()) {
    if (count > 1) {
      return validationFailure(
        `Importing API has duplicate signature operations: ${count} operations with signature '${shown}'`,
      );
    }
  }
  return null;
}

function fromIncoming(
  op: ImportedOperation,
  name: string,
  policy: PolicyState | undefined,
): OperationState {
  return {
    name,
    method: op.method,
    urlTemplate: op.urlTemplate,
    displayName: op.displayName,
    ...(op.description === undefined ? {} : { description: op.description }),
    ...(op.operationId === undefined
      ? {}
      : { sourceOperationId: op.operationId }),
    ...(policy === undefined ? {} : { policy }),
  };
}

/** Result of mapping a document onto an API's operations. */
export type OperationPlan =
  | { ok: true; operations: OperationState[] }
  | { ok: false; error: ArmError };

/** Applies the rules in this module's header to `existing` operations and an `incoming` document. */
export function planOperations(
  existing: readonly OperationState[],
  incoming: readonly ImportedOperation[],
): OperationPlan {
  const duplicate = duplicateSignatureError(incoming);
  if (duplicate) return { ok: false, error: duplicate };
  const byName = new Map(existing.map((op) => [op.name.toLowerCase(), op]));
  const matched = new Set<OperationState>();
  const result = new Map<ImportedOperation, OperationState>();
  for (const op of incoming) {
    if (op.operationId === undefined) continue;
    const current = byName.get(
      normaliseOperationName(op.operationId).toLowerCase(),
    );
    if (!current || matched.has(current)) continue;
    matched.add(current);
    result.set(op, fromIncoming(op, current.name, current.policy));
  }
  const unmatched = existing.filter((op) => !matched.has(op));
  const sameSignature = (op: ImportedOperation) =>
    unmatched.find((e) =>
      operationSignature(e.method, e.urlTemplate) ===
        operationSignature(op.method, op.urlTemplate)
    );
  const taken = new Set(
    [...result.values()].map((op) => op.name.toLowerCase()),
  );
  const renamed = new Set<OperationState>();
  for (const op of incoming) {
    if (op.operationId === undefined || result.has(op)) continue;
    const name = uniqueName(normaliseOperationName(op.operationId), taken);
    taken.add(name.toLowerCase());
    const predecessor = sameSignature(op);
    if (predecessor) renamed.add(predecessor);
    result.set(op, fromIncoming(op, name, predecessor?.policy));
  }
  for (const e of unmatched) taken.add(e.name.toLowerCase());
  for (const op of incoming) {
    if (op.operationId !== undefined) continue;
    const name = uniqueName(
      generatedOperationName(op.method, op.urlTemplate),
      taken,
    );
    const clash = sameSignature(op);
    if (clash && !renamed.has(clash)) {
      return {
        ok: false,
        error: fieldValidationError([{
          code: "ValidationError",
          target: name,
          message:
            "Operation with the same method and URL template already exists.",
        }]),
      };
    }
    taken.add(name.toLowerCase());
    result.set(op, fromIncoming(op, name, undefined));
  }
  return {
    ok: true,
    operations: incoming.map((op) => result.get(op)).filter((op) =>
      op !== undefined
    ),
  };
}
