/**
 * Where a call goes: the pool's route (the list its schedule chooses now, or its start list); else
 * its first destination (with its whisper); else the account's fallback; else hang up. Pure, and
 * the only place that decides: provider adapters render the plan as it is, never a number from the
 * page or the callback.
 */
import type { CallAction } from "../schemas/calls";
import type { Pool } from "../schemas/pool";
import type { Route } from "../schemas/route";
import type { CallPlan, CallStep } from "../voice/plan";
import { type RoutedPlan, routeCall, type Turns } from "./route";

/**
 * Where a pool's calls go: its route when it has one, else its first destination; never a number
 * from the page or the callback.
 */
export interface CallRoute {
  poolId: string;
  poolName: string;
  destination: string;
  callerId: string | null;
  whisper: boolean;
  route: Route | null;
}

export function routeOf(pool: Pick<Pool, "id" | "name" | "destinations" | "callerId" | "whisper" | "route">): CallRoute {
  return {
    poolId: pool.id,
    poolName: pool.name,
    destination: pool.destinations[0]!,
    callerId: pool.callerId ?? null,
    whisper: pool.whisper ?? false,
    route: pool.route ?? null,
  };
}

const NO_TURNS: Turns = { next: () => 0, lastAgent: () => null };

/** The plan for a call at `at` (round robin turns and sticky agents from `turns`), and the route's choice when a route made it. */
export function decide(route: CallRoute | null, fallback: string | null, at = 0, turns: Turns = NO_TURNS): { plan: CallPlan; taken: RoutedPlan | null } {
  if (route?.route) {
    const taken = routeCall(route.route, route.poolId, at, turns);
    const disclosure = route.route.recording?.disclosure ?? null;
    return { plan: { action: actionOf(taken.steps[0]), steps: taken.steps.length ? taken.steps : [{ kind: "hangup" }], disclosure }, taken };
  }
  const dial = (to: string, callerId: string | null, whisper: boolean): CallStep => ({
    kind: "dial",
    to: [to],
    callerId,
    whisper,
    confirm: false,
    ringSeconds: null,
  });
  if (route?.destination) {
    const whisper = route.whisper && !!route.callerId;
    return { plan: { action: whisper ? "whisper" : "transfer", steps: [dial(route.destination, route.callerId, whisper)], disclosure: null }, taken: null };
  }
  if (fallback) return { plan: { action: "fallback", steps: [dial(fallback, null, false)], disclosure: null }, taken: null };
  return { plan: { action: "hangup", steps: [{ kind: "hangup" }], disclosure: null }, taken: null };
}

function actionOf(step: CallStep | undefined): CallAction {
  if (!step || step.kind === "hangup") return "hangup";
  if (step.kind === "dial") return step.whisper ? "whisper" : "transfer";
  return step.kind;
}

/** The number a plan forwards to first (stored as the call's `routed_to`). */
export const firstTarget = (plan: CallPlan) => {
  const dial = plan.steps.find((s) => s.kind === "dial");
  return dial?.kind === "dial" ? dial.to[0]! : null;
};
