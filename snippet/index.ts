/**
 * Entry: reads the configuration from its own <script> tag, starts, and installs `window.dni`
 * (double-load guard: a second copy does nothing; then runs the calls queued before it loaded,
 * e.g. `dni("number", "+18005550199", callback)`).
 *
 * dni.js, asked for what only dni-full.js has (data-consent, data-domain, data-debug, or
 * `?dni_debug=1` in the page's URL), loads dni-full.js from the worker instead (import(): the
 * fewest bytes; the worker allows any origin), which reads the first script tag with a data-key
 * (as a module it has no document.currentScript).
 */
import { config } from "./config";
import { gated } from "./consent";
import { debug } from "./debug";
import { sessionDomain } from "./domain";
import { FULL } from "./flags";
import { start, warn } from "./main";

const w = window as any,
  d = document;
try {
  if (!(w.dni && w.dni.number)) {
    const q: IArguments[] = (w.dni && w.dni.q) || [],
      s = d.currentScript as HTMLScriptElement | null,
      c = config(FULL && !(s && s.dataset.key) ? d.querySelector("script[data-key]")! : s!),
      // data-consent, data-domain, data-debug, ?dni_debug=1 (short: fewer bytes; nothing else has them).
      wants = /nsen|doma|debu/.test(Object.keys(c) + location.search);
    if (!FULL && wants) import(c.api + "/dni-full.js");
    else {
      if (FULL) {
        debug.on = "debug" in c || /[?&]dni_debug=1/.test(location.search);
        sessionDomain(c.domain);
      }
      w.dni = FULL && c.consent != null ? gated(c) : start(c);
      q.forEach((a) => w.dni(...a));
    }
  }
} catch (e) {
  warn(e);
}
