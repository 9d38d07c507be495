/** Form schemas: the same limits the backend enforces, with messages a person reads. */
import { z } from "zod"

export const MAX_TEXT = 255
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 128

export const emailField = z
  .string()
  .trim()
  .min(1, "Enter an email address")
  .max(MAX_TEXT, `Use at most ${MAX_TEXT} characters`)
  .pipe(z.email("Enter a valid email address"))

export const passwordField = z
  .string()
  .min(PASSWORD_MIN, `Use at least ${PASSWORD_MIN} characters`)
  .max(PASSWORD_MAX, `Use at most ${PASSWORD_MAX} characters`)

/** A password typed to prove who you are: only checked against the server. */
const passwordAttempt = z
  .string()
  .min(1, "Enter your password")
  .max(128, "That password is too long")

const fullNameField = z.string().trim().max(MAX_TEXT, `Use at most ${MAX_TEXT} characters`)

function confirmMatches<T extends { password: string; confirm: string }>(
  values: T,
  ctx: z.RefinementCtx,
) {
  if (values.password !== values.confirm) {
    ctx.addIssue({ code: "custom", path: ["confirm"], message: "The passwords don't match" })
  }
}

export const loginSchema = z.object({ email: emailField, password: passwordAttempt })

export const signUpSchema = z
  .object({
    full_name: fullNameField,
    email: emailField,
    password: passwordField,
    confirm: z.string(),
  })
  .superRefine(confirmMatches)

export const recoverSchema = z.object({ email: emailField })

export const resetPasswordSchema = z
  .object({ password: passwordField, confirm: z.string() })
  .superRefine(confirmMatches)

export const itemSchema = z.object({
  title: z
    .string()
    .trim()
    .min(1, "Give the item a title")
    .max(MAX_TEXT, `Use at most ${MAX_TEXT} characters`),
  description: z.string().trim().max(MAX_TEXT, `Use at most ${MAX_TEXT} characters`),
})

const userFields = {
  full_name: fullNameField,
  email: emailField,
  is_superuser: z.boolean(),
  is_active: z.boolean(),
  is_verified: z.boolean(),
  confirm: z.string(),
}

export const createUserSchema = z
  .object({ ...userFields, password: passwordField })
  .superRefine(confirmMatches)

/** Editing a user: leave the password empty to keep it. */
export const editUserSchema = z
  .object({ ...userFields, password: z.union([z.literal(""), passwordField]) })
  .superRefine(confirmMatches)

/** Changing the email needs the current password too. */
export const profileSchema = (currentEmail: string) =>
  z
    .object({
      full_name: fullNameField,
      email: emailField,
      current_password: z.string().max(128, "That password is too long"),
    })
    .superRefine((values, ctx) => {
      if (values.email.toLowerCase() !== currentEmail.toLowerCase() && !values.current_password) {
        ctx.addIssue({
          code: "custom",
          path: ["current_password"],
          message: "Enter your current password to change your email",
        })
      }
    })

export const changePasswordSchema = z
  .object({
    current_password: passwordAttempt,
    password: passwordField,
    confirm: z.string(),
  })
  .superRefine(confirmMatches)
  .refine((values) => values.password !== values.current_password, {
    path: ["password"],
    message: "Choose a password different from the current one",
  })

export type LoginValues = z.infer<typeof loginSchema>
export type SignUpValues = z.infer<typeof signUpSchema>
export type RecoverValues = z.infer<typeof recoverSchema>
export type ResetPasswordValues = z.infer<typeof resetPasswordSchema>
export type ItemValues = z.infer<typeof itemSchema>
export type CreateUserValues = z.infer<typeof createUserSchema>
export type EditUserValues = z.infer<typeof editUserSchema>
export type ProfileValues = z.infer<ReturnType<typeof profileSchema>>
export type ChangePasswordValues = z.infer<typeof changePasswordSchema>

/** An optional text field as the API wants it: empty means none. */
export const orNull = (text: string): string | null => (text.trim() === "" ? null : text.trim())
