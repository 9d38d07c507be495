import { QueryClientProvider } from "@tanstack/react-query"
import { RouterProvider } from "@tanstack/react-router"
import { StrictMode } from "react"
import { createRoot } from "react-dom/client"
import "./index.css"
import { onLogoutElsewhere, session } from "@/lib/api"
import { forgetAccountData } from "@/lib/queries"
import { applyTheme, storedTheme } from "@/lib/theme"
import { toast } from "@/lib/toast"
import { queryClient, router } from "./router"

applyTheme(storedTheme())

session.onExpired(() => {
  toast.info("Your session has ended", "Please log in again.")
  const here = router.state.location
  void router
    .navigate({ to: "/login", search: { redirect: here.href } })
    .then(() => forgetAccountData(queryClient))
})

onLogoutElsewhere(() => {
  if (!session.isAuthenticated) return
  session.clear()
  void router
    .navigate({ to: "/login", search: { notice: "logged-out" } })
    .then(() => forgetAccountData(queryClient))
})

async function start() {
  // A reload keeps the user logged in: the refresh cookie buys a new access token.
  try {
    await session.refresh()
  } catch {
    // The server can't be reached: start logged out, the login page will say more.
  }
  const root = document.getElementById("root")
  if (!root) throw new Error("index.html has no #root element")
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </StrictMode>,
  )
}

void start()
