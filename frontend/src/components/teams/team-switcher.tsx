import { useQueryClient } from "@tanstack/react-query"
import { useNavigate, useRouterState } from "@tanstack/react-router"
import { useId } from "react"
import { chooseTeam, useCurrentTeam, useHasTeams, useTeams } from "@/lib/team"
import { cn } from "@/lib/utils"

/** Which team the pages show: hidden while the user has only their personal team. */
export function TeamSwitcher({ className }: { className?: string }) {
  const teams = useTeams()
  const current = useCurrentTeam()
  const hasTeams = useHasTeams()
  const id = useId()
  const navigate = useNavigate()
  const pathname = useRouterState({ select: (state) => state.location.pathname })
  const queryClient = useQueryClient()
  if (!hasTeams) return null
  return (
    <div className={className}>
      <label
        htmlFor={id}
        className="mb-1 block text-xs font-medium text-zinc-600 uppercase dark:text-zinc-400"
      >
        Team
      </label>
      <select
        id={id}
        value={current.id}
        onChange={(event) => {
          chooseTeam(event.target.value)
          void queryClient.invalidateQueries({ queryKey: ["items"] })
          // A list page starts over at its first page in the other team.
          void navigate({ to: pathname, search: {} })
        }}
        className={cn(
          "block h-9 w-full rounded-lg border border-zinc-300 bg-white px-2 text-sm text-zinc-900 shadow-sm",
          "focus:border-indigo-500 focus:ring-2 focus:ring-indigo-500/40 focus:outline-none",
          "dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100",
        )}
      >
        {teams.map((team) => (
          <option key={team.id} value={team.id}>
            {team.is_personal ? "Personal" : team.name}
          </option>
        ))}
      </select>
    </div>
  )
}
