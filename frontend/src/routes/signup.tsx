import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation } from "@tanstack/react-query"
import { createFileRoute, Link, redirect, useRouter } from "@tanstack/react-router"
import { useForm } from "react-hook-form"
import { usersRegisterUser } from "@/client/sdk.gen"
import { AuthLayout, linkClasses } from "@/components/auth/auth-layout"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { usePageTitle } from "@/hooks/use-page-title"
import { errorMessage } from "@/lib/errors"
import { orNull, type SignUpValues, signUpSchema } from "@/lib/schemas"

export const Route = createFileRoute("/signup")({
  beforeLoad: ({ context }) => {
    if (context.session.isAuthenticated) throw redirect({ to: "/" })
  },
  component: SignUpPage,
})

function SignUpPage() {
  usePageTitle("Sign up")
  const router = useRouter()
  const form = useForm<SignUpValues>({
    resolver: zodResolver(signUpSchema),
    defaultValues: { full_name: "", email: "", password: "", confirm: "" },
  })
  const signUp = useMutation({
    mutationFn: (values: SignUpValues) =>
      usersRegisterUser({
        body: {
          email: values.email,
          password: values.password,
          full_name: orNull(values.full_name),
        },
        throwOnError: true,
      }),
    meta: { inlineErrors: true },
    onSuccess: () => router.navigate({ to: "/login", search: { notice: "signed-up" } }),
  })
  const { errors } = form.formState

  return (
    <AuthLayout
      title="Create an account"
      subtitle="It takes less than a minute."
      footer={
        <>
          Already have an account?{" "}
          <Link to="/login" className={linkClasses}>
            Log in
          </Link>
        </>
      }
    >
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => signUp.mutate(values))}
        className="space-y-5"
      >
        <FormAlert message={signUp.error ? errorMessage(signUp.error) : null} />
        <InputField
          label="Full name"
          autoComplete="name"
          autoFocus
          error={errors.full_name?.message}
          {...form.register("full_name")}
        />
        <InputField
          label="Email"
          type="email"
          autoComplete="email"
          required
          error={errors.email?.message}
          {...form.register("email")}
        />
        <PasswordField
          label="Password"
          autoComplete="new-password"
          required
          hint="8 to 128 characters."
          error={errors.password?.message}
          {...form.register("password")}
        />
        <PasswordField
          label="Confirm password"
          autoComplete="new-password"
          required
          error={errors.confirm?.message}
          {...form.register("confirm")}
        />
        <Button type="submit" className="w-full" loading={signUp.isPending}>
          Sign up
        </Button>
      </form>
    </AuthLayout>
  )
}
