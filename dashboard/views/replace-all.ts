/**
 * The selected pool's replaceAll setting (snippet/README.md: Replace every number): a checkbox that
 * turns it on or off through PATCH /v1/pools/{id}, and a line saying what it does now. The API keeps
 * it exclusive with a whitelist (one destination only): a refusal is shown in its own words, and the
 * box goes back to what the pool has.
 */
import type { Pool } from "../api";

/** What the line beside the box says for a pool. */
export function replaceAllWords(p: Pool): string {
  if (p.replaceAll) return `On: every phone number on the page becomes the visitor's number (calls go to ${p.destinations[0] ?? "the destination"}).`;
  const list = p.destinations.join(", ");
  return `Off: only ${p.destinations.length === 1 ? "the destination" : "the destinations"} ${list} ${p.destinations.length === 1 ? "is" : "are"} swapped.`;
}

export interface ReplaceAllControl {
  box: HTMLInputElement;
  note: HTMLElement;
}

/** Shows `p`'s setting (the box enabled, the line in plain words). */
export function showReplaceAll(c: ReplaceAllControl, p: Pool): void {
  c.box.checked = p.replaceAll === true;
  c.box.removeAttribute("aria-disabled");
  c.note.className = "muted small note";
  c.note.textContent = replaceAllWords(p);
}

/** While the change is being saved: marked disabled, not disabled (that would drop the keyboard's focus; a press meanwhile changes nothing: overview.ts). */
export function savingReplaceAll(c: ReplaceAllControl): void {
  c.box.setAttribute("aria-disabled", "true");
  c.note.className = "muted small note";
  c.note.textContent = "Saving…";
}

/** The API refused the change: the box shows the pool's setting again, the line says why. */
export function refusedReplaceAll(c: ReplaceAllControl, p: Pool, why: string): void {
  showReplaceAll(c, p);
  c.note.className = "err small note";
  c.note.textContent = `Not changed: ${why}`;
}
