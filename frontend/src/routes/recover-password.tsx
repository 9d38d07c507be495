import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation } from "@tanstack/react-query"
import { createFileRoute, Link, redirect } from "@tanstack/react-router"
import { MailCheck } from "lucide-react"
import { useForm } from "react-hook-form"
import { loginRecoverPassword } from "@/client/sdk.gen"
import { AuthLayout, linkClasses } from "@/components/auth/auth-layout"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { usePageTitle } from "@/hooks/use-page-title"
import { errorMessage } from "@/lib/errors"
import { type RecoverValues, recoverSchema } from "@/lib/schemas"

export const Route = createFileRoute("/recover-password")({
  beforeLoad: ({ context }) => {
    if (context.session.isAuthenticated) throw redirect({ to: "/" })
  },
  component: RecoverPasswordPage,
})

function RecoverPasswordPage() {
  usePageTitle("Recover password")
  const form = useForm<RecoverValues>({
    resolver: zodResolver(recoverSchema),
    defaultValues: { email: "" },
  })
  const recover = useMutation({
    mutationFn: async (values: RecoverValues) =>
      (await loginRecoverPassword({ body: { email: values.email }, throwOnError: true })).data,
    meta: { inlineErrors: true },
  })
  const footer = (
    <Link to="/login" className={linkClasses}>
      Back to log in
    </Link>
  )

  if (recover.isSuccess) {
    return (
      <AuthLayout title="Check your email" footer={footer}>
        <div className="flex flex-col items-center text-center" role="status">
          <div className="flex h-12 w-12 items-center justify-center rounded-full bg-emerald-50 text-emerald-600 dark:bg-emerald-500/10 dark:text-emerald-400">
            <MailCheck className="h-6 w-6" aria-hidden="true" />
          </div>
          <p className="mt-4 text-sm text-zinc-600 dark:text-zinc-400">
            If an account exists for{" "}
            <span className="font-medium text-zinc-900 dark:text-zinc-100">
              {recover.variables.email}
            </span>
            , we've sent a link to reset its password. It works for a limited time.
          </p>
        </div>
      </AuthLayout>
    )
  }

  return (
    <AuthLayout
      title="Forgot your password?"
      subtitle="Enter your email and we'll send you a link to choose a new one."
      footer={footer}
    >
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => recover.mutate(values))}
        className="space-y-5"
      >
        <FormAlert message={recover.error ? errorMessage(recover.error) : null} />
        <InputField
          label="Email"
          type="email"
          autoComplete="email"
          autoFocus
          error={form.formState.errors.email?.message}
          {...form.register("email")}
        />
        <Button type="submit" className="w-full" loading={recover.isPending}>
          Send reset link
        </Button>
      </form>
    </AuthLayout>
  )
}
