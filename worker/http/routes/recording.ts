/**
 * GET /v1/calls/{id}/recording — the call's recording (a voicemail, or the call with recording on),
 * fetched from its provider with the account's credentials and streamed through (voice/recordings.ts):
 * the provider's own URL may need credentials (Twilio, Vonage) or expire (Telnyx, 10 minutes).
 */
import { createRoute, z } from "@hono/zod-openapi";
import { unwrap } from "../../platform/result";
import { account } from "../../platform/stubs";
import { CallParamSchema } from "../../schemas/calls";
import { errorResponsesFor } from "../../schemas/common";
import { fetchRecording } from "../../voice/recordings";
import { adminAuth } from "../middleware/auth";
import { ADMIN, createRouter } from "../router";

const app = createRouter();
app.use("/v1/calls/*", adminAuth());

const audio = { schema: z.string().openapi({ format: "binary" }) };

app.openapi(
  createRoute({
    method: "get",
    path: "/v1/calls/{id}/recording",
    tags: ["calls"],
    summary:
      "The call's recording, fetched from its voice provider with the account's credentials (Twilio's and Plivo's Basic auth, SignalWire's project token, a token signed by the Vonage application's privateKey, a fresh Telnyx link through credentials.telnyx.apiKey) and streamed as the provider serves it. A Range header is passed on (206). Credentials go only to the provider's own hosts.",
    security: ADMIN,
    request: { params: CallParamSchema },
    responses: {
      200: { description: "The audio (audio/mpeg, audio/x-wav …)", content: { "audio/mpeg": audio, "audio/x-wav": audio } },
      206: { description: "The part a Range asked for", content: { "audio/mpeg": audio, "audio/x-wav": audio } },
      416: { description: "A Range past the recording's end (range_not_satisfiable), with the provider's Content-Range" },
      ...errorResponsesFor([401, 403, 404, 409, 502]),
    },
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    const source = unwrap(await account(c.env, c.var.accountId).recordingSource(id));
    // HEAD (which Hono routes here) asks the provider for its headers only: no download for nothing.
    return unwrap(await fetchRecording(source, id, c.req.header("Range"), c.req.method === "HEAD" ? "HEAD" : "GET"));
  },
);

export default app;
