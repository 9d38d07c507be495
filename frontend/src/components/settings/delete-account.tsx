import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useRouter } from "@tanstack/react-router"
import { useState } from "react"
import { usersDeleteUserMe } from "@/client/sdk.gen"
import { Button } from "@/components/ui/button"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { session } from "@/lib/api"
import { forgetAccountData } from "@/lib/queries"
import { SettingsSection } from "./section"

export function DeleteAccount() {
  const [confirming, setConfirming] = useState(false)
  const router = useRouter()
  const queryClient = useQueryClient()
  const remove = useMutation({
    mutationFn: () => usersDeleteUserMe({ throwOnError: true }),
    onSuccess: async () => {
      session.clear()
      await router.navigate({ to: "/login", search: { notice: "account-deleted" } })
      forgetAccountData(queryClient)
    },
  })
  return (
    <SettingsSection
      title="Delete account"
      description="Remove your account and everything in it. This can't be undone."
    >
      <div className="rounded-xl border border-red-200 bg-red-50/60 p-4 dark:border-red-900/60 dark:bg-red-950/30">
        <p className="text-sm text-red-800 dark:text-red-200">
          Your items are deleted with your account, and you are logged out right away.
        </p>
        <Button variant="danger" className="mt-4" onClick={() => setConfirming(true)}>
          Delete my account
        </Button>
      </div>
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        onConfirm={() => remove.mutate()}
        pending={remove.isPending}
        title="Delete your account?"
        description="Your account and all of your items will be deleted for good. This can't be undone."
        confirmLabel="Delete my account"
      />
    </SettingsSection>
  )
}
