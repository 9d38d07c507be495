import { createFileRoute, useNavigate } from "@tanstack/react-router"
import { AppearanceSettings } from "@/components/settings/appearance"
import { DeleteAccount } from "@/components/settings/delete-account"
import { LinkedAccounts } from "@/components/settings/linked-accounts"
import { PasswordForm } from "@/components/settings/password-form"
import { ProfileForm } from "@/components/settings/profile-form"
import { Sessions } from "@/components/settings/sessions"
import { TwoFactorSettings } from "@/components/settings/two-factor"
import { CreateTeam } from "@/components/teams/create-team"
import { PageHeader } from "@/components/ui/card"
import { Tabs } from "@/components/ui/tabs"
import { useCurrentUser } from "@/hooks/use-current-user"
import { usePageTitle } from "@/hooks/use-page-title"

const TABS = ["profile", "password", "sign-in", "appearance", "teams", "danger"] as const
type Tab = (typeof TABS)[number]

const LABELS: Record<Tab, string> = {
  profile: "Profile",
  password: "Password",
  "sign-in": "Sign-in",
  appearance: "Appearance",
  teams: "Teams",
  danger: "Danger zone",
}

interface SettingsSearch {
  tab?: Tab
  /** Back from a provider: the one just linked, or why linking did not succeed. */
  linked?: string
  error?: string
}

export const Route = createFileRoute("/_app/settings")({
  validateSearch: (search: Record<string, unknown>): SettingsSearch => ({
    ...(TABS.includes(search.tab as Tab) && search.tab !== "profile"
      ? { tab: search.tab as Tab }
      : {}),
    ...(typeof search.linked === "string" ? { linked: search.linked } : {}),
    ...(typeof search.error === "string" ? { error: search.error } : {}),
  }),
  component: SettingsPage,
})

function SettingsPage() {
  usePageTitle("Settings")
  const user = useCurrentUser()
  const navigate = useNavigate({ from: Route.fullPath })
  // Superusers cannot delete themselves: the danger zone is not offered to them.
  const tabs = TABS.filter((tab) => tab !== "danger" || !user.is_superuser)
  const search = Route.useSearch()
  const requested = search.tab ?? "profile"
  const tab = tabs.includes(requested) ? requested : "profile"

  return (
    <div>
      <PageHeader title="Settings" description="Manage your account and how the app looks." />
      <Tabs
        label="Settings sections"
        tabs={tabs.map((value) => ({ value, label: LABELS[value] }))}
        value={tab}
        onChange={(next) =>
          void navigate({ search: next === "profile" ? {} : { tab: next }, replace: true })
        }
        panelClassName="mt-6"
      >
        {tab === "profile" && <ProfileForm />}
        {tab === "password" && <PasswordForm />}
        {tab === "sign-in" && (
          <div className="space-y-6">
            <TwoFactorSettings />
            <LinkedAccounts linked={search.linked} error={search.error} />
            <Sessions />
          </div>
        )}
        {tab === "appearance" && <AppearanceSettings />}
        {tab === "teams" && <CreateTeam />}
        {tab === "danger" && <DeleteAccount />}
      </Tabs>
    </div>
  )
}
