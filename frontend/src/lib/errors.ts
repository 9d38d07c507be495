/** Errors from the API, and the words a person reads about them. */

export class ApiError extends Error {
  readonly status: number
  readonly body: unknown

  constructor(status: number, body: unknown) {
    super(describeApiError(status, body))
    this.name = "ApiError"
    this.status = status
    this.body = body
  }
}

interface ValidationIssue {
  loc?: (string | number)[]
  msg?: string
}

/** Server messages that read better said another way. */
const FRIENDLIER: Record<string, string> = {
  "Inactive user": "This account is inactive. Ask an administrator to reactivate it.",
  "Email not verified":
    "Confirm your email address first: follow the link in the email we sent you.",
  "A user with this email already exists": "An account with this email already exists.",
  "The user doesn't have enough privileges": "You are not allowed to do that.",
  "Invalid or expired reset token":
    "This password reset link is invalid or has expired. Ask for a new one.",
  "Incorrect password": "Your current password is incorrect.",
  "Invalid, expired or already used verification link":
    "This confirmation link is invalid, has expired or was already used.",
  "Invalid authentication code": "That code is not valid. Check it and try again.",
  "The login's second step expired or is unknown: log in again":
    "This login has expired. Log in again.",
  "The provider sign-in expired: start again":
    "This sign-in has expired. Start again from the login page.",
  "Turn on two-factor authentication to use superuser rights":
    "Turn on two-factor authentication (Settings, Sign-in) to use superuser rights.",
}

const FIELD_NAMES: Record<string, string> = {
  full_name: "Full name",
  new_password: "New password",
  current_password: "Current password",
  username: "Email",
}

function fieldName(loc: (string | number)[] | undefined): string | null {
  const last = loc?.filter((part) => part !== "body").at(-1)
  if (last === undefined || typeof last === "number") return null
  return FIELD_NAMES[last] ?? last.charAt(0).toUpperCase() + last.slice(1).replaceAll("_", " ")
}

function detailOf(body: unknown): unknown {
  return body && typeof body === "object" && "detail" in body
    ? (body as { detail: unknown }).detail
    : undefined
}

export function describeApiError(status: number, body: unknown): string {
  const detail = detailOf(body)
  if (status === 0) {
    return "Can't reach the server. Check your connection and try again."
  }
  if (Array.isArray(detail) && detail.length > 0) {
    const issue = detail[0] as ValidationIssue
    const field = fieldName(issue.loc)
    const message = (issue.msg ?? "is invalid").replace(/^Value error, /, "")
    return field ? `${field}: ${message}` : message
  }
  if (typeof detail === "string" && detail) {
    if (status >= 500 && status !== 503) {
      return "Something went wrong on our side. Please try again in a moment."
    }
    return FRIENDLIER[detail] ?? (detail.endsWith(".") ? detail : `${detail}.`)
  }
  switch (status) {
    case 401:
      return "Your session has ended. Please log in again."
    case 403:
      return "You are not allowed to do that."
    case 404:
      return "We couldn't find that. It may have been deleted."
    case 409:
      return "That conflicts with existing data."
    case 429:
      return "Too many attempts. Please wait a moment and try again."
    default:
      return status >= 500
        ? "Something went wrong on our side. Please try again in a moment."
        : "The request could not be completed."
  }
}

/** A message for any error thrown while talking to the API, or by our own code. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message
  if (error instanceof Error && error.message) return error.message
  return "Something went wrong. Please try again."
}

export function isApiError(error: unknown, status?: number): error is ApiError {
  return error instanceof ApiError && (status === undefined || error.status === status)
}
