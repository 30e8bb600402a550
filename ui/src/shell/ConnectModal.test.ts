// The Connect form as it first renders: the customer apart from the app registration, GUID
// fields wide enough, and the custom endpoints folded away unless Custom is the cloud.
import { describe, expect, it } from "vitest";
import { render } from "svelte/server";
import ConnectModal from "./ConnectModal.svelte";

describe("Connect modal", () => {
  const { body } = render(ConnectModal, { props: { onclose: () => {} } });

  it("keeps the customer's name apart from the app registration's IDs", () => {
    const customer = body.search(/<legend[^>]*>Your customer<\/legend>/);
    const app = body.search(/<legend[^>]*>App registration in Entra ID/);
    expect(customer).toBeGreaterThan(-1);
    expect(app).toBeGreaterThan(customer);
    // The client name sits in the customer's fieldset, the Client ID in the app registration's.
    expect(body.indexOf('data-testid="connect-client-name"')).toBeGreaterThan(customer);
    expect(body.indexOf('data-testid="connect-client-name"')).toBeLessThan(app);
    expect(body.indexOf('data-testid="connect-client"')).toBeGreaterThan(app);
  });

  it("gives the tenant and client IDs GUID-wide fields", () => {
    expect(body).toMatch(/class="mono guid[^"]*"[^>]*data-testid="connect-tenant"/);
    expect(body).toMatch(/class="mono guid[^"]*"[^>]*data-testid="connect-client"/);
  });

  it("folds the authority and CA away unless Custom is chosen", () => {
    expect(body).not.toContain('data-testid="connect-authority"');
    expect(body).not.toContain('data-testid="connect-ca"');
    expect(body).toContain("Choose Custom for a private endpoint or an extra root CA.");
  });
});
