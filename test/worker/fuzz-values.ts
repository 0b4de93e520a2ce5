/** Values the fuzz tests (fuzz.test.ts, fuzz-openapi.test.ts) draw from where any string may come. */
import fc from "fast-check";

/** Strings of any code units, graphemes, bytes and length, and those that have broken parsers before. */
export const weirdString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ minLength: 3000, maxLength: 5000 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "+1",
    "+44",
    "00",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "%00",
    "☎️📞",
    "1-800-FLOWERS",
    "NaN",
    "__proto__",
    "constructor",
    "-1",
    "1e309",
  ),
);

/** Field names the voice providers' callbacks carry (Twilio's family, Plivo, Vonage, the reference API), as fuzzed bodies use them. */
export const VOICE_FIELDS = [
  "CallSid",
  "To",
  "From",
  "CallStatus",
  "DialCallStatus",
  "DialCallDuration",
  "Digits",
  "RecordingUrl",
  "CallUUID",
  "DialStatus",
  "DialAction",
  "DialBLegDuration",
  "DialALegUUID",
  "uuid",
  "to",
  "from",
  "status",
  "duration",
  "Duration",
  "EndTime",
  "callId",
  "calledNo",
  "callerNo",
  "startTime",
  "endTime",
] as const;
