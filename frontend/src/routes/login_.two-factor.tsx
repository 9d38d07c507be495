import { useMutation, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, Link, redirect, useRouter } from "@tanstack/react-router"
import { useState } from "react"
import { loginLoginTwoFactor } from "@/client/sdk.gen"
import { AuthLayout, linkClasses } from "@/components/auth/auth-layout"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { usePageTitle } from "@/hooks/use-page-title"
import { session } from "@/lib/api"
import { errorMessage } from "@/lib/errors"
import { safeRedirect } from "@/lib/search"

/** A 6-digit code, or a recovery code (16 letters and digits, dashes allowed). */
const CODE = /^(\d{6}|[A-Za-z2-7]{4}([ -]?[A-Za-z2-7]{4}){3})$/

export const Route = createFileRoute("/login_/two-factor")({
  validateSearch: (search: Record<string, unknown>): { redirect?: string } => ({
    redirect: typeof search.redirect === "string" ? search.redirect : undefined,
  }),
  beforeLoad: ({ context, search }) => {
    if (context.session.isAuthenticated) throw redirect({ href: safeRedirect(search.redirect) })
  },
  component: SecondStepPage,
})

/**
 * A login's second step. The first step's token waits in an HttpOnly cookie scoped to
 * `/api/v1/login/2fa` (set by the password login or the provider's callback), so the
 * page sends only the code, and a reload keeps working for the token's 5 minutes.
 */
function SecondStepPage() {
  usePageTitle("Two-factor authentication")
  const search = Route.useSearch()
  const router = useRouter()
  const queryClient = useQueryClient()
  const [code, setCode] = useState("")
  const [invalid, setInvalid] = useState<string | null>(null)
  const verify = useMutation({
    mutationFn: async (value: string) =>
      (await loginLoginTwoFactor({ body: { code: value }, throwOnError: true })).data,
    meta: { inlineErrors: true },
    onSuccess: async (token) => {
      queryClient.clear()
      session.start(token)
      await router.navigate({ href: safeRedirect(search.redirect), replace: true })
    },
  })

  return (
    <AuthLayout
      title="Two-factor authentication"
      subtitle="Enter the 6-digit code from your authenticator app, or one of your recovery codes."
      footer={
        <Link to="/login" className={linkClasses}>
          Back to log in
        </Link>
      }
    >
      <form
        noValidate
        className="space-y-5"
        onSubmit={(event) => {
          event.preventDefault()
          const value = code.trim()
          if (!CODE.test(value)) {
            setInvalid("Enter the 6-digit code or a recovery code.")
            return
          }
          setInvalid(null)
          verify.mutate(value)
        }}
      >
        <FormAlert message={verify.error ? errorMessage(verify.error) : null} />
        <InputField
          label="Authentication code"
          autoComplete="one-time-code"
          inputMode="text"
          autoFocus
          required
          value={code}
          onChange={(event) => setCode(event.target.value)}
          error={invalid ?? undefined}
        />
        <Button type="submit" className="w-full" loading={verify.isPending}>
          Verify
        </Button>
      </form>
    </AuthLayout>
  )
}
