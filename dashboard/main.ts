/**
 * The dashboard at /dashboard: sign in with the account's admin key (kept in this tab's
 * sessionStorage, sent only as an Authorization header), then pools at a glance, the selected
 * pool's utilization and numbers, and calls by source per day, reloaded every minute.
 *
 * Built by scripts/build-dashboard.mjs into worker/generated/dashboard.ts; served by
 * worker/http/routes/dashboard.ts. One concern a file: api.ts (the client), session.ts (the key),
 * overview.ts (what is shown and when), views/ (each part of the page), chart/ (SVG chart frame).
 */
import { ApiError, createClient, endpoints } from "./api";
import { Overview } from "./overview";
import { pageElements } from "./page";
import { adminKey } from "./session";
import { isRangeName } from "./views/utilization";

const REFRESH_MS = 60_000;

const page = pageElements();
const overview = new Overview(endpoints(createClient(adminKey.get)), page, (e) => failed(e));
let timer: ReturnType<typeof setInterval> | undefined;

function signedOut(message = ""): void {
  adminKey.clear();
  clearInterval(timer);
  page.app.hidden = true;
  page.signOut.hidden = true;
  page.who.textContent = "";
  page.login.hidden = false;
  page.loginError.textContent = message;
}

/** Shows `e` where it belongs: a refused key signs out; anything else is shown above the pools. */
function failed(e: unknown): void {
  if (e instanceof ApiError && e.unauthorized) signedOut("That key was not accepted.");
  else page.updated.textContent = `Could not load: ${e instanceof Error ? e.message : String(e)}`;
}

async function start(): Promise<void> {
  if (!adminKey.get()) {
    signedOut();
    return;
  }
  page.login.hidden = true;
  page.app.hidden = false;
  try {
    await overview.load();
  } catch (e) {
    failed(e);
    if (!adminKey.get()) return;
  }
  clearInterval(timer);
  timer = setInterval(() => overview.load().catch(failed), REFRESH_MS);
}

page.login.addEventListener("submit", (ev) => {
  ev.preventDefault();
  adminKey.set(page.keyInput.value.trim());
  page.keyInput.value = "";
  void start();
});
page.signOut.addEventListener("click", () => signedOut());
page.moreNumbers.addEventListener("click", () => overview.moreNumbers().catch(failed));
for (const b of page.rangeButtons) {
  b.addEventListener("click", () => {
    if (isRangeName(b.dataset.range)) overview.setRange(b.dataset.range).catch(failed);
  });
}
void start();
