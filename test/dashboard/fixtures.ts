/** Answers shaped as the API gives them (types from the worker's schemas), for the dashboard's unit tests. */
import type { Call, DeliveryItem, HealthView, Pool } from "../../dashboard/api";

export function health(over: Partial<HealthView> = {}): HealthView {
  return {
    pool: "web",
    name: "Website",
    status: "warning",
    alertThreshold: 0.8,
    recoveryThreshold: 0.7,
    at: Date.UTC(2031, 0, 5, 12),
    state: "ok",
    numbers: { total: 20, leased: 6, free: 14, held: 0, retiring: 0, overflow: 0 },
    utilization: 0.3,
    peak7d: 9,
    peakUtilization7d: 0.45,
    counters: { allocations: 12, renewals: 3, recycledEarly: 1, overflow: 0, refused: 2, rateLimited: 0, callsAttributed: 4, callsUnattributed: 1 },
    step: 5,
    minutes: [],
    episode: null,
    ...over,
  };
}

export function pool(over: Partial<Pool> = {}): Pool {
  return {
    id: "web",
    name: "Website",
    country: "US",
    trackingNumbers: [],
    destinations: ["+18005550199"],
    leaseSeconds: 1800,
    graceSeconds: 3600,
    exhaustionPolicy: "recycle",
    overflowNumber: null,
    status: "warning",
    isDefault: true,
    callerId: null,
    whisper: false,
    alertThreshold: 0.8,
    provider: null,
    numberProviders: {},
    maxNewLeasesPerMinute: null,
    shards: 1,
    route: null,
    previousShards: null,
    reshardedAt: null,
    version: 1,
    createdAt: 0,
    updatedAt: 0,
    ...over,
  };
}

/** A call as GET /v1/calls answers it: attributed to a google-ads visit on the spring campaign, answered, 42 s. */
export function call(over: Partial<Call> = {}): Call {
  return {
    id: "CA1",
    pool: "web",
    trackingNumber: "+18885550100",
    caller: "+13105550123",
    callerWithheld: false,
    startedAt: Date.UTC(2031, 0, 5, 10),
    receivedAt: Date.UTC(2031, 0, 5, 10),
    attributed: true,
    reason: "live",
    session: "s1",
    source: {
      name: "google-ads",
      referrer: "https://www.google.com/",
      landing: "https://shop.example/pricing?gclid=abc",
      utm: { source: "google", medium: "cpc", campaign: "spring", term: null, content: null },
      clickIds: {
        gclid: "abc",
        gbraid: null,
        wbraid: null,
        dclid: null,
        msclkid: null,
        fbclid: null,
        ttclid: null,
        li_fat_id: null,
        gcl_aw: null,
        gcl_gb: null,
      },
      gaClientId: null,
      gaSessionIds: null,
      consent: null,
    },
    lease: null,
    route: { action: "transfer", to: "+18005550199", list: null, by: null, exception: null, attempts: [], answeredBy: "+18005550199" },
    recordingUrl: null,
    provider: "reference",
    outcome: "answered",
    talkSeconds: 42,
    endedAt: Date.UTC(2031, 0, 5, 10, 1),
    deliveries: [],
    conversions: [],
    ...over,
  };
}

export function delivery(over: Partial<DeliveryItem> = {}): DeliveryItem {
  return {
    id: "7",
    webhookId: "msg_7",
    kind: "webhook",
    event: "call",
    callId: "CA1",
    status: "pending",
    attempts: 3,
    redeliveries: 0,
    lastStatus: 500,
    lastError: "HTTP 500",
    nextAttemptAt: Date.UTC(2031, 0, 5, 11),
    deliveredAt: null,
    createdAt: Date.UTC(2031, 0, 5, 10),
    ...over,
  };
}
