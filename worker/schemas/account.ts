import { z } from "@hono/zod-openapi";

const OriginsSchema = z
  .array(z.string().min(1).max(260))
  .max(50)
  .openapi({ example: ["https://www.example.com", "https://*.staging.example.com"] });

export const AccountCreateSchema = z
  .object({
    name: z.string().trim().min(1).max(100).openapi({ example: "Acme Plumbing" }),
    allowedOrigins: OriginsSchema.default([]),
  })
  .strict()
  .openapi("AccountCreate");

/** Days calls are kept before they are archived to R2 and deleted (an erasure request deletes one at once). */
export const RetentionDaysSchema = z.number().int().min(7).max(3650).openapi({
  description: "Days a call is kept (by its start, whole UTC days); older calls are archived to R2 as NDJSON per day, then deleted. Default 395 (13 months).",
  example: 395,
});

/** Days archived calls are kept in R2 after they leave the call storage; null: until deleted by hand. */
export const ArchiveRetentionDaysSchema = z.number().int().min(0).max(3650).nullable().openapi({
  description:
    "Days an archived call is kept in R2 after it passed callRetentionDays (whole UTC days): its day's NDJSON object is then deleted. 0: calls past callRetentionDays are not kept at all. null (the default): archived calls are kept until deleted by hand.",
  example: 730,
});

export const AccountPatchSchema = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    allowedOrigins: OriginsSchema.optional(),
    callRetentionDays: RetentionDaysSchema.optional(),
    archiveRetentionDays: ArchiveRetentionDaysSchema.optional(),
  })
  .strict()
  .openapi("AccountPatch");

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    allowedOrigins: z.array(z.string()),
    siteKey: z.string(),
    defaultPool: z.string().nullable(),
    callRetentionDays: RetentionDaysSchema,
    archiveRetentionDays: ArchiveRetentionDaysSchema,
    createdAt: z.number(),
    updatedAt: z.number(),
  })
  .openapi("Account");

export const AccountCreatedSchema = z
  .object({ account: AccountSchema, adminKey: z.string().openapi({ description: "Shown once; only its hash is stored." }), siteKey: z.string() })
  .openapi("AccountCreated");

export const RotateKeySchema = z
  .object({ key: z.enum(["admin", "site"]) })
  .strict()
  .openapi("RotateKey");

export const RotatedKeySchema = z.object({ key: z.enum(["admin", "site"]), value: z.string() }).openapi("RotatedKey");

export type AccountPatch = z.infer<typeof AccountPatchSchema>;
export type Account = z.infer<typeof AccountSchema>;
