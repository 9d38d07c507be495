import { zodResolver } from "@hookform/resolvers/zod"
import { useMutation, useQueryClient } from "@tanstack/react-query"
import { useState } from "react"
import { useForm } from "react-hook-form"
import { usersCreateUser, usersResetTwoFactor, usersUpdateUser } from "@/client/sdk.gen"
import type { UserPublic, UserUpdate } from "@/client/types.gen"
import { Button } from "@/components/ui/button"
import { Dialog, DialogFooter } from "@/components/ui/dialog"
import { CheckboxField, InputField } from "@/components/ui/field"
import { PasswordField } from "@/components/ui/password-field"
import { createUserSchema, type EditUserValues, editUserSchema, orNull } from "@/lib/schemas"
import { toast } from "@/lib/toast"

export interface UserDialogProps {
  open: boolean
  onClose: () => void
  /** The user to edit; a new user when absent. */
  user?: UserPublic
  /** The superuser using the dialog: they may not deactivate or demote themselves. */
  currentUserId: string
}

export function UserDialog({ open, onClose, user, currentUserId }: UserDialogProps) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      size="lg"
      title={user ? "Edit user" : "Add user"}
      description={
        user
          ? `Change ${user.full_name || user.email}'s details and access.`
          : "Create an account for someone."
      }
    >
      <UserForm user={user} onDone={onClose} isSelf={user?.id === currentUserId} />
    </Dialog>
  )
}

function UserForm({
  user,
  onDone,
  isSelf,
}: {
  user?: UserPublic
  onDone: () => void
  isSelf: boolean
}) {
  const queryClient = useQueryClient()
  const form = useForm<EditUserValues>({
    // Creating needs a password; editing keeps the old one when left empty.
    resolver: zodResolver(user ? editUserSchema : createUserSchema),
    defaultValues: {
      full_name: user?.full_name ?? "",
      email: user?.email ?? "",
      password: "",
      confirm: "",
      is_superuser: user?.is_superuser ?? false,
      is_active: user?.is_active ?? true,
      is_verified: user?.is_verified ?? true,
    },
  })
  const save = useMutation({
    mutationFn: async (values: EditUserValues) => {
      const fields = {
        email: values.email,
        full_name: orNull(values.full_name),
        is_superuser: values.is_superuser,
        is_active: values.is_active,
        is_verified: values.is_verified,
      }
      if (!user) {
        return (
          await usersCreateUser({
            body: { ...fields, password: values.password },
            throwOnError: true,
          })
        ).data
      }
      const body: UserUpdate = values.password ? { ...fields, password: values.password } : fields
      return (await usersUpdateUser({ path: { user_id: user.id }, body, throwOnError: true })).data
    },
    onSuccess: async (saved) => {
      toast.success(user ? "User updated" : "User added", saved.email)
      await queryClient.invalidateQueries({ queryKey: ["users"] })
      if (isSelf) await queryClient.invalidateQueries({ queryKey: ["currentUser"] })
      onDone()
    },
  })
  const { errors } = form.formState

  return (
    <form noValidate onSubmit={form.handleSubmit((values) => save.mutate(values))}>
      <div className="grid gap-5 sm:grid-cols-2">
        <InputField
          label="Email"
          type="email"
          required
          autoFocus
          autoComplete="off"
          error={errors.email?.message}
          {...form.register("email")}
        />
        <InputField
          label="Full name"
          autoComplete="off"
          error={errors.full_name?.message}
          {...form.register("full_name")}
        />
        <PasswordField
          label={user ? "New password" : "Password"}
          required={!user}
          autoComplete="new-password"
          hint={user ? "Leave empty to keep the current password." : "8 to 128 characters."}
          error={errors.password?.message}
          {...form.register("password")}
        />
        <PasswordField
          label={user ? "Confirm new password" : "Confirm password"}
          required={!user}
          autoComplete="new-password"
          error={errors.confirm?.message}
          {...form.register("confirm")}
        />
      </div>
      <fieldset className="mt-6 space-y-4 rounded-xl border border-zinc-200 p-4 dark:border-zinc-800">
        <legend className="px-1 text-sm font-medium text-zinc-800 dark:text-zinc-200">
          Access
        </legend>
        <CheckboxField
          label="Active"
          description={isSelf ? "You can't deactivate yourself." : "Inactive users can't log in."}
          disabled={isSelf}
          {...form.register("is_active")}
        />
        <CheckboxField
          label="Superuser"
          description={
            isSelf
              ? "You can't remove your own superuser role."
              : "Superusers manage users and see every item."
          }
          disabled={isSelf}
          {...form.register("is_superuser")}
        />
        <CheckboxField
          label="Email verified"
          description="Where confirmation is required, unverified users can't log in until they follow the emailed link."
          {...form.register("is_verified")}
        />
      </fieldset>
      {user?.two_factor_enabled && !isSelf && <ResetTwoFactor user={user} onDone={onDone} />}
      <DialogFooter>
        <Button variant="outline" onClick={onDone} disabled={save.isPending}>
          Cancel
        </Button>
        <Button type="submit" loading={save.isPending}>
          {user ? "Save changes" : "Add user"}
        </Button>
      </DialogFooter>
    </form>
  )
}

/** For a user who lost their authenticator: their next login takes one step. */
function ResetTwoFactor({ user, onDone }: { user: UserPublic; onDone: () => void }) {
  const queryClient = useQueryClient()
  const [confirming, setConfirming] = useState(false)
  const reset = useMutation({
    mutationFn: () => usersResetTwoFactor({ path: { user_id: user.id }, throwOnError: true }),
    onSuccess: async () => {
      toast.success("Two-factor authentication reset", user.email)
      await queryClient.invalidateQueries({ queryKey: ["users"] })
      onDone()
    },
  })
  return (
    <div className="mt-6 flex flex-wrap items-center justify-between gap-3 rounded-xl border border-zinc-200 p-4 text-sm dark:border-zinc-800">
      <p className="text-zinc-700 dark:text-zinc-300">
        Two-factor authentication is on. Reset it if they lost their authenticator and their
        recovery codes.
      </p>
      <Button
        variant={confirming ? "danger" : "outline"}
        size="sm"
        loading={reset.isPending}
        onClick={() => (confirming ? reset.mutate() : setConfirming(true))}
      >
        {confirming ? "Confirm reset" : "Reset two-factor"}
      </Button>
    </div>
  )
}
