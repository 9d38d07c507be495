import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import { teamsCreateInvitation, teamsDeleteInvitation } from "@/client/sdk.gen"
import type { InvitedRole, TeamPublic } from "@/client/types.gen"
import { SettingsSection } from "@/components/settings/section"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { errorMessage } from "@/lib/errors"
import { invitationsQuery } from "@/lib/queries"
import { ROLE_LABELS } from "@/lib/team"
import { toast } from "@/lib/toast"
import { formatDate } from "@/lib/utils"

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Invite people by email, and see or revoke the invitations not yet accepted (admins). */
export function Invitations({ team }: { team: TeamPublic }) {
  const [email, setEmail] = useState("")
  const [role, setRole] = useState<InvitedRole>("member")
  const [invalid, setInvalid] = useState<string | undefined>()
  const pending = useQuery(invitationsQuery(team.id))
  const queryClient = useQueryClient()
  const refresh = () =>
    queryClient.invalidateQueries({ queryKey: ["teams", team.id, "invitations"] })
  const invite = useMutation({
    mutationFn: async () =>
      (
        await teamsCreateInvitation({
          path: { team_id: team.id },
          body: { email: email.trim(), role },
          throwOnError: true,
        })
      ).data,
    onSuccess: async (invitation) => {
      setEmail("")
      await refresh()
      toast.success("Invitation sent", `We emailed a link to ${invitation.email}.`)
    },
  })
  const revoke = useMutation({
    mutationFn: async (invitationId: string) =>
      teamsDeleteInvitation({
        path: { team_id: team.id, invitation_id: invitationId },
        throwOnError: true,
      }),
    onSuccess: async () => {
      await refresh()
      toast.success("Invitation revoked")
    },
  })

  return (
    <SettingsSection
      title="Invitations"
      description="Invite someone by email: the link works once, for that address, after they sign in."
    >
      <form
        noValidate
        className="space-y-4"
        onSubmit={(event) => {
          event.preventDefault()
          if (!EMAIL.test(email.trim())) return setInvalid("Enter an email address")
          setInvalid(undefined)
          invite.mutate()
        }}
      >
        <FormAlert message={invite.error ? errorMessage(invite.error) : null} />
        <div className="flex flex-wrap items-end gap-3">
          <InputField
            className="min-w-0 flex-1"
            label="Email"
            type="email"
            required
            value={email}
            error={invalid}
            onChange={(event) => setEmail(event.target.value)}
          />
          <div>
            <label
              htmlFor="invitation-role"
              className="mb-1.5 block text-sm font-medium text-zinc-800 dark:text-zinc-200"
            >
              Role
            </label>
            <select
              id="invitation-role"
              value={role}
              onChange={(event) => setRole(event.target.value as InvitedRole)}
              className="h-10 rounded-lg border border-zinc-300 bg-white px-2 text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
            >
              <option value="member">{ROLE_LABELS.member}</option>
              <option value="admin">{ROLE_LABELS.admin}</option>
            </select>
          </div>
          <Button type="submit" loading={invite.isPending}>
            Send invitation
          </Button>
        </div>
      </form>
      <FormAlert message={revoke.error ? errorMessage(revoke.error) : null} />
      {pending.data && pending.data.count > 0 && (
        <ul
          className="mt-5 divide-y divide-zinc-200 dark:divide-zinc-800"
          aria-label="Pending invitations"
        >
          {pending.data.data.map((invitation) => (
            <li key={invitation.id} className="flex flex-wrap items-center gap-3 py-3">
              <div className="min-w-0 flex-1">
                <p className="truncate text-sm font-medium text-zinc-900 dark:text-white">
                  {invitation.email}
                </p>
                <p className="text-xs text-zinc-600 dark:text-zinc-400">
                  {ROLE_LABELS[invitation.role]}, until {formatDate(invitation.expires_at)}
                </p>
              </div>
              <Button
                variant="outline"
                size="sm"
                loading={revoke.isPending && revoke.variables === invitation.id}
                onClick={() => revoke.mutate(invitation.id)}
              >
                Revoke<span className="sr-only"> the invitation of {invitation.email}</span>
              </Button>
            </li>
          ))}
        </ul>
      )}
    </SettingsSection>
  )
}
