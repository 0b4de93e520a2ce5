/** The keyset cursor of the calls list: the last call's (started_at, id), URL-safe base64. Pure. */

export function encodeCursor(startedAt: number, id: string): string {
  return btoa(`${startedAt}~${id}`).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string): { startedAt: number; id: string } | null {
  let text: string;
  try {
    text = atob(cursor.replace(/-/g, "+").replace(/_/g, "/"));
  } catch {
    return null;
  }
  const m = /^(\d{1,16})~([A-Za-z0-9._:-]{1,128})$/.exec(text);
  return m ? { startedAt: Number(m[1]), id: m[2]! } : null;
}
