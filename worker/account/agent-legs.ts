/**
 * What an agent hears before a call is put through: the source of the call ("Google Ads call"),
 * and for a simultaneous ring or a confirm step, press 1 to accept. Read from the stored call and
 * its plan, never from the callback.
 */
import { hangupAnswer, ringAgentLeg, whisperAgentLeg, whisperText } from "../voice/actions";
import type { VoiceReply } from "./call-answer";
import type { CallRouting, RouteRef } from "./call-route";
import { takenOf } from "./call-row";
import type { CallStore } from "./call-store";

export class AgentLegs {
  constructor(
    private readonly calls: CallStore,
    private readonly routing: CallRouting,
  ) {}

  /**
   * Reference agent leg: SAY the source of the call whose conference this is, then join it; for a
   * simultaneous ring, (press 1, then) join it if no other agent did first.
   */
  agent(conference: string | null): VoiceReply {
    const row = conference ? this.calls.get(conference) : null;
    const first = row ? takenOf(row)?.plan.steps[0] : undefined;
    if (row && first?.kind === "dial" && first.to.length > 1) {
      const text = first.whisper || first.confirm ? whisperText(row.attributed ? row.source_name : null) : null;
      return { answer: JSON.stringify(ringAgentLeg(row.id, text, first.confirm)), provider: "reference", duplicate: false };
    }
    if (row?.action !== "whisper") {
      console.warn("voice: agent leg for no whispered call; hanging up", { conference });
      return { answer: JSON.stringify(hangupAnswer()), provider: "reference", duplicate: false };
    }
    return {
      answer: JSON.stringify(whisperAgentLeg(row.id, whisperText(row.attributed ? row.source_name : null))),
      provider: "reference",
      duplicate: false,
    };
  }

  /**
   * What the agent of a whispered call hears: its source ("Google Ads call"), and whether they must
   * press 1 to accept; null for no whispered call of ours. The attempt (`step`) says which one, from
   * the call's stored plan; a URL without one is a pool whisper from before routes.
   */
  whisperText(ref: RouteRef | null): { text: string; confirm: boolean } | null {
    if (ref?.step !== null && ref?.step !== undefined) {
      const agent = this.routing.agentStep(ref);
      if (!agent) return null;
      return { text: whisperText(agent.row.attributed ? agent.row.source_name : null), confirm: agent.step.confirm };
    }
    const row = ref ? this.calls.get(ref.callId) : null;
    if (row?.action !== "whisper") return null;
    return { text: whisperText(row.attributed ? row.source_name : null), confirm: false };
  }
}
