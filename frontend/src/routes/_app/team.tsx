import { createFileRoute } from "@tanstack/react-router"
import { CreateTeam } from "@/components/teams/create-team"
import { Invitations } from "@/components/teams/invitations"
import { Members } from "@/components/teams/members"
import { DeleteTeam, RenameTeam } from "@/components/teams/team-settings"
import { Badge } from "@/components/ui/badge"
import { PageHeader } from "@/components/ui/card"
import { useCurrentUser } from "@/hooks/use-current-user"
import { usePageTitle } from "@/hooks/use-page-title"
import { atLeast, ROLE_LABELS, useCurrentTeam } from "@/lib/team"

export const Route = createFileRoute("/_app/team")({
  component: TeamPage,
})

/** The current team's settings: its name, members and roles, invitations. */
function TeamPage() {
  const team = useCurrentTeam()
  const user = useCurrentUser()
  usePageTitle(team.is_personal ? "Teams" : team.name)
  if (team.is_personal) {
    return (
      <div className="space-y-6">
        <PageHeader
          title="Teams"
          description="Your personal team is yours alone. Create a team to share items with others."
        />
        <CreateTeam />
      </div>
    )
  }
  const owns = atLeast(team, user.is_superuser, "owner")
  return (
    <div className="space-y-6">
      <PageHeader
        title={team.name}
        description="The team's members, their roles, and invitations."
        actions={team.role && <Badge tone="indigo">{ROLE_LABELS[team.role]}</Badge>}
      />
      {owns && <RenameTeam key={team.id} team={team} />}
      <Members team={team} />
      {atLeast(team, user.is_superuser, "admin") && <Invitations team={team} />}
      {owns && <DeleteTeam team={team} />}
    </div>
  )
}
