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

test("settings: the sessions list shows other devices, and logs them out", async ({
  page,
  request,
}) => {
  const user = await createUser(request, { prefix: "sessions" })
  const logInFrom = async (agent: string) => {
    const response = await request.post("/api/v1/login/access-token", {
      form: { username: user.email, password: user.password },
      headers: { "User-Agent": agent },
    })
    expect(response.ok(), await response.text()).toBeTruthy()
    return ((await response.json()) as { access_token: string }).access_token
  }
  const firefox = await logInFrom(
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:135.0) Gecko/20100101 Firefox/135.0",
  )
  const me = (token: string) =>
    request.get("/api/v1/users/me", { headers: { Authorization: `Bearer ${token}` } })
  await logIn(page, user)
  await page.goto("/settings?tab=sign-in")

  const sessions = page.getByRole("list", { name: "Sessions" }).getByRole("listitem")
  await expect(sessions).toHaveCount(2)
  // The browser of the suite (its user agent is the Playwright device's).
  await expect(sessions.first()).toContainText(/^Chrome on /)
  await expect(sessions.first()).toContainText("This device")
  await expect(sessions.nth(1)).toContainText("Firefox on Windows")
  await expect(sessions.nth(1)).toContainText("Password · 127.0.0.1 · last active")
  await sessions
    .nth(1)
    .getByRole("button", { name: /^Log out Firefox on Windows/ })
    .click()
  await expect(page.getByRole("status").filter({ hasText: "Logged out" })).toBeVisible()
  await expect(sessions).toHaveCount(1)
  expect((await me(firefox)).status()).toBe(401)

  const others = [await logInFrom("curl/8.11.1"), await logInFrom("curl/8.11.1")]
  await page.reload()
  await expect(sessions).toHaveCount(3)
  await page.getByRole("button", { name: "Log out everywhere else" }).click()
  await expect(sessions).toHaveCount(1)
  await expect(sessions.first()).toContainText("This device")
  for (const token of others) expect((await me(token)).status()).toBe(401)
  await expect(page.getByRole("button", { name: "Log out everywhere else" })).toHaveCount(0)
})
