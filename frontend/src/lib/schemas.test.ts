import { describe, expect, it } from "vitest"
import {
  changePasswordSchema,
  createUserSchema,
  editUserSchema,
  itemSchema,
  loginSchema,
  passwordField,
  profileSchema,
  signUpSchema,
} from "./schemas"

const messages = (result: { success: boolean; error?: { issues: { message: string }[] } }) =>
  result.success ? [] : (result.error?.issues.map((issue) => issue.message) ?? [])

describe("passwords, as the backend limits them", () => {
  it("accepts 8 to 128 characters, accented ones alike", () => {
    expect(passwordField.safeParse("a".repeat(8)).success).toBe(true)
    expect(passwordField.safeParse("a".repeat(128)).success).toBe(true)
    expect(passwordField.safeParse("é".repeat(100)).success).toBe(true)
  })

  it("refuses fewer than 8 or more than 128 characters", () => {
    expect(messages(passwordField.safeParse("a".repeat(7)))).toEqual(["Use at least 8 characters"])
    expect(messages(passwordField.safeParse("a".repeat(129)))).toEqual([
      "Use at most 128 characters",
    ])
  })
})

describe("form schemas", () => {
  it("login needs an email and a password", () => {
    expect(messages(loginSchema.safeParse({ email: "", password: "" }))).toEqual([
      "Enter an email address",
      "Enter your password",
    ])
    expect(messages(loginSchema.safeParse({ email: "nope", password: "x" }))).toEqual([
      "Enter a valid email address",
    ])
    expect(loginSchema.safeParse({ email: " a@example.com ", password: "x" }).data?.email).toBe(
      "a@example.com",
    )
  })

  it("sign-up wants matching passwords", () => {
    const base = { full_name: "", email: "a@example.com", password: "long-enough" }
    expect(signUpSchema.safeParse({ ...base, confirm: "long-enough" }).success).toBe(true)
    const result = signUpSchema.safeParse({ ...base, confirm: "something-else" })
    expect(messages(result)).toEqual(["The passwords don't match"])
    expect(result.error?.issues[0]?.path).toEqual(["confirm"])
  })

  it("names and emails are at most 255 characters", () => {
    const long = "x".repeat(256)
    const result = signUpSchema.safeParse({
      full_name: long,
      email: `${"a".repeat(250)}@example.com`,
      password: "long-enough",
      confirm: "long-enough",
    })
    expect(messages(result)).toEqual(["Use at most 255 characters", "Use at most 255 characters"])
  })

  it("an item needs a title of 1 to 255 characters; the description is optional", () => {
    expect(messages(itemSchema.safeParse({ title: "   ", description: "" }))).toEqual([
      "Give the item a title",
    ])
    expect(itemSchema.safeParse({ title: "Milk", description: "" }).success).toBe(true)
    expect(
      messages(itemSchema.safeParse({ title: "t".repeat(256), description: "d".repeat(256) })),
    ).toHaveLength(2)
  })

  it("creating a user needs a password; editing one may leave it empty", () => {
    const user = {
      full_name: "",
      email: "a@example.com",
      is_superuser: false,
      is_active: true,
      is_verified: true,
    }
    expect(messages(createUserSchema.safeParse({ ...user, password: "", confirm: "" }))).toEqual([
      "Use at least 8 characters",
    ])
    expect(editUserSchema.safeParse({ ...user, password: "", confirm: "" }).success).toBe(true)
    expect(
      messages(editUserSchema.safeParse({ ...user, password: "short", confirm: "short" })),
    ).toEqual(["Use at least 8 characters"])
  })

  it("a new password must differ from the current one", () => {
    const result = changePasswordSchema.safeParse({
      current_password: "same-password",
      password: "same-password",
      confirm: "same-password",
    })
    expect(messages(result)).toEqual(["Choose a password different from the current one"])
  })

  it("changing the email needs the current password, changing the name does not", () => {
    const schema = profileSchema("me@example.com")
    expect(
      schema.safeParse({ full_name: "New", email: "me@example.com", current_password: "" }).success,
    ).toBe(true)
    expect(
      messages(schema.safeParse({ full_name: "", email: "new@example.com", current_password: "" })),
    ).toEqual(["Enter your current password to change your email"])
    expect(
      schema.safeParse({ full_name: "", email: "new@example.com", current_password: "secret" })
        .success,
    ).toBe(true)
  })
})
