// What the runner did during a schedule: the trace, the faults (with times), the deletions and the APIMService's absences.

/** How a step ended, from the runner's side. */
export type StepOutcome = "ok" | "skipped" | "rejected" | "failed";

/** One line of the action trace. */
export interface TraceEntry {
  /** Index in the schedule (-1 for setup and quiescence). */
  step: number;
  /** Milliseconds since the schedule started. */
  atMs: number;
  text: string;
  outcome: StepOutcome;
  note?: string;
}

/** Kinds of disturbance that can excuse an operator for repeating work it could not know was done. */
export type MarkKind =
  | "operator" // a replica stopped, frozen, or its Lease taken
  | "watch" // watches broken or the API server away
  | "lostAnswer" // an ARM answer lost after the write ran
  | "portal" // API Management changed out of band
  | "apimapi"; // an APIMAPI deleted or its identity edited

/** A disturbance at a time (epoch ms), about a subject (an API id) when it has one. */
export interface Mark {
  at: number;
  kind: MarkKind;
  subject?: string;
}

/** A deletion the runner asked for. */
export interface Deletion {
  kind: "APIMAPI" | "APIMProduct" | "APIMTag" | "APIMService";
  name: string;
  uid: string;
  at: number;
  /** For APIMAPIs: the APIID, and whether its policy was Retain when deleted. */
  apiId?: string;
  retain?: boolean;
}

/** Everything recorded about one schedule's execution. */
export class Ledger {
  readonly startedAt = Date.now();
  readonly trace: TraceEntry[] = [];
  readonly marks: Mark[] = [];
  readonly deletions: Deletion[] = [];
  /** Intervals (epoch ms) during which the APIMService object did not exist; `to` null while it lasts. */
  readonly serviceAbsent: { from: number; to: number | null }[] = [];
  /** Counts by category. */
  readonly counts = { user: 0, operator: 0, arm: 0, portal: 0 };

  /** Adds a trace line. */
  record(
    step: number,
    text: string,
    outcome: StepOutcome = "ok",
    note?: string,
  ): void {
    this.trace.push({
      step,
      atMs: Date.now() - this.startedAt,
      text,
      outcome,
      ...(note === undefined ? {} : { note }),
    });
  }

  /** Notes a disturbance now. */
  mark(kind: MarkKind, subject?: string): void {
    this.marks.push({
      at: Date.now(),
      kind,
      ...(subject === undefined ? {} : { subject }),
    });
  }
}
