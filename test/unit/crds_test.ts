// The CRDs: the chart ships byte-identical copies of deploy/crds, and every CRD has the shape SPEC §3 asks for.
import assert from "node:assert/strict";
import type {
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
} from "kubernetes-types/apiextensions/v1.d.ts";
import { parse } from "yaml";

const CRDS = new URL("../../deploy/crds/", import.meta.url);
const CHART_CRDS = new URL(
  "../../deploy/helm/azure-apim-operator/files/crds/",
  import.meta.url,
);
const GROUP = "apim.operator.io";
const READY_PATH = '.status.conditions[?(@.type=="Ready")].status';

async function yamlFiles(dir: URL): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && entry.name.endsWith(".yaml")) names.push(entry.name);
  }
  return names.sort();
}

async function crds(): Promise<Array<[string, CustomResourceDefinition]>> {
  const files = await yamlFiles(CRDS);
  return await Promise.all(
    files.map(async (file): Promise<[string, CustomResourceDefinition]> => [
      file,
      parse(await Deno.readTextFile(new URL(file, CRDS))),
    ]),
  );
}

Deno.test("the chart's files/crds are byte-identical to deploy/crds, file for file", async () => {
  const files = await yamlFiles(CRDS);
  assert.deepEqual(await yamlFiles(CHART_CRDS), files);
  for (const file of files) {
    assert.deepEqual(
      await Deno.readFile(new URL(file, CHART_CRDS)),
      await Deno.readFile(new URL(file, CRDS)),
      `files/crds/${file} differs from deploy/crds/${file}`,
    );
  }
});

Deno.test("deploy/crds holds one CRD per kind of the operator's API group", async () => {
  const all = await crds();
  assert.deepEqual(all.map(([, crd]) => crd.spec.names.kind).sort(), [
    "APIMAPI",
    "APIMAPIDeployment",
    "APIMAPIVersionSet",
    "APIMInboundPolicy",
    "APIMProduct",
    "APIMService",
    "APIMTag",
  ]);
  for (const [file, crd] of all) {
    assert.equal(crd.apiVersion, "apiextensions.k8s.io/v1", file);
    assert.equal(crd.kind, "CustomResourceDefinition", file);
    assert.equal(crd.spec.group, GROUP, file);
    assert.equal(crd.spec.scope, "Namespaced", file);
    assert.equal(crd.metadata?.name, `${crd.spec.names.plural}.${GROUP}`);
    assert.equal(file, `${GROUP}_${crd.spec.names.plural}.yaml`);
  }
});

Deno.test("every CRD has short names, the apim category, and a served v1 storage version", async () => {
  for (const [file, crd] of await crds()) {
    const { names, versions } = crd.spec;
    assert.ok((names.shortNames ?? []).length > 0, `${file}: short names`);
    assert.ok(names.categories?.includes("apim"), `${file}: category apim`);
    assert.equal(names.singular, names.kind.toLowerCase(), file);
    assert.equal(names.listKind, `${names.kind}List`, file);
    assert.deepEqual(
      versions.map((v) => [v.name, v.served, v.storage]),
      [["v1", true, true]],
      file,
    );
  }
  const shortNames = (await crds()).flatMap(([, crd]) =>
    crd.spec.names.shortNames ?? []
  );
  assert.equal(new Set(shortNames).size, shortNames.length, "unique");
});

function v1(crd: CustomResourceDefinition): CustomResourceDefinitionVersion {
  const version = crd.spec.versions.find((v) => v.name === "v1");
  assert.ok(version, `${crd.metadata?.name}: v1`);
  return version;
}

Deno.test("every CRD has a status subresource with conditions and observedGeneration, and printer columns with Ready and Age", async () => {
  for (const [file, crd] of await crds()) {
    const version = v1(crd);
    assert.deepEqual(version.subresources?.status, {}, `${file}: status`);
    const status = version.schema?.openAPIV3Schema?.properties?.["status"];
    assert.equal(status?.properties?.["conditions"]?.type, "array", file);
    assert.equal(
      status?.properties?.["observedGeneration"]?.type,
      "integer",
      file,
    );
    const columns = version.additionalPrinterColumns ?? [];
    const ready = columns.find((c) => c.name === "Ready");
    assert.equal(ready?.jsonPath, READY_PATH, `${file}: Ready column`);
    assert.ok(
      columns.some((c) => c.name === "Reason" || c.name === "Message"),
      `${file}: a Reason or Message column`,
    );
    const age = columns.find((c) => c.name === "Age");
    assert.deepEqual(
      [age?.type, age?.jsonPath],
      ["date", ".metadata.creationTimestamp"],
      `${file}: Age column`,
    );
  }
});
