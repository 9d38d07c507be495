/**
 * The team the app works in: chosen with the team switcher, kept in localStorage (per
 * browser), and the caller's personal team until another is chosen or when the chosen
 * one is no longer theirs.
 */
import { useSuspenseQuery } from "@tanstack/react-query"
import { useSyncExternalStore } from "react"
import type { TeamPublic, TeamRole } from "@/client/types.gen"
import { useCurrentUser } from "@/hooks/use-current-user"
import { teamsQuery } from "./queries"

const KEY = "current-team"
const listeners = new Set<() => void>()

function readChosen(): string | null {
  try {
    return localStorage.getItem(KEY)
  } catch {
    return null
  }
}

export function chooseTeam(teamId: string) {
  try {
    localStorage.setItem(KEY, teamId)
  } catch {
    // Storage refused (private mode): the choice lasts until the page reloads.
  }
  chosenInMemory = teamId
  for (const listener of listeners) listener()
}

let chosenInMemory: string | null = null

function subscribe(listener: () => void) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function snapshot() {
  return chosenInMemory ?? readChosen()
}

/** The caller's teams, oldest first: the personal team leads. */
export function useTeams(): TeamPublic[] {
  return useSuspenseQuery(teamsQuery).data.data
}

/** The team the pages work in. */
export function useCurrentTeam(): TeamPublic {
  const teams = useTeams()
  const chosen = useSyncExternalStore(subscribe, snapshot, () => null)
  // The personal team is always there, and first.
  return teams.find((team) => team.id === chosen) ?? (teams[0] as TeamPublic)
}

/** Whether teams show at all: only once the user is in more than their personal one. */
export function useHasTeams(): boolean {
  return useTeams().length > 1
}

export const ROLE_LABELS: Record<TeamRole, string> = {
  owner: "Owner",
  admin: "Admin",
  member: "Member",
}

const RANK: Record<TeamRole, number> = { member: 0, admin: 1, owner: 2 }

/** Whether the caller has this role in the team, or a higher one (a superuser has all). */
export function atLeast(
  team: TeamPublic,
  isSuperuser: boolean | undefined,
  role: TeamRole,
): boolean {
  if (isSuperuser) return true
  return team.role !== null && RANK[team.role] >= RANK[role]
}

/** Whether the caller may edit or delete a row of the current team, as the server
 * decides it: a member, the rows they created; an admin or owner (or a superuser), any. */
export function useMayChange(): (row: { owner_id: string | null }) => boolean {
  const team = useCurrentTeam()
  const user = useCurrentUser()
  const any = atLeast(team, user.is_superuser, "admin")
  return (row) => any || row.owner_id === user.id
}
