import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useForm } from "react-hook-form"
import { usersUpdateUserMe } from "@/client/sdk.gen"
import { Button } from "@/components/ui/button"
import { InputField } from "@/components/ui/field"
import { useCurrentUser } from "@/hooks/use-current-user"
import { orNull, type ProfileValues, profileSchema } from "@/lib/schemas"
import { toast } from "@/lib/toast"
import { SettingsSection } from "./section"

export function ProfileForm() {
  const user = useCurrentUser()
  const queryClient = useQueryClient()
  const form = useForm<ProfileValues>({
    resolver: zodResolver(profileSchema),
    values: { full_name: user.full_name ?? "", email: user.email },
  })
  const save = useMutation({
    mutationFn: async (values: ProfileValues) =>
      (
        await usersUpdateUserMe({
          body: { full_name: orNull(values.full_name), email: values.email },
          throwOnError: true,
        })
      ).data,
    onSuccess: (updated) => {
      queryClient.setQueryData(["currentUser"], updated)
      void queryClient.invalidateQueries({ queryKey: ["users"] })
      toast.success("Profile saved")
    },
  })
  const { errors, isDirty } = form.formState

  return (
    <SettingsSection title="Profile" description="Your name and the email you log in with.">
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => save.mutate(values))}
        className="space-y-5"
      >
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
