/**
 * What is not text in a string: a lone surrogate (JSON's "\ud800" decodes to one; no encoding can
 * carry it), or a C0 control character other than tab, line feed and carriage return (which
 * templates and spoken text may hold), or DEL. Refused in admin bodies (http/router.ts), dropped
 * from what a browser sends (domain/source.ts).
 */
export const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const CONTROL = /[^\t\n\r\x20-\x7E\u0080-\uFFFF]/;

/** Every character that is not text (both of the above), for replace(). */
const NOT_TEXT = new RegExp(`${LONE_SURROGATE.source}|${CONTROL.source}`, "g");

/** `s` without what is not text. */
export const textOnly = (s: string) => s.replace(NOT_TEXT, "");
