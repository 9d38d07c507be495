import { keepPreviousData, useQuery } from "@tanstack/react-query"
import { createFileRoute, useNavigate } from "@tanstack/react-router"
import { History } from "lucide-react"
import type { AuditEventPublic, AuditEventType } from "@/client/types.gen"
import { NotAllowed } from "@/components/not-allowed"
import { Badge } from "@/components/ui/badge"
import { Card, EmptyState, ErrorState, PageHeader, TableSkeleton } from "@/components/ui/card"
import { Pagination } from "@/components/ui/pagination"
import { useCurrentUser } from "@/hooks/use-current-user"
import { usePageTitle } from "@/hooks/use-page-title"
import { errorMessage, isApiError } from "@/lib/errors"
import { auditEventsQuery, PAGE_SIZE, pageCount } from "@/lib/queries"
import { parsePage } from "@/lib/search"
import { formatDateTime } from "@/lib/utils"

type Tone = "gray" | "green" | "red" | "indigo" | "amber"

const EVENTS: Record<AuditEventType, { label: string; tone: Tone }> = {
  login_succeeded: { label: "Logged in", tone: "green" },
  login_failed: { label: "Login failed", tone: "amber" },
  logout: { label: "Logged out", tone: "gray" },
  refresh_token_reused: { label: "Refresh token reused", tone: "red" },
  password_changed: { label: "Password changed", tone: "indigo" },
  password_reset: { label: "Password reset", tone: "indigo" },
  email_change_requested: { label: "Email change requested", tone: "gray" },
  email_changed: { label: "Email changed", tone: "indigo" },
  email_verified: { label: "Email verified", tone: "green" },
  user_created: { label: "User created", tone: "green" },
  user_updated: { label: "User updated", tone: "gray" },
  user_deleted: { label: "User deleted", tone: "red" },
  role_changed: { label: "Role changed", tone: "amber" },
  active_changed: { label: "Active status changed", tone: "amber" },
}

const EVENT_TYPES = Object.keys(EVENTS) as AuditEventType[]

export const Route = createFileRoute("/_app/activity")({
  validateSearch: (search: Record<string, unknown>): { page?: number; type?: AuditEventType } => ({
    ...parsePage(search),
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

function who(id: string | null | undefined, currentUserId: string) {
  if (!id) return <span className="text-zinc-400 dark:text-zinc-500">—</span>
  if (id === currentUserId) return <span className="font-medium">You</span>
  return (
    <span className="font-mono text-xs" title={id}>
      {id.slice(0, 8)}
    </span>
  )
}

function describeDetails(details: AuditEventPublic["details"]): string {
  return Object.entries(details ?? {})
    .filter(([key]) => key !== "session_id")
    .map(
      ([key, value]) =>
        `${key.replaceAll("_", " ")}: ${typeof value === "string" ? value : JSON.stringify(value)}`,
    )
    .join(" · ")
}

function AuditLog({ currentUserId }: { currentUserId: string }) {
  const search = Route.useSearch()
  const page = search.page ?? 1
  const navigate = useNavigate({ from: Route.fullPath })
  const events = useQuery({
    ...auditEventsQuery(page, search.type),
    placeholderData: keepPreviousData,
  })
  const total = events.data?.count ?? 0

  if (events.isError && isApiError(events.error, 403)) return <NotAllowed />

  return (
    <div>
      <PageHeader
        title="Activity"
        description="Security events across every account, newest first."
        actions={
          <div>
            <label htmlFor="event-type" className="sr-only">
              Event type
            </label>
            <select
              id="event-type"
              value={search.type ?? ""}
              onChange={(event) =>
                void navigate({
                  search: event.target.value ? { type: event.target.value as AuditEventType } : {},
                })
              }
              className="h-10 rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
            >
              <option value="">All events</option>
              {EVENT_TYPES.map((type) => (
                <option key={type} value={type}>
                  {EVENTS[type].label}
                </option>
              ))}
            </select>
          </div>
        }
      />
      <Card className="overflow-hidden">
        {events.isPending ? (
          <TableSkeleton columns={4} />
        ) : events.isError ? (
          <ErrorState message={errorMessage(events.error)} onRetry={() => void events.refetch()} />
        ) : total === 0 ? (
          <EmptyState
            icon={<History className="h-6 w-6" aria-hidden="true" />}
            title="No events"
            description={
              search.type ? "Nothing of this kind has happened yet." : "Nothing has happened yet."
            }
          />
        ) : (
          <div
            aria-busy={events.isFetching}
            className={events.isPlaceholderData ? "opacity-60" : undefined}
          >
            <div className="overflow-x-auto">
              <table className="w-full text-left text-sm">
                <thead className="border-b border-zinc-200 bg-zinc-50/80 text-xs font-medium uppercase tracking-wide text-zinc-500 dark:border-zinc-800 dark:bg-zinc-900/60 dark:text-zinc-400">
                  <tr>
                    <th scope="col" className="px-4 py-3 sm:px-5">
                      Event
                    </th>
                    <th scope="col" className="hidden px-4 py-3 md:table-cell">
                      By
                    </th>
                    <th scope="col" className="hidden px-4 py-3 md:table-cell">
                      Account
                    </th>
                    <th scope="col" className="hidden whitespace-nowrap px-4 py-3 lg:table-cell">
                      IP address
                    </th>
                    <th scope="col" className="px-4 py-3">
                      When
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-zinc-100 dark:divide-zinc-800">
                  {events.data.data.map((event) => {
                    const kind = EVENTS[event.event_type] ?? {
                      label: event.event_type,
                      tone: "gray" as const,
                    }
                    const details = describeDetails(event.details)
                    return (
                      <tr key={event.id}>
                        <td className="w-full max-w-0 px-4 py-3 sm:px-5">
                          <Badge tone={kind.tone}>{kind.label}</Badge>
                          {details && (
                            <p
                              className="mt-1 truncate text-xs text-zinc-500 dark:text-zinc-400"
                              title={details}
                            >
                              {details}
                            </p>
                          )}
                        </td>
                        <td className="hidden whitespace-nowrap px-4 py-3 text-zinc-700 md:table-cell dark:text-zinc-300">
                          {who(event.actor_id, currentUserId)}
                        </td>
                        <td className="hidden whitespace-nowrap px-4 py-3 text-zinc-700 md:table-cell dark:text-zinc-300">
                          {who(event.target_id, currentUserId)}
                        </td>
                        <td className="hidden whitespace-nowrap px-4 py-3 font-mono text-xs text-zinc-500 lg:table-cell dark:text-zinc-400">
                          {event.ip ?? "—"}
                        </td>
                        <td className="whitespace-nowrap px-4 py-3 text-zinc-500 dark:text-zinc-400">
                          <time dateTime={event.created_at}>
                            {formatDateTime(event.created_at)}
                          </time>
                        </td>
                      </tr>
                    )
                  })}
                </tbody>
              </table>
            </div>
            <Pagination
              page={page}
              pageCount={pageCount(total)}
              total={total}
              pageSize={PAGE_SIZE}
              to="/activity"
              noun="events"
            />
          </div>
        )}
      </Card>
    </div>
  )
}
