/** Number orders: numbers bought from the voice provider into a pool, asynchronously (see account/number-orders.ts). */
import { z } from "@hono/zod-openapi";
import { PoolIdSchema } from "./common";

export const NUMBER_TYPES = ["local", "national", "tollfree", "mobile"] as const;
export const ORDER_FALLBACKS = ["tollfree", "nearest", "wait"] as const;
/** The providers whose number APIs edge-dni can buy from. */
export const ORDERING_PROVIDERS = ["twilio", "telnyx", "signalwire", "plivo", "vonage"] as const;
export const ORDER_STATUSES = ["pending", "running", "waiting", "completed", "failed", "canceled"] as const;
/** Most numbers one order may buy. */
export const MAX_ORDER_QUANTITY = 100;

/**
 * The regulatory identity a carrier wants on a purchase, by id of what the business set up in the
 * carrier's console (not the documents themselves):
 * - Twilio: IncomingPhoneNumbers create takes `AddressSid` ("Some regions require addresses to meet
 *   local regulations") and `BundleSid` ("Some regions require a Bundle to meet local
 *   Regulations"): https://www.twilio.com/docs/phone-numbers/api/incomingphonenumber-resource,
 *   the SIDs' patterns ^AD[0-9a-fA-F]{32}$ and ^BU[0-9a-fA-F]{32}$ from the same reference and
 *   https://www.twilio.com/docs/phone-numbers/regulatory/api/bundles; and `IdentitySid` ("Some
 *   regions require an Identity to meet local regulations", pattern ^RI[0-9a-fA-F]{32}$, the same
 *   reference). Not its EmergencyAddressSid: that is for emergency calls made from the number, which
 *   a tracking number, taking calls only, never places.
 * - Telnyx: each phone number of POST /v2/number_orders takes `requirement_group_id` ("ID of
 *   requirement group to use to satisfy number requirements"; a uuid in the API reference),
 *   mandatory in some countries (CH, DK, IT, NO, PT, SE:
 *   https://developers.telnyx.com/docs/numbers/phone-numbers/requirement-groups). Its `bundle_id`
 *   is not taken: that is a pricing bundle (Bundle Pricing, user bundles), one per number, not a
 *   regulatory identity an order could give every number it buys.
 * One shape for both: the fields of the order's provider only (number-request.ts refuses the other's).
 */
export const TWILIO_REGULATORY_FIELDS = ["addressSid", "bundleSid", "identitySid"] as const;
export const TELNYX_REGULATORY_FIELDS = ["requirementGroupId"] as const;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export const RegulatorySchema = z
  .object({
    addressSid: z
      .string()
      .regex(/^AD[0-9a-fA-F]{32}$/, "a Twilio Address SID: AD and 32 hex digits")
      .optional()
      .openapi({
        description:
          "Twilio: the Address (AD…) the numbers are bought with, sent as AddressSid. Without it Twilio refuses numbers that need one (error 21631).",
        example: "AD0123456789abcdef0123456789abcdef",
      }),
    bundleSid: z
      .string()
      .regex(/^BU[0-9a-fA-F]{32}$/, "a Twilio Bundle SID: BU and 32 hex digits")
      .optional()
      .openapi({
        description:
          "Twilio: the approved regulatory Bundle (BU…) for the request's country and number type, sent as BundleSid. Without it Twilio refuses regulated numbers (error 21649).",
        example: "BU0123456789abcdef0123456789abcdef",
      }),
    identitySid: z
      .string()
      .regex(/^RI[0-9a-fA-F]{32}$/, "a Twilio Identity SID: RI and 32 hex digits")
      .optional()
      .openapi({
        description:
          "Twilio: the end user's Identity (RI…), with its verified document, sent as IdentitySid, for the countries that want one (Twilio's error 21650 names a purchase without it).",
        example: "RI0123456789abcdef0123456789abcdef",
      }),
    requirementGroupId: z.string().regex(UUID, "a Telnyx requirement group id (a UUID)").optional().openapi({
      description:
        "Telnyx: the fulfilled requirement group for the request's country and number type, sent as each number's requirement_group_id (mandatory in CH, DK, IT, NO, PT and SE).",
      example: "a4b201f9-8646-4e54-a7d2-b2e403eeaf8c",
    }),
  })
  .strict()
  .refine((r) => Object.values(r).some((v) => v !== undefined), "give at least one id (addressSid, bundleSid, identitySid, or requirementGroupId)")
  .openapi("NumberRegulatory", {
    minProperties: 1,
    description:
      "What the carrier requires to sell numbers of the country (most countries outside the US and Canada), set up in its console first: Twilio's addressSid, bundleSid and/or identitySid, or Telnyx's requirementGroupId; only the fields of the order's provider (else 400 invalid_number_request). A bundle or requirement group covers one country and number type: a toll-free fallback's numbers are bought with the same ids, which the carrier may refuse.",
  });

export type Regulatory = z.infer<typeof RegulatorySchema>;

export const NumberRequestSchema = z
  .object({
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, "ISO 3166-1 alpha-2, e.g. US")
      .openapi({ description: "Country of the numbers (ISO 3166-1 alpha-2).", example: "US" }),
    type: z.enum(NUMBER_TYPES).default("local").openapi({
      description: "local (geographic), national, tollfree or mobile (not in +1 countries, whose mobiles are local numbers: 400 unsupported_search).",
    }),
    areaCode: z
      .string()
      .regex(/^\d{1,5}$/, "1-5 digits")
      .optional()
      .openapi({
        description:
          "Area code (national destination code) of the country, e.g. 510, or 20 for London. Local or toll-free numbers. Outside the US and Canada, Twilio is asked for numbers beginning with it (Contains +44 20…).",
        example: "510",
      }),
    city: z.string().trim().min(1).max(80).optional().openapi({ description: "City / locality of local numbers." }),
    region: z
      .string()
      .regex(/^[A-Z]{2}$/, "two-letter state or province, e.g. CA")
      .optional()
      .openapi({ description: "State or province (US/CA only: elsewhere 400 unsupported_search) of local numbers; with `near`, the point's state." }),
    near: z
      .object({
        lat: z.number().min(-90).max(90),
        lng: z.number().min(-180).max(180),
        radiusMiles: z.number().int().min(1).max(500).default(25),
      })
      .strict()
      .optional()
      .openapi({ description: "Local numbers near a point, within a radius in miles (Twilio only: the other providers' searches have no coordinates)." }),
    sameStateOnly: z.boolean().default(false).openapi({ description: "With `near`: only numbers in `region` (a radius may cross a state line)." }),
    quantity: z.number().int().min(1).max(MAX_ORDER_QUANTITY),
    fallback: z.enum(ORDER_FALLBACKS).default("wait").openapi({
      description:
        "When the area has too few numbers: buy toll-free numbers for the rest, search `nearest` (a wider area: US and CA numbers only, elsewhere it waits), or `wait` and search again every hour.",
    }),
    provider: z.enum(ORDERING_PROVIDERS).optional().openapi({ description: "Provider to buy from; default: the pool's provider (or the account's)." }),
    regulatory: RegulatorySchema.optional(),
  })
  .strict()
  .openapi("NumberRequest");

export type NumberRequest = z.infer<typeof NumberRequestSchema>;
export type NumberType = (typeof NUMBER_TYPES)[number];
export type OrderingProvider = (typeof ORDERING_PROVIDERS)[number];
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const OrderNumberSchema = z.object({
  number: z.string(),
  state: z.enum(["ordered", "bought", "configured", "added", "parked", "released"]).openapi({
    description:
      "ordered (the provider's order is pending, e.g. on regulatory documents: not usable yet) → bought → configured (voice URLs set) → added (in the pool); parked: removed by autoscaling, kept until its paid month is about to renew (the next grow takes it back first), then released.",
  }),
  fallback: z.boolean().openapi({ description: "Bought by the fallback (toll-free or a wider area), not the request itself." }),
});

export const OrderSchema = z
  .object({
    id: z.string(),
    poolId: z.string(),
    provider: z.enum(ORDERING_PROVIDERS),
    request: NumberRequestSchema,
    status: z.enum(ORDER_STATUSES),
    progress: z.object({
      searched: z.number().openapi({ description: "Candidates the provider's searches returned." }),
      bought: z.number(),
      configured: z.number(),
      added: z.number(),
      skipped: z.number().openapi({ description: "Candidates taken by someone else between search and order." }),
    }),
    numbers: z.array(OrderNumberSchema),
    attempts: z.number().openapi({ description: "Steps that failed and were retried (429, 5xx, network)." }),
    lastError: z.string().nullable().openapi({ description: "The provider's reason for the last failure." }),
    nextAttemptAt: z.number().nullable(),
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("NumberOrder");

export type Order = z.infer<typeof OrderSchema>;

export const OrderParamSchema = z.object({
  id: z
    .string()
    .regex(/^ord_[A-Za-z0-9]{20}$/)
    .openapi({
      param: { name: "id", in: "path" },
      example: "ord_4Kq9xW2mZpL0aB7cD1eF",
      description: "The order's id, as POST /v1/pools/{id}/numbers answered it.",
    }),
});

export const OrderListQuerySchema = z.object({ pool: PoolIdSchema.optional().openapi({ description: "Only this pool's orders." }) });

/** An API client's Idempotency-Key on a request that orders numbers: a retry gets the order the first made. */
export const IdempotencyHeaderSchema = z.object({
  "idempotency-key": z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, "1-255 printable characters")
    .optional()
    .openapi({
      description:
        "Your key for this request (a UUID): sent again with the same body (a retry after a timeout), it answers the order the first one made instead of buying again; with another body, 409 idempotency_key_reused.",
    }),
});
