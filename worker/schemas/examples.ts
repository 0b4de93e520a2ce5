/**
 * One worked example per request body, by the component name its schema registers. Kept apart from
 * the schemas so a field's definition reads without a page of sample data; attached to the
 * document by `worker/http/openapi.ts`, and each is parsed by its own schema in
 * `test/worker/openapi.test.ts`, so an example cannot drift from what the route accepts.
 */
export const REQUEST_EXAMPLES: Record<string, unknown> = {
  AllocateRequest: {
    key: "pk_acc_3f9a1c2e_5bd0c7f1a2e94c6b8d3e0f12",
    sources: "google-ads: gclid | utm_source=google & utm_medium=cpc -> google-ads; *: -> web",
    source: {
      referrer: "https://www.google.com/",
      landing: "https://www.example.com/plumbing?gclid=Cj0KCQiA&utm_source=google&utm_campaign=spring",
      gaClientId: ["_ga=GA1.1.1234567890.1700000000", "_ga_ABC123XYZ=GS2.1.s1747132561$o3$g1$t1747132655$j0$l0$h0"],
    },
  },
  AccountCreate: { name: "Acme Plumbing", allowedOrigins: ["https://www.example.com", "https://*.staging.example.com"] },
  AccountPatch: { allowedOrigins: ["https://www.example.com", "https://shop.example.com"] },
  RotateKey: { key: "site" },
  PoolCreate: {
    id: "google-ads",
    name: "Google Ads visitors",
    country: "US",
    trackingNumbers: ["+1 415 555 0101", "+1 415 555 0102", "+1 415 555 0103"],
    destinations: ["+1 415 555 0100"],
    leaseSeconds: 1800,
    graceSeconds: 3600,
    exhaustionPolicy: "recycle",
    isDefault: true,
  },
  PoolPatch: { leaseSeconds: 2700, exhaustionPolicy: "overflow", overflowNumber: "+1 415 555 0101" },
  NumbersChange: { add: ["+1 415 555 0104", "+1 415 555 0105"], remove: ["+1 415 555 0102"] },
  VoicePatch: {
    provider: "twilio",
    fallbackNumber: "+1 415 555 0100",
    credentials: { twilio: { authToken: "0123456789abcdef0123456789abcdef" } },
  },
  IntegrationsPatch: {
    ga4: { measurementId: "G-ABC123XYZ", apiSecret: "Zx8_k2LmQ9" },
    webhook: { url: "https://hooks.example.com/dni/calls" },
  },
  SizingRequest: { visitorsPerHour: 600, minutes: 30, share: 1, pools: 2, target: 0.01 },
  ConversionsPatch: {
    googleAds: {
      api: "data_manager",
      customerId: "123-456-7890",
      conversionActionId: "987654321",
      conversionName: "Phone call (edge-dni)",
      clientId: "1234567890-abc.apps.googleusercontent.com",
      clientSecret: "GOCSPX-0123456789abcdef",
      refreshToken: "1//0g-refresh-token-0123456789",
    },
    rules: { minSeconds: 60, value: 50, currency: "USD", consent: "granted" },
  },
  AutoscalePut: {
    min: 10,
    max: 60,
    target: 0.01,
    cooldownMinutes: 120,
    dryRun: false,
    numbers: { country: "US", type: "local", areaCode: "415", fallback: "nearest" },
  },
  CallerErasure: { caller: "+44 20 7946 0958" },
  ConversionsCheckRequest: { platform: "google_ads" },
};
