/**
 * A pool's call route, beyond its shape (schemas/route.ts): numbers normalised, list names that
 * exist, message and voicemail only last, the schedule's time zone and ranges; what each provider
 * can render natively (anything else is refused for pools on it); and the plan for one call.
 *
 * The plan is decided from the stored route and the clock only. Round robin's turn and a sticky
 * caller's agent come from the account's own storage (passed in as `turns`), never the callback.
 */
import { normalizePhone } from "../../shared/phone";
import { fail, ok, type Result } from "../platform/result";
import type { Route, RouteStep } from "../schemas/route";
import type { CallStep } from "../voice/plan";
import type { Provider } from "../voice/providers/types";
import { type Schedule, type ScheduleMatch, scheduleProblems, stepsAt } from "./schedule";

export type RouteProblem = {
  path: string;
  message: string;
};

const DIALING = new Set<RouteStep["type"]>(["forward", "failover", "ring", "roundRobin"]);
const TERMINAL = new Set<RouteStep["type"]>(["message", "voicemail"]);

type Dialing = Extract<RouteStep, { type: "forward" | "failover" | "ring" | "roundRobin" }>;
const isDialing = (s: RouteStep): s is Dialing => DIALING.has(s.type);
const agentsOf = (s: Dialing): string[] => (s.type === "forward" ? [s.to] : s.to);

/**
 * The route with every number in E.164, or what is wrong with it (400 invalid_route, with each
 * problem's path). `given`: the route comes with this request (not a stored one re-checked by an
 * edit of another field, which a rule added since must not make unchangeable): then a step list no
 * rule runs (not `start`, nor a range's or `otherwise` of the schedule) is refused too, as a list
 * that can never take a call is a mistake (a name misspelt where it is used).
 */
export function normalizeRoute(route: Route, country: string | undefined, given = true): Result<Route> {
  const problems: RouteProblem[] = [];
  const phone = (v: string, path: string): string => {
    const r = normalizePhone(v, country);
    if (r.ok) return r.e164;
    problems.push({ path, message: `"${v}" ${r.reason}` });
    return v;
  };
  const lists: Route["lists"] = {};
  for (const [name, steps] of Object.entries(route.lists)) {
    lists[name] = steps.map((s, i): RouteStep => {
      const at = `route.lists.${name}[${i}]`;
      if (TERMINAL.has(s.type) && i !== steps.length - 1)
        problems.push({ path: at, message: `a ${s.type} step ends the call: it must be the list's last step` });
      if (!isDialing(s)) return s;
      const callerId = s.callerId === null ? null : phone(s.callerId, `${at}.callerId`);
      if (s.type === "forward") return { ...s, to: phone(s.to, `${at}.to`), callerId };
      const to = s.to.map((n, k) => phone(n, `${at}.to[${k}]`));
      const dupes = to.filter((n, k) => to.indexOf(n) !== k);
      if (dupes.length) problems.push({ path: `${at}.to`, message: `${[...new Set(dupes)].join(", ")} given twice` });
      return { ...s, to, callerId };
    });
  }
  const names = new Set(Object.keys(lists));
  if (route.schedule) {
    for (const p of scheduleProblems(route.schedule as Schedule, names, given)) problems.push({ path: `route.schedule.${p.path}`, message: p.message });
    // The schedule gives every call its list (`otherwise` outside its ranges): a start beside it would never run.
    if (route.start !== null)
      problems.push({
        path: "route.start",
        message: "not with a schedule, which gives every call its list (its otherwise outside its ranges): leave start out",
      });
  } else if (route.start === null) problems.push({ path: "route.start", message: "required without a schedule: the list every call runs" });
  else if (!names.has(route.start)) problems.push({ path: "route.start", message: `no step list named "${route.start}"` });
  const used = usedLists(route);
  if (given && used.size)
    for (const name of names)
      if (!used.has(name))
        problems.push({
          path: `route.lists.${name}`,
          message: route.schedule
            ? `no rule uses the step list "${name}": name it in a range of the schedule or as its otherwise, or leave it out`
            : `no rule uses the step list "${name}": only start ("${route.start}") runs without a schedule; leave it out`,
        });
  if (problems.length) return fail(400, "invalid_route", "The route cannot be used as given", { problems });
  return ok({ ...route, lists });
}

/** The step lists a route's rules name: the schedule's ranges (weekly, dated) and otherwise, else start. */
function usedLists(route: Route): Set<string> {
  const out = new Set<string>();
  if (!route.schedule) {
    if (route.start !== null) out.add(route.start);
    return out;
  }
  const { weekly, exceptions, otherwise } = route.schedule;
  for (const ranges of Object.values(weekly)) for (const r of ranges ?? []) out.add(r.steps);
  for (const e of exceptions) for (const r of e.hours) out.add(r.steps);
  out.add(otherwise);
  return out;
}

/** Every number a route may connect a call to or show as caller id (never a tracking number). */
export function routeNumbers(route: Route): string[] {
  const out = new Set<string>();
  for (const steps of Object.values(route.lists))
    for (const s of steps) {
      if (!isDialing(s)) continue;
      for (const n of agentsOf(s)) out.add(n);
      if (s.callerId) out.add(s.callerId);
    }
  return [...out];
}

/**
 * What `provider` cannot render natively in this route (docs/routing.md has the table). The
 * reference API's TRANSFER and DIAL report no result, so nothing can follow a dialing step there
 * (its simultaneous ring is the conference of its competitive call distribution, dialled from
 * callerId); Vonage's connect action rings one endpoint and has no accept-by-keypress for the callee.
 */
export function providerProblems(route: Route, provider: Provider): RouteProblem[] {
  const out: RouteProblem[] = [];
  const no = (path: string, what: string, why: string) => out.push({ path, message: `${provider} cannot ${what}: ${why}` });
  if (provider === "reference" && route.recording) no("route.recording", "record calls", "the reference call flow actions have no recording action");
  for (const [name, steps] of Object.entries(route.lists)) {
    steps.forEach((s, i) => {
      const at = `route.lists.${name}[${i}]`;
      if (provider === "reference") {
        if (s.type === "failover" || s.type === "roundRobin")
          no(at, `run a ${s.type} step`, "TRANSFER reports no dial result to continue from (use forward, or ring for several agents)");
        else if (s.type === "voicemail") no(at, "take voicemail", "the reference call flow actions have no recording action");
        else if ((s.type === "forward" || s.type === "ring") && i !== steps.length - 1)
          no(at, `continue after a ${s.type}`, "its DIAL and TRANSFER report no dial result to continue from");
        else if (s.type === "ring" && !s.callerId)
          no(`${at}.callerId`, "ring several agents without callerId", "each agent is DIALled from callerId, whose call flow callback is our agent URL");
        else if (s.type === "forward" && s.whisper && !s.callerId)
          no(`${at}.callerId`, "whisper without callerId", "the whisper's agent leg is dialled from callerId, whose call flow callback is our agent URL");
      }
      if (provider === "vonage" && s.type === "ring") {
        if (s.confirm) no(`${at}.confirm`, "ask the agent to press 1", "the connect action has no accept-by-keypress for the callee");
        else no(at, "ring several numbers at once", "the connect action connects one endpoint");
      }
    });
  }
  return out;
}

/** The refusal for a route `provider` cannot render (422: the route is well formed, the provider is the problem). */
export function providerRefusal(route: Route | null, providers: readonly Provider[]): Result<true> {
  if (!route) return ok(true);
  const problems = [...new Set(providers)].flatMap((p) => providerProblems(route, p));
  if (!problems.length) return ok(true);
  return fail(422, "route_not_supported", "The pool's voice provider cannot run this route natively; see docs/routing.md", { problems });
}

/** What the plan needs from the account's storage: round robin turns and a repeat caller's last agent. */
export interface Turns {
  /** Where a rotation's next turn starts in `agents` (its agents now, in order): turnAfter, counted once per call that reaches it. */
  next(key: string, agents: readonly string[]): number;
  /** Who answered this caller's last answered call in this pool, if one of `agents`. */
  lastAgent(agents: readonly string[]): string | null;
}

export interface RoutedPlan {
  list: string;
  match: Pick<ScheduleMatch, "by" | "exception"> | null;
  steps: CallStep[];
}

/** The step list a call at `at` runs, and its steps as plan attempts. */
export function routeCall(route: Route, poolId: string, at: number, turns: Turns): RoutedPlan {
  const match = route.schedule ? stepsAt(route.schedule as Schedule, at) : null;
  const list = match ? match.steps : route.start!;
  const steps: CallStep[] = [];
  (route.lists[list] ?? []).forEach((s, i) => {
    if (s.type === "message") steps.push({ kind: "message", text: s.text });
    else if (s.type === "voicemail") steps.push({ kind: "voicemail", greeting: s.greeting, maxSeconds: s.maxSeconds });
    else {
      const dial = (to: string[], confirm = false): Extract<CallStep, { kind: "dial" }> => ({
        kind: "dial",
        to,
        callerId: s.callerId,
        whisper: s.whisper,
        confirm,
        ringSeconds: s.ringSeconds,
      });
      if (s.type === "forward") steps.push(dial([s.to]));
      else if (s.type === "ring") steps.push(dial(s.to, s.confirm));
      else if (s.type === "failover") for (const n of s.to) steps.push(dial([n]));
      else {
        // Its order is decided when the call reaches it (reachStep): a call taken by an earlier
        // step takes no turn, or the rotation would follow which calls that step took.
        const rotate = { key: `${poolId}/${list}/${i}`, count: s.to.length, sticky: s.sticky };
        for (const [k, n] of s.to.entries()) steps.push(k === 0 ? { ...dial([n]), rotate } : dial([n]));
      }
    }
  });
  return { list, match: match ? { by: match.by, exception: match.exception } : null, steps: reachStep(steps, 0, turns) ?? steps };
}

/**
 * The plan's attempts once the call reaches attempt `k`: when a round robin starts there, its
 * attempts in this call's order — from the next turn (counted now, once for this call), or the
 * sticky agent first — and its marker gone. Null: nothing to decide at `k`.
 */
export function reachStep(steps: readonly CallStep[], k: number, turns: Turns): CallStep[] | null {
  const first = steps[k];
  if (first?.kind !== "dial" || !first.rotate) return null;
  const { rotate, ...step } = first;
  const agents = steps.slice(k, k + rotate.count).map((s) => (s.kind === "dial" ? s.to[0]! : ""));
  const sticky = rotate.sticky ? turns.lastAgent(agents) : null;
  const start = sticky ? agents.indexOf(sticky) : turns.next(rotate.key, agents);
  const order = sticky ? [sticky, ...agents.filter((n) => n !== sticky)] : [...agents.slice(start), ...agents.slice(0, start)];
  const out = [...steps];
  order.forEach((n, j) => {
    out[k + j] = { ...step, to: [n] };
  });
  return out;
}

/** What a rotation's storage keeps of its last turn. */
export interface LastTurn {
  /** Turns counted so far, less one (the first turn is 0). */
  n: number;
  /** Whose turn it was, and the rotation's agents then, in order; null: kept before they were (the turn is n). */
  agent: string | null;
  agents: readonly string[] | null;
}

/**
 * Where a rotation's next turn starts in `agents` (null `last`: its first turn). Agents unchanged,
 * the one after the last turn's. Changed since (one removed, added, moved), the one who would have
 * been next in the order of the last turn, or the first after them who is still in `agents`; none
 * of them is: the one after the last turn's agent in the new order (the first, if they went too).
 * So a change never gives an agent two turns in a row, which counting turns over the new list did
 * (A B C D A B, then A removed: turn 6 of [B, C, D] was B again).
 */
export function turnAfter(last: LastTurn | null, agents: readonly string[]): number {
  if (!last) return 0;
  const { agent, agents: old } = last;
  const at = agent !== null && old ? old.indexOf(agent) : -1;
  if (agent === null || !old || at < 0) return (last.n + 1) % agents.length;
  for (let j = 1; j < old.length; j++) {
    const k = agents.indexOf(old[(at + j) % old.length]!);
    if (k >= 0) return k;
  }
  const still = agents.indexOf(agent);
  return still < 0 ? 0 : (still + 1) % agents.length;
}
