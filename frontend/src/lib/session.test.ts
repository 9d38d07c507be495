import { describe, expect, it, vi } from "vitest"
import { REFRESH_URL, Session } from "./session"

const ORIGIN = "http://app.test"

function tokenResponse(token: string, expiresIn = 900) {
  return new Response(JSON.stringify({ access_token: token, expires_in: expiresIn }), {
    status: 200,
    headers: { "Content-Type": "application/json" },
  })
}

/** A session whose network, clock and timers the test drives. */
function harness(handler: (request: Request) => Response | Promise<Response>) {
  let now = 1_000_000
  const timers: { at: number; callback: () => void }[] = []
  const requests: Request[] = []
  const session = new Session({
    origin: ORIGIN,
    fetch: async (request) => {
      requests.push(request)
      return handler(request)
    },
    now: () => now,
    setTimer: (callback, ms) => {
      const timer = { at: now + ms, callback }
      timers.push(timer)
      return timer
    },
    clearTimer: (handle) => {
      const index = timers.indexOf(handle as (typeof timers)[number])
      if (index >= 0) timers.splice(index, 1)
    },
    withLock: (task) => task(),
  })
  return {
    session,
    requests,
    timers,
    advance: (ms: number) => {
      now += ms
    },
    fireDueTimers: () => {
      for (const timer of timers.filter((t) => t.at <= now)) {
        timers.splice(timers.indexOf(timer), 1)
        timer.callback()
      }
    },
  }
}

const isRefresh = (request: Request) => new URL(request.url).pathname === REFRESH_URL

describe("Session.refresh", () => {
  it("keeps the new access token when the refresh cookie is accepted", async () => {
    const { session, requests } = harness(() => tokenResponse("fresh"))
    await expect(session.refresh()).resolves.toBe("refreshed")
    expect(session.token).toBe("fresh")
    expect(requests[0]?.method).toBe("POST")
    expect(requests[0]?.credentials).toBe("same-origin")
  })

  it("reports logged out when the server refuses the cookie", async () => {
    const { session } = harness(() => new Response(null, { status: 401 }))
    await expect(session.refresh()).resolves.toBe("logged-out")
    expect(session.isAuthenticated).toBe(false)
  })

  it("sends one request for concurrent refreshes (a refresh token works once)", async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const { session, requests } = harness(async () => {
      await gate
      return tokenResponse("once")
    })
    const first = session.refresh()
    const second = session.refresh()
    release()
    await expect(Promise.all([first, second])).resolves.toEqual(["refreshed", "refreshed"])
    expect(requests).toHaveLength(1)
  })

  it("throws on a server error, so a reload does not count as a logout", async () => {
    const { session } = harness(() => new Response(null, { status: 503 }))
    await expect(session.refresh()).rejects.toThrow(/503/)
  })
})

describe("Session timing", () => {
  it("refreshes a minute before a 15-minute token expires", async () => {
    const { session, timers, advance, fireDueTimers, requests } = harness(() =>
      tokenResponse("next"),
    )
    session.start({ access_token: "first", expires_in: 900 })
    expect(timers).toHaveLength(1)
    expect(timers[0]?.at).toBe(1_000_000 + 840_000)

    advance(839_000)
    fireDueTimers()
    expect(requests).toHaveLength(0)
    advance(1_000)
    fireDueTimers()
    await vi.waitFor(() => expect(session.token).toBe("next"))
    expect(requests).toHaveLength(1)
    // And the next refresh is scheduled from the new token.
    expect(timers).toHaveLength(1)
  })

  it("refreshes at three quarters of a short token's life", () => {
    const { session, timers } = harness(() => tokenResponse("x"))
    session.start({ access_token: "short", expires_in: 60 })
    expect(timers[0]?.at).toBe(1_000_000 + 45_000)
  })

  it("expires the session when the scheduled refresh is refused", async () => {
    const { session, advance, fireDueTimers } = harness(() => new Response(null, { status: 401 }))
    const expired = vi.fn()
    session.onExpired(expired)
    session.start({ access_token: "first", expires_in: 900 })
    advance(900_000)
    fireDueTimers()
    await vi.waitFor(() => expect(expired).toHaveBeenCalledOnce())
    expect(session.isAuthenticated).toBe(false)
  })

  it("clear() stops the refresh timer and tells listeners", () => {
    const { session, timers } = harness(() => tokenResponse("x"))
    const changed = vi.fn()
    session.start({ access_token: "first", expires_in: 900 })
    session.onChange(changed)
    session.clear()
    expect(timers).toHaveLength(0)
    expect(changed).toHaveBeenCalledOnce()
  })
})

describe("Session.fetch", () => {
  it("adds the access token to API requests", async () => {
    const { session, requests } = harness(() => new Response("{}", { status: 200 }))
    session.start({ access_token: "abc", expires_in: 900 })
    await session.fetch(new Request(`${ORIGIN}/api/v1/items/`))
    expect(requests[0]?.headers.get("Authorization")).toBe("Bearer abc")
  })

  it("never sends the token to login endpoints", async () => {
    const { session, requests } = harness(() => new Response("{}", { status: 200 }))
    session.start({ access_token: "abc", expires_in: 900 })
    await session.fetch(new Request(`${ORIGIN}/api/v1/login/access-token`, { method: "POST" }))
    expect(requests[0]?.headers.get("Authorization")).toBeNull()
  })

  it("refreshes first when the token is about to expire", async () => {
    const { session, requests, advance } = harness((request) =>
      isRefresh(request) ? tokenResponse("renewed") : new Response("{}", { status: 200 }),
    )
    session.start({ access_token: "old", expires_in: 900 })
    advance(880_000)
    await session.fetch(new Request(`${ORIGIN}/api/v1/users/me`))
    expect(requests.map((r) => new URL(r.url).pathname)).toEqual([REFRESH_URL, "/api/v1/users/me"])
    expect(requests[1]?.headers.get("Authorization")).toBe("Bearer renewed")
  })

  it("on a 401 refreshes once and retries the request with its body", async () => {
    const { session, requests } = harness(async (request) => {
      if (isRefresh(request)) return tokenResponse("renewed")
      const auth = request.headers.get("Authorization")
      return new Response(await request.text(), { status: auth === "Bearer renewed" ? 201 : 401 })
    })
    session.start({ access_token: "revoked-on-server", expires_in: 900 })
    const response = await session.fetch(
      new Request(`${ORIGIN}/api/v1/items/`, { method: "POST", body: '{"title":"x"}' }),
    )
    expect(response.status).toBe(201)
    expect(await response.text()).toBe('{"title":"x"}')
    expect(requests).toHaveLength(3)
  })

  it("on a 401 that a refresh cannot fix, ends the session and tells listeners", async () => {
    const { session } = harness(() => new Response(null, { status: 401 }))
    const expired = vi.fn()
    session.onExpired(expired)
    session.start({ access_token: "dead", expires_in: 900 })
    const response = await session.fetch(new Request(`${ORIGIN}/api/v1/users/me`))
    expect(response.status).toBe(401)
    expect(session.isAuthenticated).toBe(false)
    expect(expired).toHaveBeenCalledOnce()
  })

  it("leaves a 403 alone: not allowed is not logged out", async () => {
    const { session, requests } = harness(() => new Response(null, { status: 403 }))
    session.start({ access_token: "abc", expires_in: 900 })
    const response = await session.fetch(new Request(`${ORIGIN}/api/v1/users/`))
    expect(response.status).toBe(403)
    expect(requests).toHaveLength(1)
    expect(session.isAuthenticated).toBe(true)
  })
})
