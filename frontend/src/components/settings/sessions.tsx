import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { usersEndOtherSessions, usersEndSession } from "@/client/sdk.gen"
import type { SessionPublic } from "@/client/types.gen"
import { Badge } from "@/components/ui/badge"
import { Button } from "@/components/ui/button"
import { FormAlert } from "@/components/ui/field"
import { Spinner } from "@/components/ui/spinner"
import { useProviderDisplay } from "@/hooks/use-provider-display"
import { errorMessage } from "@/lib/errors"
import { sessionsQuery } from "@/lib/queries"
import { describeMethod, describeUserAgent } from "@/lib/sessions"
import { toast } from "@/lib/toast"
import { formatDateTime } from "@/lib/utils"
import { SettingsSection } from "./section"

/** Where the user is logged in: every live session, and logging any of them out. */
export function Sessions() {
  const queryClient = useQueryClient()
  const sessions = useQuery(sessionsQuery)
  const display = useProviderDisplay()
  const refresh = () => queryClient.invalidateQueries({ queryKey: sessionsQuery.queryKey })
  const endOne = useMutation({
    mutationFn: (session: SessionPublic) =>
      usersEndSession({ path: { session_id: session.id }, throwOnError: true }),
    meta: { inlineErrors: true },
    onSuccess: (_answer, session) =>
      toast.success("Logged out", `${describeUserAgent(session.user_agent)} is logged out.`),
    // Ended elsewhere meanwhile (404): the list shows what is live now either way.
    onSettled: refresh,
  })
  const endOthers = useMutation({
    mutationFn: () => usersEndOtherSessions({ throwOnError: true }),
    meta: { inlineErrors: true },
    onSuccess: () => toast.success("Logged out everywhere else"),
    onSettled: refresh,
  })
  const error = endOne.error ?? endOthers.error ?? sessions.error

  return (
    <SettingsSection
      title="Where you're logged in"
      description="Every browser and app logged in to your account. Log out any you don't recognise."
    >
      <div className="space-y-4">
        <FormAlert message={error ? errorMessage(error) : null} />
        {sessions.isPending ? (
          <Spinner />
        ) : (
          <ul
            aria-label="Sessions"
            className="divide-y divide-zinc-200 rounded-lg border border-zinc-200 dark:divide-zinc-800 dark:border-zinc-800"
          >
            {sessions.data?.map((session) => {
              const browser = describeUserAgent(session.user_agent)
              return (
                <li key={session.id} className="flex items-center justify-between gap-3 p-3">
                  <div className="min-w-0 text-sm">
                    <p className="flex items-center gap-2 font-medium text-zinc-900 dark:text-white">
                      {browser}
                      {session.current && <Badge tone="green">This device</Badge>}
                    </p>
                    <p className="truncate text-zinc-600 dark:text-zinc-400">
                      {[
                        describeMethod(session.method, display),
                        session.ip,
                        `last active ${formatDateTime(session.last_used_at)}`,
                      ]
                        .filter(Boolean)
                        .join(" · ")}
                    </p>
                  </div>
                  {!session.current && (
                    <Button
                      variant="outline"
                      size="sm"
                      loading={endOne.isPending && endOne.variables?.id === session.id}
                      onClick={() => endOne.mutate(session)}
                      aria-label={`Log out ${browser}, last active ${formatDateTime(session.last_used_at)}`}
                    >
                      Log out
                    </Button>
                  )}
                </li>
              )
            })}
          </ul>
        )}
        {(sessions.data?.length ?? 0) > 1 && (
          <div className="flex justify-end">
            <Button
              variant="outline"
              loading={endOthers.isPending}
              onClick={() => endOthers.mutate()}
            >
              Log out everywhere else
            </Button>
          </div>
        )}
      </div>
    </SettingsSection>
  )
}
