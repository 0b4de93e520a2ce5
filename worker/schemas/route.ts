/**
 * A pool's call route (docs/routing.md): named step lists, an optional business-hours schedule
 * choosing one of them per call, and optional call recording with a spoken disclosure. The shape
 * is checked here; what depends on other fields (numbers, the schedule's time zone and list names,
 * what the pool's provider can render) is checked in domain/route.ts.
 */
import { z } from "@hono/zod-openapi";
import { isTimeZone, WEEKDAYS, zoneSpelling } from "../domain/schedule";
import { PhoneInputSchema } from "./common";

export const LIST_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const ListName = z.string().regex(LIST_NAME, "1-32 of a-z 0-9 - starting with a letter");
const RingSeconds = z.number().int().min(5).max(120).openapi({ description: "How long each number rings before the next step (or number) is tried." });
const Agents = (min: number, max: number) => z.array(PhoneInputSchema).min(min).max(max);
/**
 * Characters an XML 1.0 document cannot carry, even escaped: C0 controls other than tab, line feed
 * and carriage return, U+FFFE and U+FFFF, and lone surrogates (JSON's "\ud800" decodes to one).
 */
export const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
/**
 * Spoken text: what a provider's text-to-speech reads (no markup survives rendering). Rendered into
 * TwiML, cXML, TeXML or Plivo XML, where a control character makes the whole answer unparseable
 * and the caller hears the provider's application error instead of the route: refused here.
 */
const Speech = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !NOT_XML_CHAR.test(s), "no control characters or lone surrogates: only text a voice can read");

const perStep = {
  whisper: z.boolean().default(false).openapi({ description: "The agent first hears where the call came from (its source), as the pool's whisper." }),
  callerId: PhoneInputSchema.nullable()
    .default(null)
    .openapi({ description: "The number the agent sees the call come from (a number of the account at the provider); null: the caller's own." }),
};

export const RouteStepSchema = z
  .discriminatedUnion("type", [
    z.object({ type: z.literal("forward"), to: PhoneInputSchema, ringSeconds: RingSeconds.default(25), ...perStep }).strict(),
    z
      .object({ type: z.literal("failover"), to: Agents(2, 10), ringSeconds: RingSeconds.default(20), ...perStep })
      .strict()
      .openapi({ description: "Ordered failover: each number in turn, for ringSeconds, until one answers." }),
    z
      .object({
        type: z.literal("ring"),
        to: Agents(2, 10),
        ringSeconds: RingSeconds.default(25),
        confirm: z
          .boolean()
          .default(false)
          .openapi({ description: "The agent presses 1 to accept (competitive distribution); one who does not is not connected." }),
        ...perStep,
      })
      .strict()
      .openapi({ description: "Simultaneous ring: every number at once, the first to answer (or to press 1) gets the call." }),
    z
      .object({
        type: z.literal("roundRobin"),
        to: Agents(2, 20),
        ringSeconds: RingSeconds.default(20),
        sticky: z.boolean().default(false).openapi({ description: "A repeat caller first rings the agent who answered them last time." }),
        ...perStep,
      })
      .strict()
      .openapi({ description: "Round robin: each call starts at the next agent in turn, then tries the others in order." }),
    z
      .object({ type: z.literal("message"), text: Speech(500) })
      .strict()
      .openapi({ description: "Say this, then hang up (last step of a list)." }),
    z
      .object({ type: z.literal("voicemail"), greeting: Speech(500), maxSeconds: z.number().int().min(10).max(600).default(120) })
      .strict()
      .openapi({ description: "Say the greeting, record a message; the recording's URL is stored on the call (last step of a list)." }),
  ])
  .openapi("RouteStep");

const Hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, "HH:MM, 00:00 to 24:00");
const Range = z.object({ from: Hhmm, to: Hhmm, steps: ListName }).strict();

export const ScheduleSchema = z
  .object({
    timeZone: z
      .string()
      .min(1)
      .max(64)
      // Stored as the database spells it (`america/new_york` → `America/New_York`); an unknown one is refused by routeProblems.
      .transform((name) => (isTimeZone(name) ? zoneSpelling(name) : name))
      .openapi({ description: "IANA time zone, e.g. America/New_York: daylight saving follows it.", example: "America/New_York" }),
    weekly: z.partialRecord(z.enum(WEEKDAYS), z.array(Range).max(8)).default({}),
    exceptions: z
      .array(z.object({ date: z.string().max(10), hours: z.array(Range).max(8), name: z.string().trim().min(1).max(80).optional() }).strict())
      .max(100)
      .default([])
      .openapi({ description: "Dated exceptions (holidays, special hours): the day's ranges instead of its weekly ones; none: closed." }),
    otherwise: ListName.openapi({ description: "The step list outside every range." }),
  })
  .strict()
  .openapi("Schedule");

export const RouteSchema = z
  .object({
    lists: z
      .record(ListName, z.array(RouteStepSchema).min(1).max(8))
      .refine((v) => Object.keys(v).length >= 1 && Object.keys(v).length <= 10, "1 to 10 step lists")
      .openapi({
        description:
          "Named step lists, each run by start or the schedule (a list neither names is refused). A list runs its steps in order; a step nobody answers goes on to the next.",
      }),
    start: ListName.nullable().default(null).openapi({ description: "The list every call runs when there is no schedule." }),
    schedule: ScheduleSchema.nullable().default(null),
    recording: z
      .object({ disclosure: Speech(300).openapi({ description: 'Said to the caller before anything else, e.g. "This call may be recorded."' }) })
      .strict()
      .nullable()
      .default(null)
      .openapi({ description: "Record answered calls (off: null). The disclosure is required." }),
  })
  .strict()
  .openapi("Route");

export type RouteStep = z.infer<typeof RouteStepSchema>;
export type Route = z.infer<typeof RouteSchema>;
export type RouteInput = z.input<typeof RouteSchema>;
