import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useNavigate } from "@tanstack/react-router"
import { useState } from "react"
import { teamsDeleteTeam, teamsUpdateTeam } from "@/client/sdk.gen"
import type { TeamPublic } from "@/client/types.gen"
import { SettingsSection } from "@/components/settings/section"
import { Button } from "@/components/ui/button"
import { ConfirmDialog } from "@/components/ui/confirm-dialog"
import { FormAlert, InputField } from "@/components/ui/field"
import { errorMessage } from "@/lib/errors"
import { toast } from "@/lib/toast"

/** Rename the team (owners). */
export function RenameTeam({ team }: { team: TeamPublic }) {
  const [name, setName] = useState(team.name)
  const queryClient = useQueryClient()
  const rename = useMutation({
    mutationFn: async () =>
      (
        await teamsUpdateTeam({
          path: { team_id: team.id },
          body: { name: name.trim() },
          throwOnError: true,
        })
      ).data,
    onSuccess: async (renamed) => {
      await queryClient.invalidateQueries({ queryKey: ["teams"] })
      toast.success("Team renamed", renamed.name)
    },
  })
  const invalid = name.trim() ? undefined : "Give the team a name"
  return (
    <SettingsSection title="Name" description="What members see in the team switcher.">
      <form
        noValidate
        className="space-y-5"
        onSubmit={(event) => {
          event.preventDefault()
          if (!invalid) rename.mutate()
        }}
      >
        <FormAlert message={rename.error ? errorMessage(rename.error) : null} />
        <InputField
          label="Team name"
          required
          maxLength={255}
          value={name}
          error={invalid}
          onChange={(event) => setName(event.target.value)}
        />
        <Button type="submit" loading={rename.isPending} disabled={name.trim() === team.name}>
          Save name
        </Button>
      </form>
    </SettingsSection>
  )
}

/** Delete the team and everything in it (owners; a personal team stays). */
export function DeleteTeam({ team }: { team: TeamPublic }) {
  const [asking, setAsking] = useState(false)
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const remove = useMutation({
    mutationFn: async () => teamsDeleteTeam({ path: { team_id: team.id }, throwOnError: true }),
    onSuccess: async () => {
      setAsking(false)
      await queryClient.invalidateQueries({ queryKey: ["teams"] })
      toast.success("Team deleted", team.name)
      void navigate({ to: "/items" })
    },
  })
  return (
    <SettingsSection
      title="Delete team"
      description="The team, its items and its invitations go for good; its members keep their accounts."
    >
      <FormAlert message={remove.error ? errorMessage(remove.error) : null} />
      <Button variant="danger" onClick={() => setAsking(true)}>
        Delete team
      </Button>
      <ConfirmDialog
        open={asking}
        onClose={() => setAsking(false)}
        onConfirm={() => remove.mutate()}
        pending={remove.isPending}
        title={`Delete ${team.name}?`}
        description="Every item in it is deleted with it. This can't be undone."
        confirmLabel="Delete team"
      />
    </SettingsSection>
  )
}
