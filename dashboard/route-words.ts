/**
 * A pool's call route in words, for the pool card: "Weekdays 09:00–17:00 (America/New_York): ring
 * +1 212… for 20 s, then +1 212…; otherwise: take a voicemail." Pure: the same route always reads
 * the same, so the tests pin the sentences.
 */
import type { Pool } from "./api";

type Route = NonNullable<Pool["route"]>;
type Step = Route["lists"][string][number];
type Range = { from: string; to: string; steps: string };

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"] as const;
const DAY_NAMES: Record<(typeof DAYS)[number], string> = { mon: "Mon", tue: "Tue", wed: "Wed", thu: "Thu", fri: "Fri", sat: "Sat", sun: "Sun" };

const list = (items: string[]) => (items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`);
const orList = (items: string[]) => (items.length <= 1 ? (items[0] ?? "") : `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`);

function extras(s: { whisper: boolean; callerId: string | null }): string {
  const parts = [s.whisper ? "with a whisper" : "", s.callerId ? `showing ${s.callerId}` : ""].filter(Boolean);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

/** One step, as a clause: "ring +1… for 25 s". */
export function stepWords(s: Step): string {
  switch (s.type) {
    case "forward":
      return `forward to ${s.to} for ${s.ringSeconds} s${extras(s)}`;
    case "failover":
      return `try ${s.to.join(", then ")}, ${s.ringSeconds} s each${extras(s)}`;
    case "ring":
      return `ring ${list(s.to)} at once for ${s.ringSeconds} s${s.confirm ? ", the first to press 1 gets the call" : ""}${extras(s)}`;
    case "roundRobin":
      return `round robin over ${list(s.to)}, ${s.ringSeconds} s each${s.sticky ? ", repeat callers to their last agent" : ""}${extras(s)}`;
    case "message":
      return `say “${s.text}” and hang up`;
    case "voicemail":
      return `take a voicemail (up to ${s.maxSeconds} s)`;
  }
}

/** A step list as a sentence: its steps in order, each tried when the one before is not answered. */
export function listWords(steps: readonly Step[]): string {
  return `${steps.map(stepWords).join("; if nobody answers, ")}.`;
}

/** Days with the same ranges, grouped: "Mon–Fri 09:00–17:00". */
function weeklyWords(weekly: Partial<Record<(typeof DAYS)[number], Range[]>>): { when: string; steps: string }[] {
  const out: { when: string; steps: string }[] = [];
  const key = (d: (typeof DAYS)[number]) => JSON.stringify(weekly[d] ?? []);
  let i = 0;
  while (i < DAYS.length) {
    let j = i;
    while (j + 1 < DAYS.length && key(DAYS[j + 1]!) === key(DAYS[i]!)) j++;
    const days = i === j ? DAY_NAMES[DAYS[i]!] : `${DAY_NAMES[DAYS[i]!]}–${DAY_NAMES[DAYS[j]!]}`;
    for (const r of weekly[DAYS[i]!] ?? []) out.push({ when: `${days} ${r.from}–${r.to}`, steps: r.steps });
    i = j + 1;
  }
  return out;
}

/** The route, one line per rule; null route: the pool's plain forward. */
export function routeWords(p: Pick<Pool, "route" | "destinations" | "whisper">): string[] {
  const r = p.route;
  if (!r) return [`Every call: forward to ${p.destinations[0] ?? "—"}${p.whisper ? " (with a whisper)" : ""}.`];
  const lists = r.lists;
  const say = (name: string) => listWords(lists[name] ?? []);
  const lines: string[] = [];
  if (r.recording) lines.push(`Calls are recorded; callers first hear “${r.recording.disclosure}”.`);
  if (!r.schedule) {
    lines.push(`Every call: ${say(r.start ?? "")}`);
    return lines;
  }
  const s = r.schedule;
  for (const w of weeklyWords(s.weekly)) lines.push(`${w.when}: ${say(w.steps)}`);
  for (const e of s.exceptions) {
    const label = e.name ? `${e.name} (${e.date})` : e.date;
    lines.push(e.hours.length ? `${label}: ${orList(e.hours.map((h) => `${h.from}–${h.to} ${say(h.steps)}`))}` : `${label}: closed all day.`);
  }
  lines.push(`Otherwise: ${say(s.otherwise)}`);
  lines.push(`Times are ${s.timeZone} local time.`);
  return lines;
}
