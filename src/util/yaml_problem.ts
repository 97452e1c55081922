// What is wrong in a YAML text, from a js-yaml error: its reason and position, never its excerpt of the text.

// @ts-types="@types/js-yaml"
import jsyaml from "js-yaml";

/**
 * "duplicated mapping key at line 4, column 3". js-yaml's own message quotes the lines around the
 * problem, which may hold a secret (a kubeconfig's token), so it is left out.
 */
export function yamlProblem(error: unknown): string {
  if (error instanceof jsyaml.YAMLException) {
    const mark = (error as { mark?: { line: number; column: number } }).mark;
    return mark === undefined
      ? error.reason
      : `${error.reason} at line ${mark.line + 1}, column ${mark.column + 1}`;
  }
  return error instanceof Error ? error.message : String(error);
}
