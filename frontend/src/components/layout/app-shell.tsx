import { Link, useRouter, useRouterState } from "@tanstack/react-router"
import {
  ChevronsUpDown,
  History,
  LayoutDashboard,
  List,
  LogOut,
  Menu as MenuIcon,
  Settings,
  Users,
  UsersRound,
  Workflow,
} from "lucide-react"
import { type ReactNode, useState } from "react"
import { Brand } from "@/components/brand"
import { TeamSwitcher } from "@/components/teams/team-switcher"
import { Badge } from "@/components/ui/badge"
import { Dialog } from "@/components/ui/dialog"
import { Menu } from "@/components/ui/menu"
import { useCurrentUser } from "@/hooks/use-current-user"
import { useLogout } from "@/hooks/use-logout"
import { useHasTeams } from "@/lib/team"
import { cn } from "@/lib/utils"
import { ShellContent } from "./page-main"
import { UserAvatar } from "./user-avatar"

const NAV = [
  { to: "/", label: "Dashboard", icon: LayoutDashboard, superuserOnly: false },
  { to: "/items", label: "Items", icon: List, superuserOnly: false },
  // Shown once the user is in a team besides their personal one.
  { to: "/team", label: "Team", icon: UsersRound, superuserOnly: false, teamsOnly: true },
  { to: "/admin", label: "Admin", icon: Users, superuserOnly: true },
  { to: "/activity", label: "Activity", icon: History, superuserOnly: true },
  { to: "/jobs", label: "Jobs", icon: Workflow, superuserOnly: true },
  { to: "/settings", label: "Settings", icon: Settings, superuserOnly: false },
] as const

function NavLinks({ onNavigate }: { onNavigate?: () => void }) {
  const user = useCurrentUser()
  const hasTeams = useHasTeams()
  const shown = NAV.filter(
    (item) => (!item.superuserOnly || user.is_superuser) && (!("teamsOnly" in item) || hasTeams),
  )
  return (
    <ul className="space-y-1">
      {shown.map((item) => (
        <li key={item.to}>
          <Link
            to={item.to}
            onClick={onNavigate}
            activeOptions={{ exact: item.to === "/", includeSearch: false }}
            className="group flex items-center gap-3 rounded-lg px-3 py-2 text-sm font-medium text-zinc-700 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-indigo-500 data-[status=active]:bg-indigo-50 data-[status=active]:text-indigo-700 dark:text-zinc-300 dark:hover:bg-zinc-800 dark:hover:text-white dark:data-[status=active]:bg-indigo-500/10 dark:data-[status=active]:text-indigo-300"
          >
            <item.icon
              className="h-4.5 w-4.5 shrink-0 text-zinc-400 group-hover:text-zinc-600 group-data-[status=active]:text-indigo-600 dark:text-zinc-500 dark:group-hover:text-zinc-300 dark:group-data-[status=active]:text-indigo-400"
              aria-hidden="true"
            />
            {item.label}
          </Link>
        </li>
      ))}
    </ul>
  )
}

function useUserMenuItems() {
  const logout = useLogout()
  const router = useRouter()
  return [
    {
      label: "Settings",
      icon: Settings,
      onSelect: () => void router.navigate({ to: "/settings" }),
    },
    { label: "Log out", icon: LogOut, onSelect: () => logout.mutate() },
  ]
}

function SidebarUser() {
  const user = useCurrentUser()
  const items = useUserMenuItems()
  return (
    <Menu
      label="Account menu"
      side="top"
      align="start"
      items={items}
      triggerHasText
      triggerClassName="group flex w-full items-center gap-3 rounded-lg p-2 text-left hover:bg-zinc-100 dark:hover:bg-zinc-800"
      trigger={
        <>
          <UserAvatar name={user.full_name} email={user.email} />
          <span className="min-w-0 flex-1">
            <span className="block truncate text-sm font-medium text-zinc-900 dark:text-white">
              {user.full_name || user.email}
            </span>
            <span className="block truncate text-xs text-zinc-500 group-hover:text-zinc-600 dark:text-zinc-400 dark:group-hover:text-zinc-300">
              {user.full_name ? user.email : user.is_superuser ? "Superuser" : "User"}
            </span>
          </span>
          <ChevronsUpDown className="h-4 w-4 shrink-0 text-zinc-400" aria-hidden="true" />
        </>
      }
    />
  )
}

export function AppShell({ children }: { children: ReactNode }) {
  const user = useCurrentUser()
  const pathname = useRouterState({ select: (state) => state.location.pathname })
  // The drawer stays open only on the page where it was opened: navigating closes it.
  const [drawerOpenedOn, setDrawerOpenedOn] = useState<string | null>(null)
  const drawerOpen = drawerOpenedOn === pathname
  const setDrawerOpen = (open: boolean) => setDrawerOpenedOn(open ? pathname : null)
  const menuItems = useUserMenuItems()

  return (
    <div className="min-h-dvh lg:flex">
      <a
        href="#main"
        className="sr-only z-50 rounded-lg bg-white px-4 py-2 text-sm font-medium shadow focus:not-sr-only focus:fixed focus:top-3 focus:left-3 dark:bg-zinc-900"
      >
        Skip to content
      </a>

      {/* Desktop: a sidebar column as tall as the page, its contents pinned to the window. */}
      <div className="hidden w-64 shrink-0 border-r border-zinc-200 bg-white lg:block dark:border-zinc-800 dark:bg-zinc-900">
        <aside className="sticky top-0 flex h-dvh flex-col">
          <div className="flex h-16 items-center px-5">
            <Link
              to="/"
              className="rounded-lg focus-visible:outline-2 focus-visible:outline-indigo-500"
            >
              <Brand />
            </Link>
          </div>
          <TeamSwitcher className="px-5 pt-2" />
          <nav aria-label="Main" className="flex-1 overflow-y-auto px-3 py-4">
            <NavLinks />
          </nav>
          <div className="border-t border-zinc-200 p-3 dark:border-zinc-800">
            {user.is_superuser && (
              <div className="px-2 pb-2">
                <Badge tone="indigo">Superuser</Badge>
              </div>
            )}
            <SidebarUser />
          </div>
        </aside>
      </div>

      {/* Phone and tablet: a top bar with a drawer. */}
      <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b border-zinc-200 bg-white/90 px-3 backdrop-blur lg:hidden dark:border-zinc-800 dark:bg-zinc-900/90">
        <button
          type="button"
          onClick={() => setDrawerOpen(true)}
          aria-label="Open navigation"
          aria-expanded={drawerOpen}
          className="rounded-lg p-2 text-zinc-600 hover:bg-zinc-100 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-zinc-300 dark:hover:bg-zinc-800"
        >
          <MenuIcon className="h-5 w-5" aria-hidden="true" />
        </button>
        <Link
          to="/"
          className="flex-1 rounded-lg focus-visible:outline-2 focus-visible:outline-indigo-500"
        >
          <Brand />
        </Link>
        <Menu
          label="Account menu"
          items={menuItems}
          triggerClassName="rounded-full"
          trigger={<UserAvatar name={user.full_name} email={user.email} decorative={false} />}
          triggerHasText
        />
      </header>
      <Dialog
        open={drawerOpen}
        onClose={() => setDrawerOpen(false)}
        title="Navigation"
        variant="drawer"
      >
        <div className="flex flex-1 flex-col">
          <div className="px-5 pb-2">
            <Brand />
          </div>
          <TeamSwitcher className="px-5 pt-2" />
          <nav aria-label="Main" className="flex-1 px-3 py-4">
            <NavLinks onNavigate={() => setDrawerOpen(false)} />
          </nav>
          <div className="border-t border-zinc-200 p-3 dark:border-zinc-800">
            <SidebarUser />
          </div>
        </div>
      </Dialog>

      <div className="min-w-0 flex-1">
        <main id="main" className={cn("mx-auto max-w-6xl px-4 py-8 sm:px-6 lg:px-10 lg:py-10")}>
          <ShellContent>{children}</ShellContent>
        </main>
      </div>
    </div>
  )
}
