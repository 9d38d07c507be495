import { expect, test } from "@playwright/test"
import { ADMIN } from "./config"
import { createUser, logIn, uniqueEmail } from "./helpers"

test("settings: change name and email", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "profile" })
  const newEmail = uniqueEmail("renamed")
  await logIn(page, user)
  await page.goto("/settings")
  await expect(page.getByLabel("Email")).toHaveValue(user.email)
  await page.getByLabel("Full name").fill("Alex Renamed")
  await page.getByLabel("Email").fill(newEmail)
  await page.getByRole("button", { name: "Save profile" }).click()
  await expect(page.getByText("Enter your current password to change your email")).toBeVisible()
  await page.getByLabel("Current password").fill(user.password)
  await page.getByRole("button", { name: "Save profile" }).click()
  await expect(page.getByRole("status").filter({ hasText: "Profile saved" })).toBeVisible()

  await page.reload()
  await expect(page.getByLabel("Full name")).toHaveValue("Alex Renamed")
  await expect(page.getByLabel("Email")).toHaveValue(newEmail)
  await expect(page.getByRole("complementary")).toContainText("Alex Renamed")
})

test("settings: change password, then log in again with it", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "password" })
  await logIn(page, user)
  await page.goto("/settings")
  await page.getByRole("tab", { name: "Password" }).click()
  await page.getByLabel("Current password").fill("not-my-password")
  await page.getByLabel("New password", { exact: true }).fill("changed-password")
  await page.getByLabel("Confirm new password").fill("changed-password")
  await page.getByRole("button", { name: "Change password" }).click()
  await expect(page.getByRole("alert")).toHaveText("Your current password is incorrect.")

  await page.getByLabel("Current password").fill(user.password)
  await page.getByRole("button", { name: "Change password" }).click()
  await expect(page).toHaveURL(/\/login/)
  await expect(page.getByText("Your password was changed.")).toBeVisible()

  await logIn(page, { email: user.email, password: "changed-password" })
})

test("settings: the theme is remembered across reloads", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "theme" })
  await logIn(page, user)
  await page.goto("/settings?tab=appearance")
  const html = page.locator("html")
  await page.getByText("Dark", { exact: true }).click()
  await expect(html).toHaveClass(/dark/)
  await page.reload()
  await expect(html).toHaveClass(/dark/)
  await expect(page.getByRole("radio", { name: "Dark" })).toBeChecked()

  await page.getByText("Light", { exact: true }).click()
  await expect(html).not.toHaveClass(/dark/)
  await page.reload()
  await expect(html).not.toHaveClass(/dark/)
  await expect(page.getByRole("radio", { name: "Light" })).toBeChecked()
})

test("settings: delete my own account", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "leaving" })
  await logIn(page, user)
  await page.goto("/settings")
  await page.getByRole("tab", { name: "Danger zone" }).click()
  await page.getByRole("button", { name: "Delete my account" }).click()
  const confirm = page.getByRole("dialog", { name: "Delete your account?" })
  await confirm.getByRole("button", { name: "Delete my account" }).click()
  await expect(page).toHaveURL(/\/login/)
  await expect(page.getByText("Your account has been deleted.")).toBeVisible()

  await page.getByLabel("Email").fill(user.email)
  await page.getByLabel("Password", { exact: true }).fill(user.password)
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.")
})

test("settings: a superuser is not offered to delete their account", async ({ page }) => {
  await logIn(page, ADMIN)
  await page.goto("/settings")
  await expect(page.getByRole("tab", { name: "Appearance" })).toBeVisible()
  await expect(page.getByRole("tab", { name: "Danger zone" })).toHaveCount(0)
})
