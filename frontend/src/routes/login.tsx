import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, Link, redirect, useRouter } from "@tanstack/react-router"
import { useForm } from "react-hook-form"
import { loginLoginAccessToken, usersResendVerificationEmail } from "@/client/sdk.gen"
import { AuthLayout, linkClasses } from "@/components/auth/auth-layout"
import { ProviderButtons } from "@/components/auth/provider-buttons"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { usePageTitle } from "@/hooks/use-page-title"
import { session } from "@/lib/api"
import { errorMessage, isApiError } from "@/lib/errors"
import { providersQuery } from "@/lib/queries"
import { type LoginValues, loginSchema } from "@/lib/schemas"
import { safeRedirect } from "@/lib/search"
import { needsSecondStep, signInError } from "@/lib/sign-in"

const NOTICES = {
  "signed-up":
    "Your account is ready. If we emailed you a confirmation link, follow it first; then log in.",
  "email-verified": "Your email address is confirmed. Log in to continue.",
  "password-changed": "Your password was changed. Log in again with the new one.",
  "password-reset": "Your password has been reset. Log in with the new one.",
  "account-deleted": "Your account has been deleted. Sorry to see you go.",
  "logged-out": "You have been logged out.",
} as const

type Notice = keyof typeof NOTICES

interface LoginSearch {
  redirect?: string
  notice?: Notice
  /** Why a sign-in at a provider did not succeed (the server's code). */
  error?: string
}

export const Route = createFileRoute("/login")({
  validateSearch: (search: Record<string, unknown>): LoginSearch => ({
    redirect: typeof search.redirect === "string" ? search.redirect : undefined,
    notice:
      typeof search.notice === "string" && search.notice in NOTICES
        ? (search.notice as Notice)
        : undefined,
    error: typeof search.error === "string" ? search.error : undefined,
  }),
  beforeLoad: ({ context, search }) => {
    if (context.session.isAuthenticated) throw redirect({ href: safeRedirect(search.redirect) })
  },
  component: LoginPage,
})

function LoginPage() {
  usePageTitle("Log in")
  const search = Route.useSearch()
  const router = useRouter()
  const queryClient = useQueryClient()
  const providers = useQuery(providersQuery)
  const form = useForm<LoginValues>({
    resolver: zodResolver(loginSchema),
    defaultValues: { email: "", password: "" },
  })
  const login = useMutation({
    mutationFn: async (values: LoginValues) =>
      (
        await loginLoginAccessToken({
          body: { username: values.email, password: values.password },
          throwOnError: true,
        })
      ).data,
    meta: { inlineErrors: true },
    onSuccess: async (answer) => {
      if (needsSecondStep(answer)) {
        // The token also came as a cookie scoped to the second step's endpoint.
        await router.navigate({
          to: "/login/two-factor",
          search: { redirect: search.redirect },
        })
        return
      }
      queryClient.clear()
      session.start(answer)
      await router.navigate({ href: safeRedirect(search.redirect), replace: true })
    },
  })
  const resend = useMutation({
    mutationFn: (email: string) =>
      usersResendVerificationEmail({ body: { email }, throwOnError: true }),
    meta: { inlineErrors: true },
  })
  const { errors } = form.formState
  const unverified =
    isApiError(login.error, 403) &&
    (login.error.body as { detail?: unknown } | undefined)?.detail === "Email not verified"

  return (
    <AuthLayout
      title="Log in to your account"
      subtitle="Welcome back! Enter your details to continue."
      footer={
        <>
          Don't have an account?{" "}
          <Link to="/signup" className={linkClasses}>
            Sign up
          </Link>
        </>
      }
    >
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => login.mutate(values))}
        className="space-y-5"
      >
        {search.notice && !login.error && (
          <FormAlert
            tone={search.notice === "logged-out" ? "info" : "success"}
            message={NOTICES[search.notice]}
          />
        )}
        <FormAlert message={login.error ? errorMessage(login.error) : signInError(search.error)} />
        {unverified && (
          <div className="text-sm">
            {resend.isSuccess ? (
              <FormAlert
                tone="success"
                message="A new confirmation link is on its way. Check your inbox."
              />
            ) : (
              <Button
                variant="outline"
                size="sm"
                loading={resend.isPending}
                onClick={() => resend.mutate(form.getValues("email"))}
              >
                Send a new confirmation link
              </Button>
            )}
            {resend.error && <FormAlert message={errorMessage(resend.error)} />}
          </div>
        )}
        <InputField
          label="Email"
          type="email"
          autoComplete="username"
          autoFocus
          error={errors.email?.message}
          {...form.register("email")}
        />
        <div>
          <PasswordField
            label="Password"
            autoComplete="current-password"
            error={errors.password?.message}
            {...form.register("password")}
          />
          <div className="mt-2 text-right text-sm">
            <Link to="/recover-password" className={linkClasses}>
              Forgot your password?
            </Link>
          </div>
        </div>
        <Button type="submit" className="w-full" loading={login.isPending}>
          Log in
        </Button>
      </form>
      {providers.data && providers.data.length > 0 && (
        <ProviderButtons providers={providers.data} next={safeRedirect(search.redirect)} />
      )}
    </AuthLayout>
  )
}
