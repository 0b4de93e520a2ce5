/**
 * localStorage as JSON. Blocked or full storage is caught: the page view then works as a first view
 * (a memory copy would never be read again: each page view reads once, at its start).
 */
export const load = (k: string): any => {
  try {
    return JSON.parse(localStorage[k]);
  } catch {}
};

export const save = (k: string, o: unknown) => {
  try {
    localStorage[k] = JSON.stringify(o);
  } catch {}
};
