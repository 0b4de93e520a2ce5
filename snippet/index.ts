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
import { doc, page } from "./scan";

try {
  if (!page.dni?.number) {
    // The stub function the page defined to queue calls (its `q`), if any.
    const stub: { q?: IArguments[] } | undefined = page.dni,
      script = doc.currentScript as HTMLScriptElement | null,
      settings = config(FULL && !(script && script.dataset.key) ? doc.querySelector("script[data-key]")! : script!),
      // data-consent, data-domain, data-debug, ?dni_debug=1 (short: fewer bytes; nothing else has them).
      wants = /nsen|doma|debu/.test(Object.keys(settings) + location.search);
    // One that fails to load (a Content-Security-Policy that allows dni.js alone, a blocker, the
    // network) is warned: not an unhandled rejection in the page's console.
    if (!FULL && wants) import(settings.api + "/dni-full.js").catch(warn);
    else {
      if (FULL) {
        debug.on = "debug" in settings || /[?&]dni_debug=1/.test(location.search);
        sessionDomain(settings.domain);
      }
      page.dni = FULL && settings.consent != null ? gated(settings) : start(settings);
      stub?.q?.forEach((call) => page.dni(...call));
    }
  }
} catch (e) {
  warn(e);
}
