import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, Link, useRouter } from "@tanstack/react-router"
import { useForm } from "react-hook-form"
import { loginResetPassword } from "@/client/sdk.gen"
import { AuthLayout, linkClasses } from "@/components/auth/auth-layout"
import { Button } from "@/components/ui/button"
import { FormAlert } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { usePageTitle } from "@/hooks/use-page-title"
import { session } from "@/lib/api"
import { errorMessage } from "@/lib/errors"
import { type ResetPasswordValues, resetPasswordSchema } from "@/lib/schemas"

export const Route = createFileRoute("/reset-password")({
  validateSearch: (search: Record<string, unknown>): { token?: string } => ({
    token: typeof search.token === "string" && search.token ? search.token : undefined,
  }),
  component: ResetPasswordPage,
})

function ResetPasswordPage() {
  usePageTitle("Reset password")
  const { token } = Route.useSearch()
  const router = useRouter()
  const queryClient = useQueryClient()
  const form = useForm<ResetPasswordValues>({
    resolver: zodResolver(resetPasswordSchema),
    defaultValues: { password: "", confirm: "" },
  })
  const reset = useMutation({
    mutationFn: (values: ResetPasswordValues) =>
      loginResetPassword({
        body: { token: token ?? "", new_password: values.password },
        throwOnError: true,
      }),
    meta: { inlineErrors: true },
    onSuccess: async () => {
      // A reset ends every session of the account, this browser's included.
      session.clear()
      queryClient.clear()
      await router.navigate({ to: "/login", search: { notice: "password-reset" } })
    },
  })
  const footer = (
    <Link to="/login" className={linkClasses}>
      Back to log in
    </Link>
  )

  if (!token) {
    return (
      <AuthLayout title="This link is incomplete" footer={footer}>
        <p className="text-sm text-zinc-600 dark:text-zinc-400">
          Open the link from the email exactly as it was sent, or{" "}
          <Link to="/recover-password" className={linkClasses}>
            ask for a new one
          </Link>
          .
        </p>
      </AuthLayout>
    )
  }

  return (
    <AuthLayout
      title="Choose a new password"
      subtitle="You'll use it the next time you log in."
      footer={footer}
    >
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => reset.mutate(values))}
        className="space-y-5"
      >
        <FormAlert message={reset.error ? errorMessage(reset.error) : null} />
        <PasswordField
          label="New password"
          autoComplete="new-password"
          autoFocus
          hint="8 to 128 characters."
          error={form.formState.errors.password?.message}
          {...form.register("password")}
        />
        <PasswordField
          label="Confirm new password"
          autoComplete="new-password"
          error={form.formState.errors.confirm?.message}
          {...form.register("confirm")}
        />
        <Button type="submit" className="w-full" loading={reset.isPending}>
          Reset password
        </Button>
      </form>
    </AuthLayout>
  )
}
