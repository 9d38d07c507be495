/** What the provider sign-in and the second step share with the login page. */
import type { Token, TwoFactorChallenge } from "@/client/types.gen"

/** The `error` codes the server's provider callback sends the browser back with. */
export const SIGN_IN_ERRORS: Record<string, string> = {
  invalid_state: "That sign-in could not be verified. Please start again.",
  access_denied: "The sign-in was cancelled at the provider.",
  provider_unavailable: "The provider could not be reached. Please try again in a moment.",
  provider_refused: "The provider refused the sign-in. Please start again.",
  invalid_id_token: "The provider's answer could not be verified. Please start again.",
  no_email: "The provider did not share an email address with us.",
  email_not_verified: "The provider has not verified your email address.",
  account_exists:
    "An account with this email already exists, and the provider has not verified the address. Log in with your password instead.",
  link_from_settings:
    "An account with this email already exists. Log in the way you did before, then link this provider in Settings.",
  signup_closed: "Signing up is closed on this server: ask an administrator for an account.",
  inactive: "This account is inactive. Ask an administrator to reactivate it.",
  session_ended: "Your session ended before the provider answered. Log in and try again.",
  identity_in_use: "That provider account is already linked to another user.",
}

export function signInError(code: string | undefined): string | null {
  if (!code) return null
  return SIGN_IN_ERRORS[code] ?? "The sign-in did not succeed. Please try again."
}

export function needsSecondStep(answer: Token | TwoFactorChallenge): answer is TwoFactorChallenge {
  return "two_factor_token" in answer
}

/** The provider's sign-in page, through the server (which adds state, nonce and PKCE). */
export function authorizeUrl(provider: string, next?: string): string {
  const query = next && next !== "/" ? `?${new URLSearchParams({ next })}` : ""
  return `/api/v1/login/oidc/${encodeURIComponent(provider)}/authorize${query}`
}
