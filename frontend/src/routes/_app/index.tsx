import { useQuery } from "@tanstack/react-query"
import { createFileRoute, Link } from "@tanstack/react-router"
import { ArrowRight, List, ShieldCheck, Users } from "lucide-react"
import type { ReactNode } from "react"
import { Badge } from "@/components/ui/badge"
import { Card } from "@/components/ui/card"
import { useCurrentUser } from "@/hooks/use-current-user"
import { usePageTitle } from "@/hooks/use-page-title"
import { FIRST_PAGE } from "@/lib/paging"
import { itemsQuery, usersQuery } from "@/lib/queries"
import { useCurrentTeam } from "@/lib/team"
import { cn, formatDate } from "@/lib/utils"

export const Route = createFileRoute("/_app/")({
  component: Dashboard,
})

function greeting(hour: number): string {
  if (hour < 12) return "Good morning"
  if (hour < 18) return "Good afternoon"
  return "Good evening"
}

function StatCard({
  label,
  value,
  icon,
  to,
  linkLabel,
}: {
  label: string
  value: number | undefined
  icon: ReactNode
  to: "/items" | "/admin"
  linkLabel: string
}) {
  return (
    <Card className="flex flex-col p-5">
      <div className="flex items-center justify-between">
        <p className="text-sm font-medium text-zinc-600 dark:text-zinc-400">{label}</p>
        <span className="flex h-9 w-9 items-center justify-center rounded-lg bg-indigo-50 text-indigo-600 dark:bg-indigo-500/10 dark:text-indigo-400">
          {icon}
        </span>
      </div>
      <p
        className="mt-3 text-3xl font-semibold tracking-tight text-zinc-900 dark:text-white"
        data-testid={`stat-${to.slice(1)}`}
      >
        {value === undefined ? (
          <span className="inline-block h-8 w-12 animate-pulse rounded bg-zinc-200 dark:bg-zinc-800">
            <span className="sr-only">Loading</span>
          </span>
        ) : (
          value.toLocaleString()
        )}
      </p>
      <Link
        to={to}
        className="mt-4 inline-flex items-center gap-1 text-sm font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400"
      >
        {linkLabel}
        <ArrowRight className="h-4 w-4" aria-hidden="true" />
      </Link>
    </Card>
  )
}

function Dashboard() {
  usePageTitle("Dashboard")
  const user = useCurrentUser()
  const team = useCurrentTeam()
  const items = useQuery(itemsQuery(FIRST_PAGE, team.id))
  const users = useQuery({ ...usersQuery(FIRST_PAGE), enabled: user.is_superuser })
  const name = user.full_name?.trim() || user.email

  return (
    <div>
      <div className="mb-8">
        <h1 className="text-2xl font-semibold tracking-tight text-zinc-900 sm:text-3xl dark:text-white">
          {greeting(new Date().getHours())}, {name}
        </h1>
        <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">
          Here's what's happening in your workspace.
        </p>
      </div>

      <div className={cn("grid gap-4 sm:grid-cols-2", user.is_superuser && "xl:grid-cols-3")}>
        <StatCard
          label={user.is_superuser ? "Items (all users)" : "Your items"}
          value={items.data?.count}
          icon={<List className="h-5 w-5" aria-hidden="true" />}
          to="/items"
          linkLabel="Manage items"
        />
        {user.is_superuser && (
          <StatCard
            label="Users"
            value={users.data?.count}
            icon={<Users className="h-5 w-5" aria-hidden="true" />}
            to="/admin"
            linkLabel="Manage users"
          />
        )}
        <Card className="flex flex-col p-5">
          <div className="flex items-center justify-between">
            <p className="text-sm font-medium text-zinc-600 dark:text-zinc-400">Your account</p>
            <span className="flex h-9 w-9 items-center justify-center rounded-lg bg-indigo-50 text-indigo-600 dark:bg-indigo-500/10 dark:text-indigo-400">
              <ShieldCheck className="h-5 w-5" aria-hidden="true" />
            </span>
          </div>
          <p className="mt-3 truncate text-sm font-medium text-zinc-900 dark:text-white">
            {user.email}
          </p>
          <div className="mt-2 flex flex-wrap gap-2">
            <Badge tone={user.is_superuser ? "indigo" : "gray"}>
              {user.is_superuser ? "Superuser" : "User"}
            </Badge>
            <Badge tone="green" dot>
              Active
            </Badge>
          </div>
          <p className="mt-2 text-xs text-zinc-500 dark:text-zinc-400">
            Member since {formatDate(user.created_at)}
          </p>
          <Link
            to="/settings"
            className="mt-auto inline-flex items-center gap-1 pt-4 text-sm font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400"
          >
            Account settings
            <ArrowRight className="h-4 w-4" aria-hidden="true" />
          </Link>
        </Card>
      </div>

      <Card className="mt-8">
        <div className="flex items-center justify-between border-b border-zinc-200 px-5 py-4 dark:border-zinc-800">
          <h2 className="text-base font-semibold text-zinc-900 dark:text-white">Recent items</h2>
          <Link
            to="/items"
            className="text-sm font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400"
          >
            View all
          </Link>
        </div>
        {items.isPending ? (
          <p className="px-5 py-6 text-sm text-zinc-500">Loading…</p>
        ) : items.data && items.data.data.length > 0 ? (
          <ul className="divide-y divide-zinc-100 dark:divide-zinc-800">
            {items.data.data.slice(0, 5).map((item) => (
              <li key={item.id} className="flex items-center justify-between gap-4 px-5 py-3">
                <div className="min-w-0">
                  <p className="truncate text-sm font-medium text-zinc-900 dark:text-white">
                    {item.title}
                  </p>
                  {item.description && (
                    <p className="truncate text-sm text-zinc-500 dark:text-zinc-400">
                      {item.description}
                    </p>
                  )}
                </div>
                <time
                  dateTime={item.created_at}
                  className="shrink-0 text-xs text-zinc-500 dark:text-zinc-400"
                >
                  {formatDate(item.created_at)}
                </time>
              </li>
            ))}
          </ul>
        ) : (
          <p className="px-5 py-6 text-sm text-zinc-500 dark:text-zinc-400">
            No items yet.{" "}
            <Link
              to="/items"
              className="font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400"
            >
              Add your first one
            </Link>
            .
          </p>
        )}
      </Card>
    </div>
  )
}
