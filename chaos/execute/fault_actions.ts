// Faults: the operator's processes, Lease and watches, and ARM (the simulator) misbehaving for a while.
//
// ARM answers used here, with their evidence:
// - 500 InternalServerError "Request processing failed due to internal error." — recorded
//   (azure-recordings aso-…578500a#124, a DELETE that succeeded on retry).
// - 503 ServiceUnavailable with Retry-After — ARM's documented transient answer (reference A.10,
//   SPEC §5 "429 and 503 honour Retry-After"); the message text is not from a recording.
// - 409 PessimisticConcurrencyConflict "Operation on the API is in progress" while another
//   operation runs on the API (reference §C.3; apiops#141, #497) — here as if a portal user ran one.
// - 409 ScopeLocked on DELETE under a resource lock (reference; apiops#606), via `lockedScopes`.
// - 422 ManagementApiRequestFailed, a long import timing out inside APIM (reference; apiops#497,
//   #689), as the late failure of imports and asynchronous deletes.
import type {
  FaultSpec,
  UnknownOutcomeSpec,
} from "../../test/sim/apim_simulator.ts";
import type {
  ArmFault,
  ArmTarget,
  OperatorFault,
} from "../schedule/actions.ts";
import { pessimisticConcurrencyConflict } from "../../test/sim/apim/arm_error.ts";
import { sleepUnless } from "../world/sleep.ts";
import { BASE_IMPORT_MS } from "../world/world.ts";
import {
  currentApiId,
  DONE,
  type ExecContext,
  skipped,
  type StepResult,
} from "./context.ts";

const WRITES = ["PUT", "PATCH", "DELETE"] as const;

function escape(id: string): string {
  return id.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The requests an ARM fault aims at. */
function targetMatch(target: ArmTarget): Pick<FaultSpec, "methods" | "path"> {
  switch (target) {
    case "import":
      return { methods: ["PUT"], path: /\/apis\/[^/]+$/ };
    case "apis":
      return { path: /\/apis\/[^/]+$/ };
    case "links":
      return {
        path: /\/products\/[^/]+\/apis\/[^/]+$|\/apis\/[^/]+\/tags\/[^/]+$/,
      };
    case "entities":
      return { path: /\/(products|tags)\/[^/]+$/ };
    case "writes":
      return { methods: WRITES };
  }
}

function lateFailure() {
  return {
    status: 422,
    code: "ManagementApiRequestFailed",
    message:
      "The operation did not complete in time inside API Management. Retry the request.",
  };
}

/** The replica a fault hits: the Lease holder for "leader" (replica 0 if none is known). */
async function targetReplica(
  ctx: ExecContext,
  target: "leader" | "any",
): Promise<number> {
  const fleet = ctx.world.fleet;
  if (target === "any") return ctx.step % fleet.size;
  const holder = await ctx.world.lease.holder().catch(() => undefined);
  return fleet.indexOf(holder) ?? 0;
}

/** Runs one operator fault; what it undoes later runs in the background. */
export async function runOperatorFault(
  ctx: ExecContext,
  fault: OperatorFault,
): Promise<StepResult> {
  const { world, ledger, healed } = ctx;
  switch (fault.kind) {
    case "stopOperator": {
      const index = await targetReplica(ctx, fault.target);
      if (!world.fleet.running(index)) {
        return skipped(`replica ${index} is down`);
      }
      ledger.mark("operator");
      await world.fleet.stop(index, fault.signal);
      ctx.background(
        sleepUnless(fault.downMs, healed).then(() =>
          world.fleet.restart(index)
        ),
      );
      return { outcome: "ok", note: `replica ${index}` };
    }
    case "stealLease":
      ledger.mark("operator");
      ctx.background(
        world.lease.steal(fault.holdMs, healed).then(() =>
          ledger.mark("operator")
        ),
      );
      return DONE;
    case "releaseLease":
      ledger.mark("operator");
      return await world.lease.release() ? DONE : skipped("no Lease yet");
    case "pauseLeader": {
      const index = await targetReplica(ctx, "leader");
      if (!world.fleet.running(index)) {
        return skipped(`replica ${index} is down`);
      }
      ledger.mark("operator");
      world.fleet.pause(index);
      ctx.background(
        sleepUnless(fault.pauseMs, healed).then(() => {
          ledger.mark("operator");
          world.fleet.resume(index);
        }),
      );
      return { outcome: "ok", note: `replica ${index}` };
    }
    case "breakWatches":
      ledger.mark("watch");
      if (fault.mode === "expire") {
        world.proxy.expireWatches();
      } else {
        ctx.background(
          world.proxy.restart(fault.downMs).then(() => ledger.mark("watch")),
        );
      }
      return DONE;
  }
}

/** Runs one ARM fault. */
export async function runArmFault(
  ctx: ExecContext,
  fault: ArmFault,
): Promise<StepResult> {
  const { world, healed, user } = ctx;
  const apim = world.apim;
  switch (fault.kind) {
    case "throttleStorm":
      apim.throttleStorm(fault.cls, fault.seconds);
      return DONE;
    case "serverErrors":
      apim.injectFault({
        ...targetMatch(fault.target),
        times: fault.times,
        status: fault.status,
        ...(fault.status === 500
          ? {
            body: {
              error: {
                code: "InternalServerError",
                message: "Request processing failed due to internal error.",
                details: null,
              },
            },
          }
          : {
            body: {
              error: {
                code: "ServiceUnavailable",
                message: "The service is temporarily unavailable.",
                details: null,
              },
            },
            headers: { "retry-after": "2" },
          }),
      });
      return DONE;
    case "unknownOutcome": {
      const match = targetMatch(fault.target);
      const spec: UnknownOutcomeSpec = {
        ...match,
        methods: match.methods ?? WRITES,
        times: fault.times,
        delayMs: fault.delayMs,
      };
      apim.injectUnknownOutcome(spec);
      return DONE;
    }
    case "conflictLock": {
      const id = escape(await currentApiId(ctx, fault.app));
      apim.injectFault({
        methods: WRITES,
        path: new RegExp(
          `/apis/${id}(;rev=\\d+)?(/.*)?$|/products/[^/]+/apis/${id}$`,
          "i",
        ),
        until: Date.now() + fault.ms,
        status: 409,
        body: pessimisticConcurrencyConflict().body(),
      });
      return DONE;
    }
    case "deleteLock":
      apim.knobs.lockedScopes = [world.service.resourceId];
      ctx.background(
        sleepUnless(fault.ms, healed).then(() => {
          apim.knobs.lockedScopes = [];
        }),
      );
      return DONE;
    case "slowImports": {
      user.slowImportsUntil = Math.max(
        user.slowImportsUntil,
        Date.now() + fault.ms,
      );
      apim.knobs.importDurationMs = Math.max(
        apim.knobs.importDurationMs ?? 0,
        fault.importMs,
      );
      ctx.background(
        sleepUnless(fault.ms, healed).then(() => {
          if (healed.aborted || Date.now() >= user.slowImportsUntil) {
            apim.knobs.importDurationMs = BASE_IMPORT_MS;
          }
        }),
      );
      return DONE;
    }
    case "lateImportFailure":
      apim.failNextImport(lateFailure());
      return DONE;
    case "lateDeleteFailure":
      apim.failNextDelete(lateFailure());
      return DONE;
  }
}

/** Ends every ARM fault now. */
export function healArm(ctx: ExecContext): void {
  const apim = ctx.world.apim;
  apim.resetThrottling();
  apim.clearFaults();
  apim.knobs.lockedScopes = [];
  apim.knobs.importDurationMs = BASE_IMPORT_MS;
}
