/** One call in full: who called which number, the visit it was matched to, the route, the outcome, and what was sent where. */
import type { Call } from "../api";
import { el } from "../dom";
import { duration, when } from "../format";
import { deliveryWhat } from "./deliveries";

const REASONS: Record<Call["reason"], string> = {
  live: "the number was leased to a visit when the call started",
  grace: "the lease had just ended (inside the grace window)",
  overflow: "the shared overflow number: no visit can be told apart",
  no_lease: "no visit held the number then",
  unknown_number: "the number is not one of this account's pools",
};

/** The call's facts as label / value pairs, in the order they read; empty values are left out. */
export function detailPairs(c: Call): [string, string][] {
  const s = c.source;
  const clickIds = s
    ? Object.entries(s.clickIds)
        .filter(([, v]) => v)
        .map(([k]) => k)
    : [];
  const pairs: [string, string | null | undefined][] = [
    ["Call id", c.id],
    ["Started", when(c.startedAt)],
    ["Caller", c.callerWithheld ? `withheld${c.caller ? ` (sent as ${c.caller})` : ""}` : c.caller],
    ["Tracking number", c.trackingNumber],
    ["Pool", c.pool],
    ["Attributed", `${c.attributed ? "yes" : "no"}: ${REASONS[c.reason]}`],
    ["Source", s?.name],
    ["Campaign", s?.utm.campaign],
    ["utm source / medium", s && (s.utm.source || s.utm.medium) ? `${s.utm.source ?? "—"} / ${s.utm.medium ?? "—"}` : null],
    ["Landing page", s?.landing],
    ["Referrer", s?.referrer],
    ["Click ids", clickIds.join(", ")],
    ["Route", `${c.route.action}${c.route.to ? ` to ${c.route.to}` : ""}`],
    ["Answered by", c.route.answeredBy],
    ["Outcome", c.outcome ?? "in progress"],
    ["Talk time", c.talkSeconds === null ? null : duration(c.talkSeconds)],
    ["Ended", c.endedAt ? when(c.endedAt) : null],
    ["Provider", c.provider],
  ];
  return pairs.filter((p): p is [string, string] => typeof p[1] === "string" && p[1] !== "");
}

/** Each delivery about the call in a line, named as the deliveries table names it: "Call webhook · call: delivered after 1 attempt". */
export function deliveryLines(c: Call): string[] {
  return c.deliveries.map((d) => {
    const tries = `${d.attempts} attempt${d.attempts === 1 ? "" : "s"}`;
    const last = d.lastError ? ` — ${d.lastError}` : d.lastStatus ? ` — HTTP ${d.lastStatus}` : "";
    return `${deliveryWhat(d)}: ${d.status} after ${tries}${d.status === "delivered" ? "" : last}`;
  });
}

/**
 * Whether the call has a recording (a voicemail, or the call itself with recording on): a provider's
 * https URL. The page never opens that URL itself: the API fetches the file with the account's
 * credentials (GET /v1/calls/{id}/recording), which Twilio's and Vonage's need and Telnyx's outlive.
 */
export function isRecorded(c: Pick<Call, "recordingUrl">): boolean {
  if (!c.recordingUrl) return false;
  try {
    return new URL(c.recordingUrl).protocol === "https:";
  } catch {
    return false;
  }
}

/** The blob URL of the recording shown: let go when another is (one call's detail is open at a time). */
let shownRecording: string | null = null;

/** Lets the recording shown go (the detail closed, another call opened, its caller's calls erased): its audio is not kept in the page. */
export function forgetRecording(): void {
  if (shownRecording) URL.revokeObjectURL(shownRecording);
  shownRecording = null;
}

/** Where to fetch a call's recording from (the API, with the key). */
export type RecordingOf = (id: string) => Promise<Blob>;

/**
 * The recording's cell: a Listen button that fetches the file through the API, then a player and
 * a download link for it; or what went wrong, in the API's words. A fetch that ends after the
 * detail moved on to another call shows nothing (and takes no URL).
 */
function recordingCell(c: Call, recordingOf: RecordingOf): HTMLElement {
  const cell = el("dd", { className: "recording" });
  const listen = el("button", { type: "button", textContent: "Listen" });
  const status = el("span", { className: "small" });
  status.setAttribute("role", "status");
  listen.addEventListener("click", async () => {
    listen.disabled = true;
    status.textContent = "Fetching the recording from the provider…";
    let blob: Blob;
    try {
      blob = await recordingOf(c.id);
    } catch (e) {
      listen.disabled = false;
      status.textContent = `The recording could not be fetched: ${e instanceof Error ? e.message : String(e)}`;
      return;
    }
    if (!cell.isConnected) return;
    if (shownRecording) URL.revokeObjectURL(shownRecording);
    shownRecording = URL.createObjectURL(blob);
    const audio = el("audio");
    audio.controls = true;
    audio.src = shownRecording;
    audio.setAttribute("aria-label", `Recording of the call ${when(c.startedAt)}`);
    const save = el("a", { href: shownRecording, textContent: "Download" });
    save.download = `recording-${c.id}${blob.type.includes("wav") ? ".wav" : blob.type.includes("mpeg") ? ".mp3" : ""}`;
    status.textContent = "Ready to play.";
    cell.replaceChildren(audio, " ", save, " ", status);
    audio.focus();
  });
  cell.append(listen, " ", status);
  return cell;
}

/**
 * The call's detail; with a caller's number, a button that erases every call from it (an erasure
 * request: `eraseCaller` asks to confirm first). A withheld caller id names nobody: no button.
 * `recordingOf`: where a recorded call's file is fetched from (none: it is only said to exist).
 */
export function renderCallDetail(node: HTMLElement, title: HTMLElement, c: Call, eraseCaller?: (caller: string) => void, recordingOf?: RecordingOf): void {
  forgetRecording();
  title.textContent = `Call ${when(c.startedAt)}`;
  const dl = el("dl");
  for (const [k, v] of detailPairs(c)) dl.append(el("dt", { textContent: k }), el("dd", { textContent: v }));
  if (isRecorded(c)) dl.append(el("dt", { textContent: "Recording" }), recordingOf ? recordingCell(c, recordingOf) : el("dd", { textContent: "yes" }));
  const lines = deliveryLines(c);
  dl.append(el("dt", { textContent: "Deliveries" }), el("dd", {}, ...(lines.length ? lines.map((l) => el("div", { textContent: l })) : ["none"])));
  const caller = c.caller;
  if (!caller || c.callerWithheld || !eraseCaller) return void node.replaceChildren(dl);
  const erase = el("button", { type: "button", className: "danger", textContent: `Erase every call from ${caller}` });
  erase.addEventListener("click", () => eraseCaller(caller));
  node.replaceChildren(dl, el("p", { className: "small" }, erase));
}
