/**
 * What a refused Telnyx request means for an order, decided by Telnyx's error codes. Telnyx answers
 * `{ errors: [{ code, title, detail, source }] }` (the API reference's error envelope, `code` a string)
 * and documents the same 422 for a request it cannot fill and one it will never accept, so the HTTP
 * status alone cannot tell a number someone else just bought from an account that cannot buy any.
 * 429 and 5xx answers never reach this (http.ts retries them with backoff).
 *
 * The 10xxx titles are from Telnyx's API error codes page
 * (https://developers.telnyx.com/development/api-fundamentals/api-errors). The number-ordering
 * (85xxx) and account (20xxx) codes are further down that page; the copy this was written from held
 * only its first rows, so those sets are what the brief and public integrations say they mean and
 * are kept here, in one place, to be checked against the page.
 */
import { field, str } from "./http";
import type { ProviderError } from "./types";

/** The number can no longer be ordered (someone else bought or reserved it): pick another. */
const TAKEN = new Set(["85001", "85006"]);
/** Telnyx wants the number found by a search (or reserved) before it is ordered: search again first. */
const SEARCH_FIRST = new Set(["85000"]);
/** 10007 Unexpected error, 10008 Request timeout, 10011 Too many requests: passing, whatever the status. */
const TRANSIENT = new Set(["10007", "10008", "10011"]);
/*
 * Every other code is fatal: the order fails at once with Telnyx's reason instead of being retried,
 * or skipped number after number as if each were taken, for ever. Among them: 10002 Invalid phone
 * number, 10004 Missing required parameter, 10009 Authentication failed, 10010 Authorization failed,
 * 10013 Missing association and 10017 Associated resource does not exist (e.g. the connection),
 * 10015 Bad Request, 10016 Phone number must be in +E.164 format; 85004 and 85005 (the order's
 * configuration), 20012 and 20100 (the account: not enabled for ordering, its balance).
 */

interface TelnyxError {
  code: string | null;
  text: string | null;
  pointer: string | null;
}

function errorsOf(body: unknown): TelnyxError[] {
  const errors = field(body, "errors");
  return (Array.isArray(errors) ? errors : []).map((e) => {
    const code = field(e, "code");
    return {
      // Documented as a string; some answers carry a number.
      code: typeof code === "number" ? String(code) : str(code),
      text: str(field(e, "detail")) ?? str(field(e, "title")),
      pointer: str(field(field(e, "source"), "pointer")),
    };
  });
}

/** Telnyx's reason, every error of the answer: "detail (Telnyx code)[; …]". */
export function describeTelnyx(body: unknown): string {
  const parts = errorsOf(body)
    .filter((e) => e.text || e.code)
    .map((e) => `${e.text ?? "no detail"}${e.code ? ` (Telnyx ${e.code})` : ""}${e.pointer && e.pointer !== "/" ? ` at ${e.pointer}` : ""}`);
  return parts.length ? parts.join("; ") : "no error message";
}

/**
 * A refused Telnyx call, classified by its codes: any fatal code fails it; else a transient one
 * retries it; else a taken or search-first code (only where `ordering`: the refusal of a number
 * order) asks for another number. No code at all: fatal, as any 4xx without a reason to retry.
 */
export function telnyxRefusal(body: unknown, ordering: boolean): ProviderError {
  const codes = errorsOf(body).map((e) => e.code);
  const reason = describeTelnyx(body);
  if (codes.some((c) => c !== null && !TAKEN.has(c) && !SEARCH_FIRST.has(c) && !TRANSIENT.has(c))) return { kind: "fatal", reason };
  if (codes.some((c) => c !== null && TRANSIENT.has(c))) return { kind: "retry", reason };
  if (ordering && codes.some((c) => c !== null && SEARCH_FIRST.has(c))) return { kind: "search", reason };
  if (ordering && codes.some((c) => c !== null && TAKEN.has(c))) return { kind: "taken", reason };
  return { kind: "fatal", reason };
}
