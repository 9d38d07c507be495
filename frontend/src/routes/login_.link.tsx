import { useMutation, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, Link, useRouter } from "@tanstack/react-router"
import { useState } from "react"
import { loginConfirmLink } from "@/client/sdk.gen"
import { AuthLayout, linkClasses } from "@/components/auth/auth-layout"
import { Button } from "@/components/ui/button"
import { FormAlert } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { usePageTitle } from "@/hooks/use-page-title"
import { session } from "@/lib/api"
import { errorMessage } from "@/lib/errors"
import { needsSecondStep } from "@/lib/sign-in"

interface LinkSearch {
  provider?: string
  email?: string
}

export const Route = createFileRoute("/login_/link")({
  validateSearch: (search: Record<string, unknown>): LinkSearch => ({
    provider: typeof search.provider === "string" ? search.provider : undefined,
    email: typeof search.email === "string" ? search.email : undefined,
  }),
  component: LinkAccountPage,
})

/**
 * A provider vouched for an address that already has an account here: its password
 * links the two (the provider's side waits in an HttpOnly cookie for 10 minutes).
 */
function LinkAccountPage() {
  usePageTitle("Link your account")
  const { provider, email } = Route.useSearch()
  const router = useRouter()
  const queryClient = useQueryClient()
  const [password, setPassword] = useState("")
  const [missing, setMissing] = useState(false)
  const confirm = useMutation({
    mutationFn: async () =>
      (await loginConfirmLink({ body: { password }, throwOnError: true })).data,
    meta: { inlineErrors: true },
    onSuccess: async (answer) => {
      if (needsSecondStep(answer)) {
        await router.navigate({ to: "/login/two-factor", search: {} })
        return
      }
      queryClient.clear()
      session.start(answer)
      await router.navigate({ to: "/", replace: true })
    },
  })

  return (
    <AuthLayout
      title="Link your account"
      subtitle={
        <>
          An account with {email ? <strong>{email}</strong> : "this email"} already exists. Enter
          its password to sign in with {provider ?? "this provider"} from now on.
        </>
      }
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
          setMissing(password === "")
          if (password !== "") confirm.mutate()
        }}
      >
        <FormAlert message={confirm.error ? errorMessage(confirm.error) : null} />
        <PasswordField
          label="Password"
          autoComplete="current-password"
          autoFocus
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={missing ? "Enter your password" : undefined}
        />
        <Button type="submit" className="w-full" loading={confirm.isPending}>
          Link and log in
        </Button>
      </form>
    </AuthLayout>
  )
}
