/** Server state: query options and cache keys shared by the pages. */
import { queryOptions } from "@tanstack/react-query"
import {
  auditReadAuditEvents,
  itemsReadItems,
  usersReadUserMe,
  usersReadUsers,
} from "@/client/sdk.gen"
import type { AuditEventType } from "@/client/types.gen"

export const PAGE_SIZE = 10

export const currentUserQuery = queryOptions({
  queryKey: ["currentUser"],
  queryFn: async () => (await usersReadUserMe({ throwOnError: true })).data,
  staleTime: 60_000,
})

export const itemsQuery = (page: number) =>
  queryOptions({
    queryKey: ["items", { page }],
    queryFn: async () =>
      (
        await itemsReadItems({
          query: { skip: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE },
          throwOnError: true,
        })
      ).data,
  })

export const usersQuery = (page: number) =>
  queryOptions({
    queryKey: ["users", { page }],
    queryFn: async () =>
      (
        await usersReadUsers({
          query: { skip: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE },
          throwOnError: true,
        })
      ).data,
  })

export const auditEventsQuery = (page: number, eventType?: AuditEventType) =>
  queryOptions({
    queryKey: ["audit-events", { page, eventType }],
    queryFn: async () =>
      (
        await auditReadAuditEvents({
          query: { skip: (page - 1) * PAGE_SIZE, limit: PAGE_SIZE, event_type: eventType },
          throwOnError: true,
        })
      ).data,
  })

export function pageCount(count: number): number {
  return Math.max(1, Math.ceil(count / PAGE_SIZE))
}
