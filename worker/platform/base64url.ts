/** base64url (RFC 4648 §5, no padding): keys, sealed values, the snippet's session token. */

/** base64 of a binary string (each character one byte) in the URL-safe alphabet, unpadded. */
const urlSafe = (binary: string): string => btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");

export const base64urlEncode = (bytes: Uint8Array): string => urlSafe(String.fromCharCode(...bytes));

/** The bytes of a base64 or base64url text (padding optional); null when it is not one. */
export function base64urlDecode(text: string): Uint8Array | null {
  const std = text.replace(/-/g, "+").replace(/_/g, "/");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(std)) return null;
  let binary: string;
  try {
    binary = atob(std.padEnd(Math.ceil(std.length / 4) * 4, "="));
  } catch {
    return null;
  }
  // A plain loop: Uint8Array.from(binary, mapFn) iterates the string with a call per character,
  // ~40x slower (20 µs for a session token, every sticky allocation decodes one; measured).
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** base64url of a text's UTF-8 (ASCII, as most JSON is, goes straight to btoa: no byte array, profiled). */
export function base64urlOfText(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range, control characters included.
  if (/^[\x00-\x7f]*$/.test(text)) return urlSafe(text);
  return base64urlEncode(new TextEncoder().encode(text));
}
