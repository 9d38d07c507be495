import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useNavigate } from "@tanstack/react-router"
import { useState } from "react"
import { teamsCreateTeam } from "@/client/sdk.gen"
import { SettingsSection } from "@/components/settings/section"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { errorMessage } from "@/lib/errors"
import { chooseTeam } from "@/lib/team"
import { toast } from "@/lib/toast"

/** Start a shared team: its creator owns it, and it becomes the current team. */
export function CreateTeam() {
  const [name, setName] = useState("")
  const [invalid, setInvalid] = useState<string | undefined>()
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const create = useMutation({
    mutationFn: async (teamName: string) =>
      (await teamsCreateTeam({ body: { name: teamName }, throwOnError: true })).data,
    onSuccess: async (team) => {
      await queryClient.invalidateQueries({ queryKey: ["teams"] })
      chooseTeam(team.id)
      toast.success("Team created", `You own “${team.name}”. Invite people from its page.`)
      void navigate({ to: "/team" })
    },
  })
  return (
    <SettingsSection
      title="Teams"
      description="Share items with others: a team has owners, admins and members, and each sees the team's items."
    >
      <form
        noValidate
        className="space-y-5"
        onSubmit={(event) => {
          event.preventDefault()
          const trimmed = name.trim()
          if (!trimmed) return setInvalid("Give the team a name")
          if (trimmed.length > 255) return setInvalid("At most 255 characters")
          setInvalid(undefined)
          create.mutate(trimmed)
        }}
      >
        <FormAlert message={create.error ? errorMessage(create.error) : null} />
        <InputField
          label="Team name"
          required
          value={name}
          error={invalid}
          onChange={(event) => setName(event.target.value)}
        />
        <Button type="submit" loading={create.isPending}>
          Create team
        </Button>
      </form>
    </SettingsSection>
  )
}
