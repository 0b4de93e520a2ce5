/**
 * The call flow actions we answer the provider's callbacks with (its JSON format: an `actions`
 * array of TRANSFER, SAY, CONFERENCE, DIAL, HANGUP…, and `$variable` assignments). Every number
 * in here comes from the pool or the account config, never from the page, session or callback.
 */
export type Action = Record<string, unknown>;
export interface VoiceAnswer {
  actions: Action[];
}

/** Forward the call; `callerId` is the number the forwarded leg shows (omitted: the caller's own). */
export function transferAnswer(no: string, callerId: string | null): VoiceAnswer {
  const params: Record<string, string> = { no };
  if (callerId) params.caller_id_no = callerId;
  return { actions: [{ type: "TRANSFER", params }, { type: "HANGUP" }] };
}

export function hangupAnswer(): VoiceAnswer {
  return { actions: [{ type: "HANGUP" }] };
}

const conference = (name: string) => ({ name, max_participants: 2, end_on_exit: "true" });

/**
 * Whisper, first leg: the caller waits in a conference named after the call while the agent is
 * DIALled from `callerId`, the number whose call flow callback is our agent URL; the conference
 * name travels to that callback in the session data.
 */
export function whisperCallerLeg(conferenceName: string, destination: string, callerId: string): VoiceAnswer {
  return {
    actions: [
      { "$sessionData.conference_name": conferenceName },
      {
        type: "CONFERENCE",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the voice API's own ${…} expression, evaluated by the provider.
        params: conference("${sessionData.conference_name}"),
        events: { on_enter: [{ type: "DIAL", session_data: "$sessionData", params: { no: destination, caller_id_no: callerId } }] },
      },
      { type: "HANGUP" },
    ],
  };
}

/**
 * Simultaneous ring ("Shark Tank", the reference's competitive call distribution), first leg: the
 * caller waits in a two-seat conference named after the call while every agent is DIALled at once
 * from `callerId`, whose call flow callback is our agent URL (`ringAgentLeg`).
 */
export function ringCallerLeg(conferenceName: string, agents: readonly string[], callerId: string): VoiceAnswer {
  return {
    actions: [
      { "$sessionData.conference_name": conferenceName },
      {
        type: "CONFERENCE",
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the voice API's own ${…} expression, evaluated by the provider.
        params: conference("${sessionData.conference_name}"),
        events: { on_enter: agents.map((no) => ({ type: "DIAL", session_data: "$sessionData", params: { no, caller_id_no: callerId } })) },
      },
      { type: "HANGUP" },
    ],
  };
}

/** What an agent who was too late hears before being hung up. */
export const TOO_LATE = "Another agent took this call.";

/**
 * Simultaneous ring, an agent's leg: with `confirm`, the prompt is repeated (three tries) until
 * they press 1; then they join the caller's conference. Its two seats make the first agent in the
 * winner: anyone later meets `on_enter_error_max_participants`, hears so and is hung up.
 */
export function ringAgentLeg(conferenceName: string, text: string | null, confirm: boolean): VoiceAnswer {
  const join: Action = {
    type: "CONFERENCE",
    params: conference(conferenceName),
    events: { on_enter_error_max_participants: [{ type: "SAY", params: { text: TOO_LATE } }, { type: "HANGUP" }] },
  };
  if (!confirm) return { actions: [...(text ? [{ type: "SAY", params: { text } }] : []), join, { type: "HANGUP" }] };
  return {
    actions: [
      { type: "LABEL", name: "confirm" },
      {
        type: "COLLECT",
        actions: [{ type: "SAY", params: { text: `${text ?? "A customer is waiting"}. Press 1 to accept the call.` } }],
        params: { finish_on_key: "pound", num_digits: 1, timeout: 5000 },
      },
      // biome-ignore lint/suspicious/noThenProperty: the reference API's IF action (an array, never awaited).
      { type: "IF", condition: "$collectAttempt == 3", then: [{ type: "HANGUP" }] },
      {
        type: "IF",
        condition: "$keyPresses == '1'",
        // biome-ignore lint/suspicious/noThenProperty: the reference API's IF action.
        then: [{ type: "GOTO", params: { label: "join" } }],
        orElse: [{ type: "GOTO", params: { label: "confirm" } }],
      },
      { type: "LABEL", name: "join" },
      join,
      { type: "HANGUP" },
    ],
  };
}

/** Whisper, second leg: the agent hears the source, then joins the caller's conference. */
export function whisperAgentLeg(conferenceName: string, text: string): VoiceAnswer {
  return {
    actions: [{ type: "SAY", params: { text } }, { type: "CONFERENCE", params: conference(conferenceName) }, { type: "HANGUP" }],
  };
}

/** More digits than this in a whisper could be a phone number read out: digits are dropped then. */
const WHISPER_DIGITS = 4;

/**
 * What the agent hears: "Google Ads call" for source "google-ads". The source name came from a
 * browser, so only letters, digits and spaces survive: nothing the provider could read as a
 * `$variable` or `${expression}`; and no phone number a page might slip in (words with digits are
 * dropped when there are more than four digits in all: "spring 2031" stays, "+1 900 555 0199" goes).
 */
export function whisperText(sourceName: string | null): string {
  let words = (sourceName ?? "")
    .replace(/[-_.]+/g, " ")
    .replace(/[^\p{L}\p{N} ]/gu, "")
    .trim()
    .split(/\s+/)
    .filter(Boolean);
  if ((words.join("").match(/\p{N}/gu) ?? []).length > WHISPER_DIGITS) words = words.filter((w) => !/\p{N}/u.test(w));
  words = words.slice(0, 6).map((w) => w[0]!.toUpperCase() + w.slice(1));
  return words.length ? `${words.join(" ")} call` : "Untracked call";
}
