import { describe, expect, it } from "vitest"
import { ApiError, describeApiError, errorMessage } from "./errors"

describe("describeApiError", () => {
  it("uses the server's message, friendlier where we know one", () => {
    expect(describeApiError(401, { detail: "Incorrect email or password" })).toBe(
      "Incorrect email or password.",
    )
    expect(describeApiError(403, { detail: "Inactive user" })).toBe(
      "This account is inactive. Ask an administrator to reactivate it.",
    )
    expect(describeApiError(409, { detail: "A user with this email already exists" })).toBe(
      "An account with this email already exists.",
    )
  })

  it("names the field of a 422", () => {
    const body = {
      detail: [
        { loc: ["body", "full_name"], msg: "String should have at most 255 characters", type: "x" },
      ],
    }
    expect(describeApiError(422, body)).toBe("Full name: String should have at most 255 characters")
    const model = {
      detail: [{ loc: ["body"], msg: "Value error, current_password is required", type: "x" }],
    }
    expect(describeApiError(422, model)).toBe("current_password is required")
  })

  it("never shows internals of a 500", () => {
    expect(describeApiError(500, { detail: "Internal server error", request_id: "abc" })).toBe(
      "Something went wrong on our side. Please try again in a moment.",
    )
    expect(describeApiError(502, "<html>Bad gateway</html>")).toBe(
      "Something went wrong on our side. Please try again in a moment.",
    )
  })

  it("explains a network failure and a rate limit", () => {
    expect(describeApiError(0, new TypeError("Failed to fetch"))).toBe(
      "Can't reach the server. Check your connection and try again.",
    )
    expect(
      describeApiError(429, { detail: "Too many failed logins; try again in 30 seconds" }),
    ).toBe("Too many failed logins; try again in 30 seconds.")
    expect(describeApiError(429, {})).toBe("Too many attempts. Please wait a moment and try again.")
  })

  it("errorMessage reads any thrown value", () => {
    expect(errorMessage(new ApiError(404, {}))).toBe(
      "We couldn't find that. It may have been deleted.",
    )
    expect(errorMessage(new Error("boom"))).toBe("boom")
    expect(errorMessage("???")).toBe("Something went wrong. Please try again.")
  })
})
