/**
 * The account part of the page: the snippet tag to put on the site (its site key is public) with
 * the origins allowed to use it, and how long calls are kept — `callRetentionDays`, then
 * `archiveRetentionDays` in the R2 archive (blank: until deleted by hand) — saved with PATCH
 * /v1/account. A refusal is shown in the API's words and the form shows the account's settings again.
 */
import type { Account } from "../api";

/** The tag a page puts in its head: the worker's own origin (where the dashboard is served) and the site key. */
export function snippetTag(origin: string, siteKey: string): string {
  return `<script async src="${origin}/dni.js" data-key="${siteKey}"></script>`;
}

/** What the line under the tag says of the allowed origins. */
export function originsWords(origins: readonly string[]): string {
  return origins.length
    ? `Pages of ${origins.join(", ")} may use it (PATCH /v1/account allowedOrigins).`
    : "No origin is allowed yet: no page gets a number until PATCH /v1/account sets allowedOrigins.";
}

export interface SiteView {
  tag: HTMLElement;
  origins: HTMLElement;
}

/**
 * What the line under the tag says of the default pool: the tag as shown names no pool, so without a
 * default one it leases nothing (every allocation answers 404 no_default_pool) and the site keeps its
 * own numbers, with no error a visitor or the owner would see.
 */
export function defaultPoolWords(defaultPool: string | null): string {
  return defaultPool
    ? ""
    : ' No pool is the default: add data-pool="<pool id>" to the tag, or make a pool the default (PATCH /v1/pools/{id} with "isDefault": true).';
}

export function renderSite(v: SiteView, account: Account, origin: string): void {
  v.tag.textContent = snippetTag(origin, account.siteKey);
  v.origins.textContent = originsWords(account.allowedOrigins) + defaultPoolWords(account.defaultPool);
}

export interface RetentionForm {
  form: HTMLFormElement;
  calls: HTMLInputElement;
  archive: HTMLInputElement;
  save: HTMLButtonElement;
  note: HTMLElement;
}

/** What the line beside Save says of the settings. */
export function retentionWords(a: Pick<Account, "callRetentionDays" | "archiveRetentionDays">): string {
  const archive =
    a.archiveRetentionDays === null
      ? "then archived until deleted by hand"
      : a.archiveRetentionDays === 0
        ? "then deleted"
        : `then archived ${a.archiveRetentionDays} days more, then deleted`;
  return `Calls are kept ${a.callRetentionDays} days, ${archive}.`;
}

/** Shows the account's settings (unless the user is editing them: `force` after a save or a refusal). */
export function showRetention(f: RetentionForm, a: Account, force = false): void {
  if (!force && f.form.contains(document.activeElement)) return;
  f.calls.value = String(a.callRetentionDays);
  f.archive.value = a.archiveRetentionDays === null ? "" : String(a.archiveRetentionDays);
  f.save.removeAttribute("aria-disabled");
  f.note.className = "muted small note";
  f.note.textContent = retentionWords(a);
}

/** The form's values as the PATCH body (blank archive days: null, kept until deleted by hand). */
export function retentionPatch(f: RetentionForm): { callRetentionDays: number; archiveRetentionDays: number | null } {
  return { callRetentionDays: Number(f.calls.value), archiveRetentionDays: f.archive.value.trim() === "" ? null : Number(f.archive.value) };
}

/** While the change is being saved: Save marked disabled, not disabled (that would drop the keyboard's focus). */
export function savingRetention(f: RetentionForm): void {
  f.save.setAttribute("aria-disabled", "true");
  f.note.className = "muted small note";
  f.note.textContent = "Saving…";
}

export function savedRetention(f: RetentionForm, a: Account): void {
  showRetention(f, a, true);
  f.note.textContent = `Saved. ${retentionWords(a)}`;
}

/** The API refused the change: the form shows the account's settings again, the line says why. */
export function refusedRetention(f: RetentionForm, a: Account, why: string): void {
  showRetention(f, a, true);
  f.note.className = "err small note";
  f.note.textContent = `Not changed: ${why}`;
}
