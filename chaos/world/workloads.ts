// The apps' Deployments: created, rolled out to an image, scaled, and made ready (there is no kubelet; the runner plays it).
import type { GenericObject } from "../../src/kube/kube_object.ts";
import type { ResourceApi } from "../../src/kube/resource_api.ts";
import {
  deploymentManifest,
  makeRolloutReady,
} from "../../test/support/workload.ts";

const NAME_LABEL = "app.kubernetes.io/name";
const OWNER_LABEL = "chaos.apim.operator.io/owner";

/** The Kubernetes APIs the workloads need. */
export interface WorkloadApis {
  deployments: ResourceApi<GenericObject>;
  replicaSets: ResourceApi<GenericObject>;
  pods: ResourceApi<GenericObject>;
}

/** The image of an app at a tag (`d3-b7`). */
export function imageOf(app: string, tag: string): string {
  return `registry.chaos.local/${app}:${tag}`;
}

/** Deployments in one namespace; each owner's pods carry the app's name label and their own owner label. */
export class Workloads {
  readonly #apis: WorkloadApis;
  readonly #namespace: string;

  constructor(apis: WorkloadApis, namespace: string) {
    this.#apis = apis;
    this.#namespace = namespace;
  }

  #labels(app: string, owner: string): Record<string, string> {
    return { [NAME_LABEL]: app, [OWNER_LABEL]: owner };
  }

  /** Creates Deployment `owner` of `app` on image `tag` and waits until it is ready. */
  async create(app: string, owner: string, tag: string): Promise<void> {
    await this.#apis.deployments.create(
      deploymentManifest(this.#namespace, owner, this.#labels(app, owner), {
        image: imageOf(app, tag),
      }) as GenericObject,
      { namespace: this.#namespace },
    );
    await this.makeReady(app, owner);
  }

  /** Rolls Deployment `owner` out to image `tag` (a new ReplicaSet, or an older one for a rollback). */
  async setImage(app: string, owner: string, tag: string): Promise<void> {
    await this.#apis.deployments.jsonPatch(owner, [{
      op: "replace",
      path: "/spec/template/spec/containers/0/image",
      value: imageOf(app, tag),
    }], { namespace: this.#namespace });
  }

  /** Scales Deployment `owner`. */
  async scale(owner: string, replicas: number): Promise<void> {
    await this.#apis.deployments.mergePatch(owner, { spec: { replicas } }, {
      namespace: this.#namespace,
    });
  }

  /** Marks the pods of `owner` ready until its newest ReplicaSet is ready and the older ones drained. */
  async makeReady(app: string, owner: string): Promise<void> {
    await makeRolloutReady(
      { apis: this.#apis },
      this.#namespace,
      owner,
      this.#labels(app, owner),
    );
  }
}
