import { useMutation, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, Link } from "@tanstack/react-router"
import { CircleAlert, CircleCheck } from "lucide-react"
import { useEffect, useRef } from "react"
import { usersVerifyEmail } from "@/client/sdk.gen"
import { AuthLayout, linkClasses } from "@/components/auth/auth-layout"
import { buttonClasses } from "@/components/ui/button"
import { Spinner } from "@/components/ui/spinner"
import { usePageTitle } from "@/hooks/use-page-title"
import { session } from "@/lib/api"
import { errorMessage } from "@/lib/errors"

/** Where the emailed confirmation link lands: confirms the address (or a new one). */
export const Route = createFileRoute("/verify-email")({
  validateSearch: (search: Record<string, unknown>): { token?: string } => ({
    token: typeof search.token === "string" && search.token ? search.token : undefined,
  }),
  component: VerifyEmailPage,
})

function VerifyEmailPage() {
  usePageTitle("Confirm email")
  const { token } = Route.useSearch()
  const queryClient = useQueryClient()
  const verify = useMutation({
    mutationFn: async (value: string) =>
      (await usersVerifyEmail({ body: { token: value }, throwOnError: true })).data,
    meta: { inlineErrors: true },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["currentUser"] }),
  })
  // The link works once: send it once, even when React runs effects twice.
  const sent = useRef(false)
  useEffect(() => {
    if (token && !sent.current) {
      sent.current = true
      verify.mutate(token)
    }
  }, [token, verify])

  const next = session.isAuthenticated ? (
    <Link to="/" className={buttonClasses("primary", "md", "mt-6 w-full")}>
      Go to the dashboard
    </Link>
  ) : (
    <Link
      to="/login"
      search={{ notice: "email-verified" }}
      className={buttonClasses("primary", "md", "mt-6 w-full")}
    >
      Log in
    </Link>
  )

  if (!token || verify.isError) {
    return (
      <AuthLayout title="We couldn't confirm your email">
        <div role="alert" className="flex flex-col items-center text-center">
          <CircleAlert className="h-10 w-10 text-red-600 dark:text-red-400" aria-hidden="true" />
          <p className="mt-4 text-sm text-zinc-600 dark:text-zinc-400">
            {token
              ? errorMessage(verify.error)
              : "This link is incomplete: open it exactly as it was sent."}{" "}
            You can ask for a new link from the{" "}
            <Link to="/login" className={linkClasses}>
              login page
            </Link>
            .
          </p>
        </div>
      </AuthLayout>
    )
  }
  if (verify.isSuccess) {
    return (
      <AuthLayout title="Email confirmed">
        <div role="status" className="flex flex-col items-center text-center">
          <CircleCheck
            className="h-10 w-10 text-emerald-600 dark:text-emerald-400"
            aria-hidden="true"
          />
          <p className="mt-4 text-sm text-zinc-600 dark:text-zinc-400">
            <span className="font-medium text-zinc-900 dark:text-zinc-100">
              {verify.data.email}
            </span>{" "}
            is confirmed.
          </p>
          {next}
        </div>
      </AuthLayout>
    )
  }
  return (
    <AuthLayout title="Confirming your email">
      <div className="flex justify-center py-6 text-indigo-600 dark:text-indigo-400">
        <Spinner className="h-8 w-8" label="Confirming" />
      </div>
    </AuthLayout>
  )
}
