/**
 * What an agent hears before a call is put through: the source of the call ("Google Ads call"),
 * and for a simultaneous ring or a confirm step, press 1 to accept. Read from the stored call and
 * its plan (or what a call erased on the line kept of its route: no source then), never from the
 * callback.
 */
import { hangupAnswer, ringAgentLeg, whisperAgentLeg, whisperText } from "../voice/actions";
import type { VoiceReply } from "./call-answer";
import type { CallRouting, ResolvedRef } from "./call-route";

export class AgentLegs {
  constructor(private readonly routing: CallRouting) {}

  /**
   * Reference agent leg: SAY the source of the call whose conference this is, then join it; for a
   * simultaneous ring, (press 1, then) join it if no other agent did first.
   */
  async agent(conference: string | null): Promise<VoiceReply> {
    const call = this.routing.call(conference ? await this.routing.resolve({ callId: conference, step: null }) : null);
    const first = call?.plan?.steps[0];
    if (call && first?.kind === "dial" && first.to.length > 1) {
      const text = first.whisper || first.confirm ? whisperText(call.source) : null;
      return { answer: JSON.stringify(ringAgentLeg(call.id, text, first.confirm)), provider: "reference", duplicate: false };
    }
    if (call?.action !== "whisper") {
      console.warn("voice: agent leg for no whispered call; hanging up", { conference });
      return { answer: JSON.stringify(hangupAnswer()), provider: "reference", duplicate: false };
    }
    return { answer: JSON.stringify(whisperAgentLeg(call.id, whisperText(call.source))), provider: "reference", duplicate: false };
  }

  /**
   * What the agent of a whispered call hears: its source ("Google Ads call"), and whether they must
   * press 1 to accept; null for no whispered call of ours. The attempt (`step`) says which one, from
   * the call's stored plan; a URL without one is a pool whisper from before routes.
   */
  whisperText(ref: ResolvedRef | null): { text: string; confirm: boolean } | null {
    if (ref?.step !== null && ref?.step !== undefined) {
      const agent = this.routing.agentStep(ref);
      if (!agent) return null;
      return { text: whisperText(agent.call.source), confirm: agent.step.confirm };
    }
    const call = this.routing.call(ref);
    if (call?.action !== "whisper") return null;
    return { text: whisperText(call.source), confirm: false };
  }
}
