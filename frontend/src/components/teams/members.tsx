import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import { teamsDeleteMember, teamsUpdateMember } from "@/client/sdk.gen"
import type { TeamMemberPublic, TeamPublic, TeamRole } from "@/client/types.gen"
import { SettingsSection } from "@/components/settings/section"
import { Badge } from "@/components/ui/badge"
import { Button } from "@/components/ui/button"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { FormAlert } from "@/components/ui/field"
import { useCurrentUser } from "@/hooks/use-current-user"
import { errorMessage } from "@/lib/errors"
import { membersQuery } from "@/lib/queries"
import { atLeast, ROLE_LABELS } from "@/lib/team"
import { toast } from "@/lib/toast"

/** The team's members: admins change roles and remove members; anyone may leave. */
export function Members({ team }: { team: TeamPublic }) {
  const user = useCurrentUser()
  const members = useQuery(membersQuery(team.id))
  const queryClient = useQueryClient()
  const [removing, setRemoving] = useState<TeamMemberPublic | null>(null)
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["teams"] })
  const manages = atLeast(team, user.is_superuser, "admin")
  const owns = atLeast(team, user.is_superuser, "owner")

  const changeRole = useMutation({
    mutationFn: async ({ member, role }: { member: TeamMemberPublic; role: TeamRole }) =>
      (
        await teamsUpdateMember({
          path: { team_id: team.id, user_id: member.user_id },
          body: { role },
          throwOnError: true,
        })
      ).data,
    onSuccess: async (member) => {
      await refresh()
      toast.success("Role changed", `${member.email} is now ${ROLE_LABELS[member.role]}.`)
    },
  })
  const remove = useMutation({
    mutationFn: async (member: TeamMemberPublic) =>
      teamsDeleteMember({
        path: { team_id: team.id, user_id: member.user_id },
        throwOnError: true,
      }),
    onSuccess: async (_, member) => {
      setRemoving(null)
      await refresh()
      if (member.user_id === user.id) toast.success("You left the team", team.name)
      else toast.success("Member removed", member.email)
    },
  })
  const leaving = removing?.user_id === user.id

  return (
    <SettingsSection title="Members" description="Who is in the team, and what each may do.">
      <FormAlert
        message={
          changeRole.error
            ? errorMessage(changeRole.error)
            : remove.error
              ? errorMessage(remove.error)
              : members.error
                ? errorMessage(members.error)
                : null
        }
      />
      <ul className="divide-y divide-zinc-200 dark:divide-zinc-800" aria-label="Members">
        {members.data?.data.map((member) => {
          const self = member.user_id === user.id
          const editable = manages && (owns || member.role !== "owner")
          return (
            <li key={member.user_id} className="flex flex-wrap items-center gap-3 py-3">
              <div className="min-w-0 flex-1">
                <p className="truncate text-sm font-medium text-zinc-900 dark:text-white">
                  {member.full_name || member.email}
                  {self && <span className="text-zinc-500 dark:text-zinc-400"> (you)</span>}
                </p>
                {member.full_name && (
                  <p className="truncate text-xs text-zinc-600 dark:text-zinc-400">
                    {member.email}
                  </p>
                )}
              </div>
              {editable && !team.is_personal ? (
                <select
                  aria-label={`Role of ${member.email}`}
                  value={member.role}
                  disabled={changeRole.isPending}
                  onChange={(event) =>
                    changeRole.mutate({ member, role: event.target.value as TeamRole })
                  }
                  className="h-8 rounded-lg border border-zinc-300 bg-white px-2 text-sm text-zinc-900 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
                >
                  {(owns
                    ? (["owner", "admin", "member"] as const)
                    : (["admin", "member"] as const)
                  ).map((role) => (
                    <option key={role} value={role}>
                      {ROLE_LABELS[role]}
                    </option>
                  ))}
                </select>
              ) : (
                <Badge tone={member.role === "owner" ? "indigo" : "gray"}>
                  {ROLE_LABELS[member.role]}
                </Badge>
              )}
              {!team.is_personal && (self || editable) && (
                <Button variant="outline" size="sm" onClick={() => setRemoving(member)}>
                  {self ? "Leave" : "Remove"}
                  <span className="sr-only"> {self ? team.name : member.email}</span>
                </Button>
              )}
            </li>
          )
        })}
      </ul>
      <ConfirmDialog
        open={removing !== null}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate(removing)}
        pending={remove.isPending}
        title={leaving ? "Leave this team?" : "Remove this member?"}
        description={
          leaving
            ? `You will no longer see ${team.name} or its items. The items you made stay with the team.`
            : `${removing?.email} will no longer see ${team.name}. The items they made stay with the team.`
        }
        confirmLabel={leaving ? "Leave team" : "Remove member"}
      />
    </SettingsSection>
  )
}
