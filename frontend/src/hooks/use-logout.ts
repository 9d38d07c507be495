import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useRouter } from "@tanstack/react-router"
import { loginLogout } from "@/client/sdk.gen"
import { announceLogout, session } from "@/lib/api"
import { forgetAccountData } from "@/lib/queries"

/** End the session on the server (its refresh cookie stops working), then here. */
export function useLogout() {
  const router = useRouter()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: () => loginLogout({ throwOnError: true }),
    meta: { inlineErrors: true },
    onSettled: async () => {
      session.clear()
      announceLogout()
      await router.navigate({ to: "/login", search: { notice: "logged-out" } })
      forgetAccountData(queryClient)
    },
  })
}
