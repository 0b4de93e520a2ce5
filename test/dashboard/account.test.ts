/** The account part of the dashboard: the snippet tag and what is said under it. */
import { describe, expect, it } from "vitest";
import type { Account } from "../../dashboard/api";
import { defaultPoolWords, renderSite } from "../../dashboard/views/account";

const account = (defaultPool: string | null): Account =>
  ({ id: "a", name: "Shop", siteKey: "pk_abc", allowedOrigins: ["https://shop.example"], defaultPool }) as unknown as Account;

describe("the site tag", () => {
  it("without a default pool says the tag as shown leases nothing, and how to name or make one", () => {
    expect(defaultPoolWords("web")).toBe("");
    expect(defaultPoolWords(null)).toContain('data-pool="<pool id>"');
    const v = { tag: document.createElement("code"), origins: document.createElement("p") };
    renderSite(v, account(null), "https://dni.example");
    expect(v.tag.textContent).toBe('<script async src="https://dni.example/dni.js" data-key="pk_abc"></script>');
    expect(v.origins.textContent).toContain("No pool is the default");
    renderSite(v, account("web"), "https://dni.example");
    expect(v.origins.textContent).toBe("Pages of https://shop.example may use it (PATCH /v1/account allowedOrigins).");
  });
});
