/**
 * The demo account `npm start` seeds (only when DEMO=1): fixed, documented keys so the example
 * pages in examples/ work on a fresh clone. Never enable DEMO on a real deployment.
 */
import { createMiddleware } from "hono/factory";
import { sha256Hex } from "../platform/crypto";
import { account, directory } from "../platform/stubs";
import { PoolCreateSchema } from "../schemas/pool";
import type { AppEnv } from "./app-env";

const DEMO_ACCOUNT_ID = "demo000000000000";
const DEMO_SITE_KEY = `pk_${DEMO_ACCOUNT_ID}_demo-site-key-not-secret`;
const DEMO_ADMIN_KEY = `sk_${DEMO_ACCOUNT_ID}_demo-admin-key-for-local-development-only`;

const DESTINATIONS = ["+18005550199", "+18003569377"];
const range = (base: number, n: number) => Array.from({ length: n }, (_, i) => `+1${base + i}`);

const POOLS = [
  { id: "demo-web", name: "Website visitors", trackingNumbers: range(8885550100, 20), isDefault: true },
  { id: "demo-ads", name: "Paid search (Google Ads, Bing)", trackingNumbers: range(8775550100, 10), isDefault: false },
  { id: "demo-email", name: "Newsletter", trackingNumbers: range(8665550100, 5), isDefault: false },
];

/**
 * The demo account's voice providers: documented, not secret, for simulating each provider's
 * webhook with curl (README: Voice providers). Telnyx needs a key pair: the README makes one.
 */
export const DEMO_VOICE_CREDENTIALS = {
  twilio: { authToken: "demo-twilio-auth-token-not-secret" },
  signalwire: { signingKey: "PSK_demo-signalwire-signing-key" },
  plivo: { authToken: "demo-plivo-auth-token-not-secret" },
  vonage: { signatureSecret: "demo-vonage-signature-secret-not-secret" },
};

const seeded = new Set<string>();

async function seed(env: Env, origin: string): Promise<void> {
  const stub = account(env, DEMO_ACCOUNT_ID);
  const now = Date.now();
  const origins = [origin, "http://localhost:8787", "http://127.0.0.1:8787"];
  const created = await stub.create({
    id: DEMO_ACCOUNT_ID,
    name: "Demo",
    allowedOrigins: origins,
    adminKeyHash: await sha256Hex(DEMO_ADMIN_KEY),
    siteKey: DEMO_SITE_KEY,
    now,
  });
  if (created.ok) await directory(env).registerAccount(DEMO_ACCOUNT_ID, "Demo", now);
  else {
    const current = await stub.getAccount();
    if (current.ok && !current.value.allowedOrigins.includes(origin)) {
      await stub.updateAccount({ allowedOrigins: [...current.value.allowedOrigins, origin] }, now);
    }
  }
  const voice = await stub.voiceSettings();
  if (voice.ok && !voice.value.credentials.twilio) {
    const set = await stub.updateVoice({ provider: "twilio", credentials: DEMO_VOICE_CREDENTIALS }, now);
    if (!set.ok) console.warn("demo: provider credentials not seeded", set.error.message);
  }
  for (const p of POOLS) {
    const existing = await stub.getPool(p.id);
    if (!existing.ok) {
      await stub.createPool(
        PoolCreateSchema.parse({ ...p, destinations: DESTINATIONS, leaseSeconds: 1800, graceSeconds: 3600, exhaustionPolicy: "recycle", status: "warning" }),
        now,
      );
    }
  }
}

/** Seeds once per isolate and origin, before the first request is handled. */
export const demoSeed = () =>
  // Not async when off (every deployment but the demo): no extra hop on every request.
  createMiddleware<AppEnv>((c, next) => (c.env.DEMO === "1" ? seedThen(c.env, new URL(c.req.url).origin, next) : next()));

async function seedThen(env: Env, origin: string, next: () => Promise<void>): Promise<void> {
  if (!seeded.has(origin)) {
    await seed(env, origin);
    seeded.add(origin);
  }
  await next();
}
