#!/usr/bin/env node
// Finds the Chromium the browser tests drive (playwright-core never downloads one here), and with
// --install installs Debian's `chromium` when it is missing and this user can. Prints the path on
// success; on failure prints one sentence saying how to get one, and exits 1.
import { execFileSync } from "node:child_process";
import { accessSync, constants } from "node:fs";

const CANDIDATES = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome", "/usr/bin/google-chrome-stable", "/snap/bin/chromium"];

const executable = (path) => {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

/** The Chromium to use: CHROMIUM_PATH if set (it must exist), else the first system one found, else null. */
export function findChromium() {
  const given = process.env.CHROMIUM_PATH;
  if (given) return executable(given) ? given : null;
  return CANDIDATES.find(executable) ?? null;
}

function tryInstall() {
  const root = process.getuid?.() === 0;
  const sudo =
    !root &&
    (() => {
      try {
        execFileSync("sudo", ["-n", "true"], { stdio: "ignore" });
        return true;
      } catch {
        return false;
      }
    })();
  if (!executable("/usr/bin/apt-get") || (!root && !sudo)) return false;
  const run = (args) =>
    execFileSync(root ? args[0] : "sudo", root ? args.slice(1) : ["-n", ...args], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  try {
    console.log("Chromium not found: installing Debian's chromium (apt-get)…");
    run(["apt-get", "update", "-qq"]);
    run(["apt-get", "install", "-y", "-qq", "chromium"]);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let path = findChromium();
  if (!path && !process.env.CHROMIUM_PATH && process.argv.includes("--install") && tryInstall()) path = findChromium();
  if (!path) {
    console.error(
      process.env.CHROMIUM_PATH
        ? `CHROMIUM_PATH=${process.env.CHROMIUM_PATH} is not an executable: point it at a Chromium or Chrome binary, or unset it to use the system's.`
        : "The browser tests need Chromium: install it (Debian/Ubuntu: `sudo apt-get install chromium`) or set CHROMIUM_PATH to a Chromium or Chrome binary, then run npm test again.",
    );
    process.exit(1);
  }
  console.log(`chromium: ${path}`);
}
