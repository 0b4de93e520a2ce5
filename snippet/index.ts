/**
 * Entry: reads the configuration from its own <script> tag, starts, and installs `window.dni`
 * (double-load guard: a second copy does nothing; then runs the calls queued before it loaded,
 * e.g. `dni("number", "+18005550199", callback)`).
 */
import { config } from "./config";
import { start, warn } from "./main";

const w = window as any;
try {
  if (!(w.dni && w.dni.number)) {
    const q: IArguments[] = (w.dni && w.dni.q) || [];
    w.dni = start(config(document.currentScript as HTMLScriptElement));
    q.forEach((a) => w.dni(...a));
  }
} catch (e) {
  warn(e);
}
