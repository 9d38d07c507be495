import { useMutation, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, Link, useNavigate } from "@tanstack/react-router"
import { UserPlus } from "lucide-react"
import { teamsAcceptInvitation } from "@/client/sdk.gen"
import { Button } from "@/components/ui/button"
import { Card, PageHeader } from "@/components/ui/card"
import { FormAlert } from "@/components/ui/field"
import { useCurrentUser } from "@/hooks/use-current-user"
import { usePageTitle } from "@/hooks/use-page-title"
import { errorMessage } from "@/lib/errors"
import { chooseTeam } from "@/lib/team"
import { toast } from "@/lib/toast"

const TOKEN = /^[A-Za-z0-9_-]{43}$/

export const Route = createFileRoute("/_app/accept-invitation")({
  validateSearch: (search: Record<string, unknown>): { token?: string } =>
    typeof search.token === "string" ? { token: search.token } : {},
  component: AcceptInvitationPage,
})

/** Where an invitation's link leads, once signed in: join the team with one click. */
function AcceptInvitationPage() {
  usePageTitle("Join a team")
  const { token } = Route.useSearch()
  const user = useCurrentUser()
  const queryClient = useQueryClient()
  const navigate = useNavigate()
  const accept = useMutation({
    mutationFn: async (invitationToken: string) =>
      (await teamsAcceptInvitation({ body: { token: invitationToken }, throwOnError: true })).data,
    onSuccess: async (team) => {
      await queryClient.invalidateQueries({ queryKey: ["teams"] })
      chooseTeam(team.id)
      toast.success("Welcome to the team", `You joined ${team.name}.`)
      void navigate({ to: "/items" })
    },
  })
  const valid = token !== undefined && TOKEN.test(token)

  return (
    <div className="mx-auto max-w-xl">
      <PageHeader title="Join a team" />
      <Card className="space-y-5 p-6">
        <div className="flex items-start gap-3">
          <UserPlus className="mt-0.5 h-5 w-5 shrink-0 text-indigo-600" aria-hidden="true" />
          <p className="text-sm text-zinc-700 dark:text-zinc-300">
            {valid
              ? `You were invited to a team. Invitations work for the address they were sent to: you are signed in as ${user.email}.`
              : "This link is incomplete: open the link from the invitation email as it is."}
          </p>
        </div>
        <FormAlert message={accept.error ? errorMessage(accept.error) : null} />
        <div className="flex gap-3">
          {valid && (
            <Button loading={accept.isPending} onClick={() => accept.mutate(token)}>
              Accept invitation
            </Button>
          )}
          <Link
            to="/"
            className="inline-flex h-10 items-center rounded-lg px-4 text-sm font-medium text-zinc-700 hover:bg-zinc-100 dark:text-zinc-300 dark:hover:bg-zinc-800"
          >
            Not now
          </Link>
        </div>
      </Card>
    </div>
  )
}
