import { createFileRoute, useNavigate } from "@tanstack/react-router"
import { History } from "lucide-react"
import type { AuditEventType } from "@/client/types.gen"
import { EVENT_TYPES, eventColumns } from "@/components/activity/event-columns"
import { EventTypeFilter } from "@/components/activity/event-type-filter"
import { ListPage } from "@/components/list/list-page"
import { NotAllowed } from "@/components/not-allowed"
import { EmptyState } from "@/components/ui/card"
import { useCurrentUser } from "@/hooks/use-current-user"
import { useListPage } from "@/hooks/use-list-page"
import { usePageTitle } from "@/hooks/use-page-title"
import { isApiError } from "@/lib/errors"
import { type ListSearch, type PagePosition, parseListSearch } from "@/lib/paging"
import { auditEventsQuery } from "@/lib/queries"

export const Route = createFileRoute("/_app/activity")({
  validateSearch: (search: Record<string, unknown>): ListSearch & { type?: AuditEventType } => ({
    ...parseListSearch(search),
    ...(EVENT_TYPES.includes(search.type as AuditEventType)
      ? { type: search.type as AuditEventType }
      : {}),
  }),
  component: ActivityPage,
})

function ActivityPage() {
  usePageTitle("Activity")
  const user = useCurrentUser()
  if (!user.is_superuser) return <NotAllowed />
  return <AuditLog currentUserId={user.id} />
}

function AuditLog({ currentUserId }: { currentUserId: string }) {
  const type = Route.useSearch().type
  const navigate = useNavigate({ from: Route.fullPath })
  const list = useListPage((position: PagePosition) => auditEventsQuery(position, type))

  if (isApiError(list.error, 403)) return <NotAllowed />

  return (
    <ListPage
      title="Activity"
      description="Security events across every account, newest first."
      actions={
        <EventTypeFilter
          value={type}
          onChange={(next) => void navigate({ search: next ? { type: next } : {} })}
        />
      }
      list={list}
      noun="events"
      columns={eventColumns(currentUserId)}
      rowKey={(event) => event.id}
      empty={
        <EmptyState
          icon={<History className="h-6 w-6" aria-hidden="true" />}
          title="No events"
          description={
            type ? "Nothing of this kind has happened yet." : "Nothing has happened yet."
          }
        />
      }
    />
  )
}
