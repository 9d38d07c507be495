/**
 * The login session as the browser holds it.
 *
 * The access token lives only in memory. The refresh token is an HttpOnly cookie the
 * page never sees, scoped to the refresh endpoint: trading it for a new access token
 * (`refresh()`) is how a reload keeps the user logged in, and it happens again shortly
 * before each access token expires. Each refresh token works once, so refreshes are
 * serialized, within the tab and (through the Web Locks API) across tabs: two requests
 * carrying the same cookie would look like a replay and end the session.
 */

export const REFRESH_URL = "/api/v1/login/refresh"
/** Requests to these never carry the access token nor trigger a refresh on 401. */
const UNAUTHENTICATED_PATHS = [
  "/api/v1/login/access-token",
  "/api/v1/login/2fa",
  "/api/v1/login/oidc/confirm-link",
  "/api/v1/login/providers",
  REFRESH_URL,
  "/api/v1/password-recovery",
  "/api/v1/reset-password",
  "/api/v1/users/signup",
]
/** Refresh this long before the access token expires (at most a quarter of its life). */
const REFRESH_MARGIN_MS = 60_000

export interface TokenResponse {
  access_token: string
  expires_in: number
}

export type RefreshOutcome = "refreshed" | "logged-out"

export interface SessionOptions {
  fetch?: (request: Request) => Promise<Response>
  now?: () => number
  setTimer?: (callback: () => void, ms: number) => unknown
  clearTimer?: (handle: unknown) => void
  /** Runs `task` while holding a lock shared by every tab (Web Locks when available). */
  withLock?: <T>(task: () => Promise<T>) => Promise<T>
  origin?: string
}

type Listener = () => void

function browserLock<T>(task: () => Promise<T>): Promise<T> {
  if (typeof navigator !== "undefined" && navigator.locks) {
    return navigator.locks.request("session-refresh", task)
  }
  return task()
}

export class Session {
  private accessToken: string | null = null
  private expiresAt = 0
  private lifetimeMs = 0
  private inflight: Promise<RefreshOutcome> | null = null
  private timer: unknown = null
  private readonly changeListeners = new Set<Listener>()
  private readonly expiredListeners = new Set<Listener>()
  private readonly fetchImpl: (request: Request) => Promise<Response>
  private readonly now: () => number
  private readonly setTimer: (callback: () => void, ms: number) => unknown
  private readonly clearTimer: (handle: unknown) => void
  private readonly withLock: <T>(task: () => Promise<T>) => Promise<T>
  private readonly origin: string

  constructor(options: SessionOptions = {}) {
    this.fetchImpl = options.fetch ?? ((request) => globalThis.fetch(request))
    this.now = options.now ?? (() => Date.now())
    this.setTimer = options.setTimer ?? ((callback, ms) => globalThis.setTimeout(callback, ms))
    this.clearTimer =
      options.clearTimer ??
      ((handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>))
    this.withLock = options.withLock ?? browserLock
    this.origin =
      options.origin ??
      (typeof window !== "undefined" ? window.location.origin : "http://localhost")
  }

  get isAuthenticated(): boolean {
    return this.accessToken !== null
  }

  get token(): string | null {
    return this.accessToken
  }

  /** Keep the tokens of a login or refresh answer; schedule the next refresh. */
  start(tokens: TokenResponse): void {
    this.accessToken = tokens.access_token
    this.lifetimeMs = tokens.expires_in * 1000
    this.expiresAt = this.now() + this.lifetimeMs
    this.schedule()
    this.emit(this.changeListeners)
  }

  /** Forget the tokens (after logout, or when the server ended the session). */
  clear(): void {
    const wasAuthenticated = this.isAuthenticated
    this.accessToken = null
    this.expiresAt = 0
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    if (wasAuthenticated) this.emit(this.changeListeners)
  }

  /** The session ended without the user asking (refresh refused): send them to log in. */
  expire(): void {
    const wasAuthenticated = this.isAuthenticated
    this.clear()
    if (wasAuthenticated) this.emit(this.expiredListeners)
  }

  /** Trade the refresh cookie for a new access token; one at a time. */
  refresh(): Promise<RefreshOutcome> {
    if (!this.inflight) {
      this.inflight = this.withLock(() => this.doRefresh()).finally(() => {
        this.inflight = null
      })
    }
    return this.inflight
  }

  private async doRefresh(): Promise<RefreshOutcome> {
    const response = await this.fetchImpl(
      new Request(new URL(REFRESH_URL, this.origin), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
      }),
    )
    if (response.ok) {
      this.start((await response.json()) as TokenResponse)
      return "refreshed"
    }
    if (response.status === 401 || response.status === 403) {
      return "logged-out"
    }
    throw new Error(`Refreshing the session failed with status ${response.status}`)
  }

  private refreshDelay(): number {
    const margin = Math.min(REFRESH_MARGIN_MS, this.lifetimeMs / 4)
    return Math.max(0, this.expiresAt - margin - this.now())
  }

  private schedule(): void {
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = this.setTimer(() => {
      this.timer = null
      this.refresh()
        .then((outcome) => {
          if (outcome === "logged-out") this.expire()
        })
        .catch(() => {
          // The server is unreachable for now: the next request tries again.
        })
    }, this.refreshDelay())
  }

  private isDueForRefresh(): boolean {
    return this.accessToken !== null && this.refreshDelay() === 0
  }

  /**
   * `fetch` for the API client: adds the access token, refreshes it first when it is
   * about to expire, and on a 401 refreshes once and retries. When the refresh is
   * refused the session has ended on the server: listeners are told (go to login).
   */
  fetch = async (request: Request): Promise<Response> => {
    const path = new URL(request.url, this.origin).pathname
    if (UNAUTHENTICATED_PATHS.includes(path)) {
      return this.fetchImpl(request)
    }
    if (this.isDueForRefresh()) {
      await this.refreshOrExpire()
    }
    const retry = request.clone()
    const sentToken = this.accessToken
    const response = await this.fetchImpl(this.authorize(request))
    if (response.status !== 401 || sentToken === null) {
      return response
    }
    // Another request may have refreshed meanwhile; if not, refresh now.
    if (this.accessToken === sentToken && !(await this.refreshOrExpire())) {
      return response
    }
    if (!this.accessToken) return response
    return this.fetchImpl(this.authorize(retry))
  }

  private async refreshOrExpire(): Promise<boolean> {
    let outcome: RefreshOutcome
    try {
      outcome = await this.refresh()
    } catch {
      return this.isAuthenticated
    }
    if (outcome === "logged-out") {
      this.expire()
      return false
    }
    return true
  }

  private authorize(request: Request): Request {
    if (this.accessToken) {
      request.headers.set("Authorization", `Bearer ${this.accessToken}`)
    }
    return request
  }

  onChange(listener: Listener): () => void {
    this.changeListeners.add(listener)
    return () => this.changeListeners.delete(listener)
  }

  onExpired(listener: Listener): () => void {
    this.expiredListeners.add(listener)
    return () => this.expiredListeners.delete(listener)
  }

  private emit(listeners: Set<Listener>): void {
    for (const listener of [...listeners]) listener()
  }
}
