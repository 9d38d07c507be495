import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useForm } from "react-hook-form"
import { usersUpdateUserMe } from "@/client/sdk.gen"
import type { UserUpdateMe } from "@/client/types.gen"
import { Button } from "@/components/ui/button"
import { FormAlert, InputField } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { useCurrentUser } from "@/hooks/use-current-user"
import { orNull, type ProfileValues, profileSchema } from "@/lib/schemas"
import { toast } from "@/lib/toast"
import { SettingsSection } from "./section"

export function ProfileForm() {
  const user = useCurrentUser()
  const queryClient = useQueryClient()
  const form = useForm<ProfileValues>({
    resolver: zodResolver(profileSchema(user.email)),
    values: { full_name: user.full_name ?? "", email: user.email, current_password: "" },
  })
  const save = useMutation({
    mutationFn: async (values: ProfileValues) => {
      const body: UserUpdateMe = { full_name: orNull(values.full_name) }
      if (values.email.toLowerCase() !== user.email.toLowerCase()) {
        body.email = values.email
        body.current_password = values.current_password
      }
      return (await usersUpdateUserMe({ body, throwOnError: true })).data
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(["currentUser"], updated)
      // A new email may only be pending: show what the account has now.
      form.reset({ full_name: updated.full_name ?? "", email: updated.email, current_password: "" })
      void queryClient.invalidateQueries({ queryKey: ["users"] })
      if (updated.pending_email && updated.pending_email !== user.pending_email) {
        toast.info(
          "Confirm your new email",
          `We sent a link to ${updated.pending_email}. Your email changes once you follow it.`,
        )
      } else {
        toast.success("Profile saved")
      }
    },
  })
  const { errors, isDirty } = form.formState
  const emailChanged = form.watch("email").trim().toLowerCase() !== user.email.toLowerCase()

  return (
    <SettingsSection title="Profile" description="Your name and the email you log in with.">
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => save.mutate(values))}
        className="space-y-5"
      >
        {user.pending_email && (
          <FormAlert
            tone="info"
            message={`Waiting for confirmation of ${user.pending_email}: follow the link we sent there to switch to it.`}
          />
        )}
        <InputField
          label="Full name"
          autoComplete="name"
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
        {emailChanged && (
          <PasswordField
            label="Current password"
            autoComplete="current-password"
            required
            hint="Needed to change the email you log in with."
            error={errors.current_password?.message}
            {...form.register("current_password")}
          />
        )}
        <div className="flex justify-end gap-2">
          <Button
            variant="outline"
            disabled={!isDirty || save.isPending}
            onClick={() => form.reset()}
          >
            Cancel
          </Button>
          <Button type="submit" disabled={!isDirty} loading={save.isPending}>
            Save profile
          </Button>
        </div>
      </form>
    </SettingsSection>
  )
}
