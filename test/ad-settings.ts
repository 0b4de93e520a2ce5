/**
 * Ad platform settings as the tests send them (PATCH /v1/account/conversions): plain values, no
 * imports, so the worker suite (test/worker/conversions-helpers.ts) and the browser suite
 * (test/e2e/dashboard.test.ts) share one copy.
 */

/** Google through its Data Manager API, as a new setting is by default: no developer token, no `api`. */
export const DM_SETTINGS = {
  customerId: "123-456-7890",
  conversionActionId: "987654321",
  conversionName: "Phone call (DNI)",
  timeZone: "America/New_York",
  clientId: "client-id-1234.apps.googleusercontent.com",
  clientSecret: "client-secret-XYZW",
  refreshToken: "1//datamanager-refresh-token-wxyz",
};

export const MS_SETTINGS = {
  customerId: "5550001",
  accountId: "7770002",
  conversionName: "Phone call",
  developerToken: "ms-dev-token-9999",
  clientId: "ms-client-id-0000",
  refreshToken: "M.R3_refresh-token-efgh",
};
