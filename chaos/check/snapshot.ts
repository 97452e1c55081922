// The state the invariants judge, as plain data: API Management, the API server's objects, the logs and what the runner did.
import type {
  OperationRecord,
  RequestLogEntry,
} from "../../test/sim/apim_simulator.ts";
import type { Deletion, Mark } from "../execute/ledger.ts";
import type { ProcessIncident } from "../world/operators.ts";

/** One revision of an API in API Management. */
export interface RevisionView {
  revision: string;
  isCurrent: boolean;
  serviceUrl: string | null;
  path: string;
  subscriptionRequired: boolean;
  /** `METHOD /template`, sorted. */
  operations: string[];
  description: string | null;
}

/** One API in API Management. */
export interface ApimApiView {
  name: string;
  currentRevision: string;
  revisions: RevisionView[];
  productIds: string[];
  tagIds: string[];
}

/** A product or tag in API Management. */
export interface EntityView {
  id: string;
  displayName: string;
}

/** What the simulated instance holds. */
export interface ApimView {
  apis: ApimApiView[];
  products: EntityView[];
  tags: EntityView[];
}

/** A status condition. */
export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message: string;
  observedGeneration: number | null;
}

/** An APIMAPI as read from the API server. */
export interface ApiObject {
  name: string;
  uid: string;
  generation: number;
  deleting: boolean;
  spec: {
    apiId: string;
    serviceUrl: string;
    routePrefix: string;
    productIds: string[];
    tagIds: string[];
    subscriptionRequired: boolean;
    revisionMode: string;
    keep: number;
    deletionPolicy: string;
  };
  conditions: ConditionView[];
  documentDigest: string | null;
  currentRevision: string | null;
}

/** An APIMProduct or APIMTag as read from the API server. */
export interface EntityObject {
  kind: "APIMProduct" | "APIMTag";
  name: string;
  uid: string;
  id: string;
  displayName: string;
  deleting: boolean;
  generation: number;
  conditions: ConditionView[];
}

/** An Event about one of our objects. */
export interface EventView {
  kind: string;
  name: string;
  type: string;
  reason: string;
}

/** What the API server holds. */
export interface KubeView {
  apis: ApiObject[];
  products: EntityObject[];
  tags: EntityObject[];
  /** Other objects of ours that still exist, by uid (for deletions that must finish). */
  uids: string[];
  serviceExists: boolean;
  events: EventView[];
}

/** The document an app serves at the end. */
export interface DocumentView {
  app: string;
  key: string;
  valid: boolean;
  digest: string;
  operations: string[];
}

/** Everything the invariants look at. */
export interface Snapshot {
  /** Epoch ms. */
  takenAt: number;
  apim: ApimView;
  requests: readonly RequestLogEntry[];
  operations: OperationRecord[];
  kube: KubeView;
  documents: DocumentView[];
  marks: Mark[];
  deletions: Deletion[];
  serviceAbsent: { from: number; to: number | null }[];
  incidents: ProcessIncident[];
}

/** The names of the invariants, in the order of the issue. */
export const INVARIANTS = [
  "convergence",
  "no-overlap",
  "no-orphans",
  "honest-status",
  "good-citizen",
  "nothing-lost",
] as const;

/** One invariant. */
export type InvariantName = typeof INVARIANTS[number];

/** One difference between what should be and what is. */
export interface Diff {
  field: string;
  want: unknown;
  got: unknown;
}

/** A broken invariant about one subject. */
export interface Violation {
  invariant: InvariantName;
  subject: string;
  message: string;
  diffs?: Diff[];
}
