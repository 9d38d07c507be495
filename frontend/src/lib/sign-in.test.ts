import { describe, expect, it } from "vitest"
import { authorizeUrl, needsSecondStep, SIGN_IN_ERRORS, signInError } from "./sign-in"

describe("sign-in at a provider", () => {
  it("starts at the server's authorize endpoint, with where to go after", () => {
    expect(authorizeUrl("google")).toBe("/api/v1/login/oidc/google/authorize")
    expect(authorizeUrl("google", "/")).toBe("/api/v1/login/oidc/google/authorize")
    expect(authorizeUrl("github", "/items?page=2")).toBe(
      "/api/v1/login/oidc/github/authorize?next=%2Fitems%3Fpage%3D2",
    )
  })

  it("words every error code the callback sends, and any other one too", () => {
    expect(signInError(undefined)).toBeNull()
    expect(signInError("email_not_verified")).toBe(
      "The provider has not verified your email address.",
    )
    expect(signInError("something_new")).toBe("The sign-in did not succeed. Please try again.")
    // The codes of backend/app/oidc.py, crud's refusals and the routes' own.
    expect(Object.keys(SIGN_IN_ERRORS).sort()).toEqual(
      [
        "access_denied",
        "account_exists",
        "email_not_verified",
        "identity_in_use",
        "inactive",
        "invalid_id_token",
        "invalid_state",
        "link_from_settings",
        "no_email",
        "provider_refused",
        "provider_unavailable",
        "session_ended",
        "signup_closed",
      ].sort(),
    )
  })

  it("tells a second step from a session", () => {
    expect(needsSecondStep({ two_factor_token: "t", expires_in: 300 })).toBe(true)
    expect(needsSecondStep({ access_token: "a", refresh_token: "r", expires_in: 900 })).toBe(false)
  })
})
