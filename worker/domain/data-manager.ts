/**
 * A call as an event for Google's Data Manager API (IngestEventsRequest, REST JSON), the pure part.
 * Built from the API's protos (google/ads/datamanager/v1: ingestion_service, destination, event,
 * consent, user_data) and its guides "Send offline conversions" and "Upgrade from the Google Ads
 * API" (field mappings): the operating account is the Google Ads account that owns the conversion
 * action, productDestinationId is the action's numeric id (not its resource name), the login
 * account is the manager the credentials reach it through, order_id becomes transactionId and
 * conversion_date_time an RFC 3339 eventTimestamp.
 */
import { sha256Hex } from "../platform/crypto";
import { type AdUpload, utcSeconds } from "./conversions";

export interface DataManagerDestination {
  customerId: string;
  conversionActionId: string;
  loginCustomerId: string | null;
}

const CONSENT = { granted: "CONSENT_GRANTED", denied: "CONSENT_DENIED" } as const;

/**
 * One Event. transactionId is the upload's order id (`dni-<call id>`), as for the Google Ads API
 * (the field mappings map order_id to it, and the diagnostics' DUPLICATE_TRANSACTION_ID is "the same
 * order id and conversion action"): a resend, a redelivery or a switch of API counts a call once.
 * eventSource PHONE, the proto's value for an event "generated from a phone call": what the call is.
 * The release notes of v1.2 (which added PHONE with offline conversions) make an event source required
 * for offline conversions; which value Google wants for a call after an ad click on an UPLOAD_CLICKS
 * action no guide says. Should Google answer EVENT_SOURCE_AND_DESTINATION_MISMATCH, the platform stops
 * (data-manager-answers.ts) and the events are built here afresh when it resumes.
 */
async function dataManagerEvent(u: AdUpload) {
  const consent = {
    ...(u.adUserData ? { adUserData: CONSENT[u.adUserData] } : {}),
    ...(u.adPersonalization ? { adPersonalization: CONSENT[u.adPersonalization] } : {}),
  };
  return {
    transactionId: u.orderId,
    eventTimestamp: utcSeconds(u.at),
    adIdentifiers: { [u.clickIdType]: u.clickId },
    ...(u.value !== null ? { conversionValue: u.value } : {}),
    ...(u.value !== null && u.currency ? { currency: u.currency } : {}),
    // Only the signals the visit had: without one the event carries no consent (as before).
    ...(Object.keys(consent).length ? { consent } : {}),
    eventSource: "PHONE",
    // Enhanced conversions for leads: SHA-256 of the E.164 number, hex (the request's encoding).
    ...(u.phone ? { userData: { userIdentifiers: [{ phoneNumber: await sha256Hex(u.phone) }] } } : {}),
  };
}

/**
 * The request for a batch of uploads to one conversion action: one destination, every event to it.
 * A request carries at most 2000 events (the reference); the alarm sends at most 25 at a time.
 */
export async function dataManagerRequest(uploads: readonly AdUpload[], cfg: DataManagerDestination) {
  return {
    destinations: [
      {
        operatingAccount: { accountType: "GOOGLE_ADS", accountId: cfg.customerId },
        ...(cfg.loginCustomerId ? { loginAccount: { accountType: "GOOGLE_ADS", accountId: cfg.loginCustomerId } } : {}),
        productDestinationId: cfg.conversionActionId,
      },
    ],
    events: await Promise.all(uploads.map(dataManagerEvent)),
    // How hashed user identifiers are written; ignored for events without userData.
    encoding: "HEX",
  };
}
