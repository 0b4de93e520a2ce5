/**
 * Errors cross Durable Object RPC as plain data (thrown Error subclasses lose their fields), so
 * every object method that can refuse returns a Result and the route turns it into a response.
 */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

/** Error details: lists of numbers or of { path, value, reason }-like records (plain, RPC-safe). */
export type Json = Record<string, string[] | Record<string, string>[]> | Record<string, string>[];

export interface ApiErrorData {
  status: ErrorStatus;
  code: string;
  message: string;
  details?: Json;
  /** With 429: seconds until a retry can succeed (sent as Retry-After). */
  retryAfter?: number;
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiErrorData };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });

/** The message of every `invalid_cursor`, whichever list or layer refuses the cursor. */
export const INVALID_CURSOR = "cursor is not a nextCursor this API returned";

export const fail = (status: ErrorStatus, code: string, message: string, details?: Json): { ok: false; error: ApiErrorData } => ({
  ok: false,
  error: details === undefined ? { status, code, message } : { status, code, message, details },
});

/** Thrown inside the Hono app; `onError` renders it with the stable JSON error shape. */
export class ApiError extends Error {
  constructor(readonly data: ApiErrorData) {
    super(data.message);
  }
}

/** Unwrap a Result inside a route: the value, or throw the error for `onError` to render. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new ApiError(result.error);
  return result.value;
}
