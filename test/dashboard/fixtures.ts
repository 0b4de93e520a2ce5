/** Answers shaped as the API gives them (types from the worker's schemas), for the dashboard's unit tests. */
import type { HealthView, Pool } from "../../dashboard/api";

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

export const svgNode = (): SVGSVGElement => document.createElementNS("http://www.w3.org/2000/svg", "svg");
