import { createFileRoute, Outlet, redirect } from "@tanstack/react-router"
import { AppShell } from "@/components/layout/app-shell"
import { isApiError } from "@/lib/errors"
import { currentUserQuery, teamsQuery } from "@/lib/queries"

/** Every page behind login: logged-out visitors are sent to log in, and back here after. */
export const Route = createFileRoute("/_app")({
  beforeLoad: async ({ context, location }) => {
    const toLogin = () => redirect({ to: "/login", search: { redirect: location.href } })
    if (!context.session.isAuthenticated) throw toLogin()
    try {
      await context.queryClient.ensureQueryData(currentUserQuery)
      await context.queryClient.ensureQueryData(teamsQuery)
    } catch (error) {
      if (isApiError(error, 401)) throw toLogin()
      throw error
    }
  },
  component: () => (
    <AppShell>
      <Outlet />
    </AppShell>
  ),
})
