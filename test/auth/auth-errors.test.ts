import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { toAuthError } from "../../src/auth/errors.js";

describe("token failures, named", () => {
  it("reads the AADSTS number from the structured answer before the message's text", () => {
    const error = Object.assign(new Error("invalid_client: the secret is wrong (see the trace)"), {
      errorResponse: { error: "invalid_client", errorCodes: [7000215] },
    });
    const named = toAuthError(error);
    assert.equal(named.code, "AUTH_INVALID_SECRET");
    assert.equal(named.aadsts, 7000215);
  });

  it("falls back to the message's AADSTS text", () => {
    const named = toAuthError(
      new Error("AADSTS700016: Application with identifier 'x' was not found. Trace ID: 1"),
    );
    assert.equal(named.code, "AUTH_APP_NOT_FOUND");
    assert.match(named.message, /^Entra ID refused the token request: AADSTS700016: Application/);
  });

  it("keeps what each credential of a chain tried, one line each", () => {
    const chain = Object.assign(new Error("ChainedTokenCredential authentication failed."), {
      name: "AggregateAuthenticationError",
      errors: [
        new Error("EnvironmentCredential is unavailable. No underlying credential could be used.\nmore"),
        new Error("ManagedIdentityCredential: Network unreachable."),
      ],
    });
    assert.deepEqual(toAuthError(chain).tried, [
      "EnvironmentCredential is unavailable. No underlying credential could be used.",
      "ManagedIdentityCredential: Network unreachable.",
    ]);
  });
});
