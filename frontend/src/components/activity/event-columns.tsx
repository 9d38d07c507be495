import type { AuditEventPublic, AuditEventType } from "@/client/types.gen"
import type { Column } from "@/components/list/data-table"
import { Badge } from "@/components/ui/badge"
import { formatDateTime } from "@/lib/utils"

type Tone = "gray" | "green" | "red" | "indigo" | "amber"

export const EVENTS: Record<AuditEventType, { label: string; tone: Tone }> = {
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
  identity_linked: { label: "Provider linked", tone: "indigo" },
  identity_unlinked: { label: "Provider unlinked", tone: "gray" },
  two_factor_enabled: { label: "Two-factor turned on", tone: "green" },
  two_factor_disabled: { label: "Two-factor turned off", tone: "amber" },
  two_factor_reset: { label: "Two-factor reset", tone: "red" },
  two_factor_failed: { label: "Wrong authentication code", tone: "amber" },
  recovery_code_used: { label: "Recovery code used", tone: "amber" },
  recovery_codes_replaced: { label: "New recovery codes", tone: "indigo" },
  session_revoked: { label: "Session logged out", tone: "gray" },
  team_created: { label: "Team created", tone: "green" },
  team_renamed: { label: "Team renamed", tone: "gray" },
  team_deleted: { label: "Team deleted", tone: "red" },
  team_member_added: { label: "Member added", tone: "green" },
  team_member_removed: { label: "Member removed", tone: "amber" },
  team_role_changed: { label: "Team role changed", tone: "amber" },
  team_ownership_changed: { label: "Team ownership changed", tone: "amber" },
  team_invitation_created: { label: "Invitation sent", tone: "indigo" },
  team_invitation_revoked: { label: "Invitation revoked", tone: "gray" },
  team_invitation_accepted: { label: "Invitation accepted", tone: "green" },
  superuser_team_access: { label: "Superuser entered a team", tone: "red" },
}

export const EVENT_TYPES = Object.keys(EVENTS) as AuditEventType[]

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

function EventCell({ event }: { event: AuditEventPublic }) {
  const kind = EVENTS[event.event_type] ?? { label: event.event_type, tone: "gray" as const }
  const details = describeDetails(event.details)
  return (
    <>
      <Badge tone={kind.tone}>{kind.label}</Badge>
      {details && (
        <p className="mt-1 truncate text-xs text-zinc-500 dark:text-zinc-400" title={details}>
          {details}
        </p>
      )}
    </>
  )
}

/** The activity log's columns; the signed-in superuser shows as "You". */
export function eventColumns(currentUserId: string): Column<AuditEventPublic>[] {
  return [
    { header: "Event", className: "w-full max-w-0", cell: (event) => <EventCell event={event} /> },
    {
      header: "By",
      from: "md",
      className: "whitespace-nowrap text-zinc-700 dark:text-zinc-300",
      cell: (event) => who(event.actor_id, currentUserId),
    },
    {
      header: "Account",
      from: "md",
      className: "whitespace-nowrap text-zinc-700 dark:text-zinc-300",
      cell: (event) => who(event.target_id, currentUserId),
    },
    {
      header: "IP address",
      from: "lg",
      headerClassName: "whitespace-nowrap",
      className: "whitespace-nowrap font-mono text-xs text-zinc-500 dark:text-zinc-400",
      cell: (event) => event.ip ?? "—",
    },
    {
      header: "When",
      className: "whitespace-nowrap text-zinc-500 dark:text-zinc-400",
      cell: (event) => <time dateTime={event.created_at}>{formatDateTime(event.created_at)}</time>,
    },
  ]
}
