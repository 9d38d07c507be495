import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { Link } from "@tanstack/react-router"
import { useState } from "react"
import { loginStartLink, usersDeleteIdentity } from "@/client/sdk.gen"
import type { UserIdentityPublic } from "@/client/types.gen"
import { linkClasses } from "@/components/auth/auth-layout"
import { Button } from "@/components/ui/button"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { FormAlert } from "@/components/ui/field"
import { Spinner } from "@/components/ui/spinner"
import { useCurrentUser } from "@/hooks/use-current-user"
import { useProviderDisplay } from "@/hooks/use-provider-display"
import { errorMessage } from "@/lib/errors"
import { identitiesQuery, providersQuery } from "@/lib/queries"
import { signInError } from "@/lib/sign-in"
import { toast } from "@/lib/toast"
import { formatDateTime } from "@/lib/utils"
import { SettingsSection } from "./section"

/** The accounts at sign-in providers linked to this one: link another, unlink one. */
export function LinkedAccounts({ linked, error }: { linked?: string; error?: string }) {
  const user = useCurrentUser()
  const queryClient = useQueryClient()
  const providers = useQuery(providersQuery)
  const identities = useQuery(identitiesQuery)
  const [removing, setRemoving] = useState<UserIdentityPublic | null>(null)
  const start = useMutation({
    mutationFn: async (provider: string) =>
      (await loginStartLink({ path: { provider }, throwOnError: true })).data,
    // Off to the provider; the server brings the browser back here.
    onSuccess: (answer) => window.location.assign(answer.authorization_url),
  })
  const unlink = useMutation({
    mutationFn: (identity: UserIdentityPublic) =>
      usersDeleteIdentity({ path: { identity_id: identity.id }, throwOnError: true }),
    meta: { inlineErrors: true },
    // The refusal (the last way to sign in) is shown in the section.
    onError: () => setRemoving(null),
    onSuccess: async () => {
      setRemoving(null)
      toast.success("Provider unlinked")
      await queryClient.invalidateQueries({ queryKey: identitiesQuery.queryKey })
    },
  })
  const display = useProviderDisplay()
  const linkedNames = new Set(identities.data?.map((identity) => identity.provider))
  const linkable = (providers.data ?? []).filter((provider) => !linkedNames.has(provider.name))

  return (
    <SettingsSection
      title="Linked accounts"
      description="Sign in with an account you have elsewhere. Link it here once."
    >
      <div className="space-y-4">
        {linked && <FormAlert tone="success" message={`${display(linked)} is linked.`} />}
        <FormAlert
          message={signInError(error) ?? (unlink.error ? errorMessage(unlink.error) : null)}
        />
        {!user.has_password && (
          <p className="text-sm text-zinc-700 dark:text-zinc-300">
            Your account has no password: you sign in only through a provider. To set one, use{" "}
            <Link to="/recover-password" className={linkClasses}>
              password recovery
            </Link>
            .
          </p>
        )}
        {identities.isPending ? (
          <Spinner />
        ) : identities.data && identities.data.length > 0 ? (
          <ul
            aria-label="Linked accounts"
            className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800"
          >
            {identities.data.map((identity) => (
              <li key={identity.id} className="flex items-center justify-between gap-3 p-3">
                <div className="min-w-0 text-sm">
                  <p className="font-medium text-zinc-900 dark:text-white">
                    {display(identity.provider)}
                  </p>
                  <p className="truncate text-zinc-600 dark:text-zinc-400">
                    {identity.email ?? "No email shared"} · linked{" "}
                    {formatDateTime(identity.created_at)}
                  </p>
                </div>
                <Button
                  variant="outline"
                  size="sm"
                  onClick={() => setRemoving(identity)}
                  aria-label={`Unlink ${display(identity.provider)}`}
                >
                  Unlink
                </Button>
              </li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-zinc-600 dark:text-zinc-400">No linked accounts yet.</p>
        )}
        {linkable.length > 0 && (
          <div className="flex flex-wrap gap-2">
            {linkable.map((provider) => (
              <Button
                key={provider.name}
                variant="outline"
                loading={start.isPending && start.variables === provider.name}
                onClick={() => start.mutate(provider.name)}
              >
                Link {provider.display}
              </Button>
            ))}
          </div>
        )}
      </div>
      <ConfirmDialog
        open={removing !== null}
        onClose={() => {
          setRemoving(null)
          unlink.reset()
        }}
        onConfirm={() => removing && unlink.mutate(removing)}
        pending={unlink.isPending}
        title={`Unlink ${removing ? display(removing.provider) : "provider"}?`}
        description="You won't be able to sign in with it any more, until you link it again."
        confirmLabel="Unlink"
      />
    </SettingsSection>
  )
}
