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

/** Whisper, second leg: the agent hears the source, then joins the caller's conference. */
export function whisperAgentLeg(conferenceName: string, text: string): VoiceAnswer {
  return {
    actions: [{ type: "SAY", params: { text } }, { type: "CONFERENCE", params: conference(conferenceName) }, { type: "HANGUP" }],
  };
}

/**
 * What the agent hears: "Google Ads call" for source "google-ads". The source name came from a
 * browser, so only letters, digits and spaces survive: nothing the provider could read as a
 * `$variable` or `${expression}`.
 */
export function whisperText(sourceName: string | null): string {
  const words = (sourceName ?? "")
    .replace(/[-_.]+/g, " ")
    .replace(/[^\p{L}\p{N} ]/gu, "")
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 6)
    .map((w) => w[0]!.toUpperCase() + w.slice(1));
  return words.length ? `${words.join(" ")} call` : "Untracked call";
}
