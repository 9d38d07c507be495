import { describe, expect, it } from "vitest"
import { describeMethod, describeUserAgent } from "./sessions"

describe("describeUserAgent", () => {
  it.each([
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0",
      "Firefox on Windows",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Safari/605.1.15",
      "Safari on macOS",
    ],
    [
      "Mozilla/5.0 (iPhone; CPU iPhone OS 18_3 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.3 Mobile/15E148 Safari/604.1",
      "Safari on iOS",
    ],
    [
      "Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Mobile Safari/537.36",
      "Chrome on Android",
    ],
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36",
      "Chrome on Linux",
    ],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/133.0.0.0 Safari/537.36 Edg/133.0.0.0",
      "Edge on Windows",
    ],
    ["curl/8.11.1", "curl/8.11.1"],
    [`python-httpx/0.28 ${"x".repeat(80)}`, `python-httpx/0.28 ${"x".repeat(41)}…`],
    [null, "Unknown browser"],
  ])("%s", (agent, expected) => {
    expect(describeUserAgent(agent)).toBe(expected)
  })
})

describe("describeMethod", () => {
  const display = (provider: string) => (provider === "github" ? "GitHub" : provider)

  it.each([
    ["password", "Password"],
    ["password+totp", "Password and an authenticator code"],
    ["password+recovery_code", "Password and a recovery code"],
    ["oidc:github", "GitHub"],
    ["oidc:github+totp", "GitHub and an authenticator code"],
  ])("%s", (method, expected) => {
    expect(describeMethod(method, display)).toBe(expected)
  })
})
