import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { Link, useRouter } from "@tanstack/react-router"
import { useForm } from "react-hook-form"
import { usersUpdatePasswordMe } from "@/client/sdk.gen"
import { linkClasses } from "@/components/auth/auth-layout"
import { Button } from "@/components/ui/button"
import { FormAlert } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { useCurrentUser } from "@/hooks/use-current-user"
import { session } from "@/lib/api"
import { errorMessage } from "@/lib/errors"
import { forgetAccountData } from "@/lib/queries"
import { type ChangePasswordValues, changePasswordSchema } from "@/lib/schemas"
import { SettingsSection } from "./section"

export function PasswordForm() {
  const user = useCurrentUser()
  const router = useRouter()
  const queryClient = useQueryClient()
  const form = useForm<ChangePasswordValues>({
    resolver: zodResolver(changePasswordSchema),
    defaultValues: { current_password: "", password: "", confirm: "" },
  })
  const change = useMutation({
    mutationFn: (values: ChangePasswordValues) =>
      usersUpdatePasswordMe({
        body: { current_password: values.current_password, new_password: values.password },
        throwOnError: true,
      }),
    meta: { inlineErrors: true },
    onSuccess: async () => {
      // The server ends every session of the account on a password change, this one too.
      session.clear()
      await router.navigate({ to: "/login", search: { notice: "password-changed" } })
      forgetAccountData(queryClient)
    },
  })
  const { errors } = form.formState

  if (!user.has_password) {
    return (
      <SettingsSection
        title="Password"
        description="Your account was made through a sign-in provider."
      >
        <p className="text-sm text-zinc-700 dark:text-zinc-300">
          Your account has no password yet. To set one, ask for a link through{" "}
          <Link to="/recover-password" className={linkClasses}>
            password recovery
          </Link>
          : it is emailed to {user.email}.
        </p>
      </SettingsSection>
    )
  }

  return (
    <SettingsSection
      title="Password"
      description="After changing it you'll be logged out everywhere, and log in again with the new one."
    >
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => change.mutate(values))}
        className="space-y-5"
      >
        <FormAlert message={change.error ? errorMessage(change.error) : null} />
        <PasswordField
          label="Current password"
          autoComplete="current-password"
          required
          error={errors.current_password?.message}
          {...form.register("current_password")}
        />
        <PasswordField
          label="New password"
          autoComplete="new-password"
          required
          hint="8 to 128 characters."
          error={errors.password?.message}
          {...form.register("password")}
        />
        <PasswordField
          label="Confirm new password"
          autoComplete="new-password"
          required
          error={errors.confirm?.message}
          {...form.register("confirm")}
        />
        <div className="flex justify-end">
          <Button type="submit" loading={change.isPending}>
            Change password
          </Button>
        </div>
      </form>
    </SettingsSection>
  )
}
