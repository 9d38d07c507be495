import { MutationCache, QueryClient } from "@tanstack/react-query"
import { createRouter } from "@tanstack/react-router"
import { NotFound } from "@/components/not-found"
import { RouteError } from "@/components/route-error"
import { PageSpinner } from "@/components/ui/spinner"
import { session } from "@/lib/api"
import { ApiError, errorMessage } from "@/lib/errors"
import { toast } from "@/lib/toast"
import { routeTree } from "./routeTree.gen"

declare module "@tanstack/react-query" {
  interface Register {
    mutationMeta: { /** Set when the form shows the error itself. */ inlineErrors?: boolean }
  }
}

export const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // A 4xx will not fix itself; a network blip or a 503 might.
      retry: (failures, error) =>
        failures < 2 && !(error instanceof ApiError && error.status >= 400 && error.status < 500),
      refetchOnWindowFocus: false,
    },
  },
  mutationCache: new MutationCache({
    onError: (error, _variables, _context, mutation) => {
      if (mutation.meta?.inlineErrors) return
      // A 401 after a failed refresh is handled by sending the user to log in.
      if (error instanceof ApiError && error.status === 401 && !session.isAuthenticated) return
      toast.error(errorMessage(error))
    },
  }),
})

export const router = createRouter({
  routeTree,
  context: { queryClient, session },
  defaultPreload: "intent",
  defaultPreloadStaleTime: 0,
  scrollRestoration: true,
  defaultPendingComponent: () => <PageSpinner />,
  defaultPendingMs: 300,
  defaultErrorComponent: RouteError,
  defaultNotFoundComponent: NotFound,
})

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router
  }
}
