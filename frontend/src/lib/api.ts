/** The generated API client, wired to the session: tokens, refresh and readable errors. */
import { client } from "@/client/client.gen"
import { ApiError } from "./errors"
import { Session } from "./session"

export const session = new Session()

client.setConfig({
  baseUrl: "",
  credentials: "same-origin",
  // The client always hands `fetch` a Request; the session adds the token to it.
  fetch: (input) => session.fetch(input as Request),
})

client.interceptors.error.use(
  (error, response) => new ApiError(response ? response.status : 0, error),
)

/** Tells the app's other tabs that this browser logged out (they follow). */
const tabs = typeof BroadcastChannel !== "undefined" ? new BroadcastChannel("session") : null

export function announceLogout(): void {
  tabs?.postMessage("logged-out")
}

export function onLogoutElsewhere(listener: () => void): void {
  tabs?.addEventListener("message", (event) => {
    if (event.data === "logged-out") listener()
  })
}

export { client }
