/** The Chromium to use: CHROMIUM_PATH if set (it must exist), else the first system one found, else null. */
export function findChromium(): string | null;
