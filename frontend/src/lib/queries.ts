/** Server state: query options and cache keys shared by the pages. */
import { type QueryClient, queryOptions } from "@tanstack/react-query"
import {
  auditReadAuditEvents,
  itemsReadItems,
  jobsReadJobs,
  loginReadProviders,
  teamsReadInvitations,
  teamsReadMembers,
  teamsReadTeams,
  usersReadIdentities,
  usersReadSessions,
  usersReadTwoFactor,
  usersReadUserMe,
  usersReadUsers,
} from "@/client/sdk.gen"
import type { AuditEventType, JobKind, JobState } from "@/client/types.gen"
import { isUnfinished } from "./jobs"
import type { PagePosition } from "./paging"

export const currentUserQuery = queryOptions({
  queryKey: ["currentUser"],
  queryFn: async () => (await usersReadUserMe({ throwOnError: true })).data,
  staleTime: 60_000,
})

/** A team's items (`teamId`: the team switcher's choice). */
export const itemsQuery = (position: PagePosition, teamId: string) =>
  queryOptions({
    queryKey: ["items", teamId, position],
    queryFn: async () =>
      (await itemsReadItems({ query: { ...position, team_id: teamId }, throwOnError: true })).data,
  })

/** The caller's teams (a handful: the first page holds them all). */
export const teamsQuery = queryOptions({
  queryKey: ["teams"],
  queryFn: async () => (await teamsReadTeams({ query: { limit: 100 }, throwOnError: true })).data,
  staleTime: 60_000,
})

export const membersQuery = (teamId: string) =>
  queryOptions({
    queryKey: ["teams", teamId, "members"],
    queryFn: async () =>
      (
        await teamsReadMembers({
          path: { team_id: teamId },
          query: { limit: 100 },
          throwOnError: true,
        })
      ).data,
  })

export const invitationsQuery = (teamId: string) =>
  queryOptions({
    queryKey: ["teams", teamId, "invitations"],
    queryFn: async () =>
      (
        await teamsReadInvitations({
          path: { team_id: teamId },
          query: { limit: 100 },
          throwOnError: true,
        })
      ).data,
  })

export const usersQuery = (position: PagePosition) =>
  queryOptions({
    queryKey: ["users", position],
    queryFn: async () => (await usersReadUsers({ query: position, throwOnError: true })).data,
  })

export const auditEventsQuery = (position: PagePosition, eventType?: AuditEventType) =>
  queryOptions({
    queryKey: ["audit-events", { eventType }, position],
    queryFn: async () =>
      (
        await auditReadAuditEvents({
          // A cursor reaches this only once the endpoint hands out `next_cursor`.
          query: { ...position, event_type: eventType },
          throwOnError: true,
        })
      ).data,
  })

/** How often the jobs page looks again while a job it shows is queued or running. */
export const JOBS_REFRESH_MS = 3000

export const jobsQuery = (position: PagePosition, filters: { state?: JobState; kind?: JobKind }) =>
  queryOptions({
    queryKey: ["jobs", filters, position],
    queryFn: async () =>
      (await jobsReadJobs({ query: { ...position, ...filters }, throwOnError: true })).data,
    refetchInterval: (query) =>
      query.state.data?.data.some(isUnfinished) ? JOBS_REFRESH_MS : false,
  })

/** The sign-in providers the server offers (they change only with its settings). */
export const providersQuery = queryOptions({
  queryKey: ["providers"],
  queryFn: async () => (await loginReadProviders({ throwOnError: true })).data,
  staleTime: Number.POSITIVE_INFINITY,
})

export const identitiesQuery = queryOptions({
  queryKey: ["identities"],
  queryFn: async () => (await usersReadIdentities({ throwOnError: true })).data,
})

export const sessionsQuery = queryOptions({
  queryKey: ["sessions"],
  queryFn: async () => (await usersReadSessions({ throwOnError: true })).data,
})

export const twoFactorQuery = queryOptions({
  queryKey: ["two-factor"],
  queryFn: async () => (await usersReadTwoFactor({ throwOnError: true })).data,
})

/**
 * After a logout (or when the session ends): forget everything the account's queries
 * and mutations held, but the sign-in providers. They are no one's data, and the login
 * page the user was just sent to may be loading them: removing that query would cancel
 * its fetch and leave the page without its provider buttons.
 */
export function forgetAccountData(queryClient: QueryClient) {
  const [providers] = providersQuery.queryKey
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== providers })
  queryClient.getMutationCache().clear()
}
