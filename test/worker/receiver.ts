/**
 * A webhook receiver as a customer would write it: the `standardwebhooks` package (the Standard
 * Webhooks reference library) verifies what our worker sent, at the mocked network edge.
 */
import { Webhook } from "standardwebhooks";
import type { Seen } from "./calls-helpers";

/** The verified payload, or the library's error message. */
export function receive(secret: string, req: Seen): { ok: true; payload: unknown } | { ok: false; error: string } {
  try {
    const headers = Object.fromEntries(["webhook-id", "webhook-timestamp", "webhook-signature"].map((h) => [h, req.headers.get(h) ?? ""]));
    return { ok: true, payload: new Webhook(secret).verify(req.body, headers) };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
}

export const verifies = (secret: string, req: Seen) => receive(secret, req).ok;
