import { expect, test } from "@playwright/test"
import { ADMIN } from "./config"
import { apiToken, createUser, latestMail, linkIn, logIn, logOut, uniqueEmail } from "./helpers"

test("the first superuser logs in and out; a wrong password says so", async ({ page }) => {
  await page.goto("/")
  await expect(page).toHaveURL(/\/login/)

  await page.getByLabel("Email").fill(ADMIN.email)
  await page.getByLabel("Password", { exact: true }).fill("not-the-password")
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.")
  await expect(page).toHaveURL(/\/login/)

  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password)
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText(ADMIN.name)
  await expect(page.getByRole("link", { name: "Admin", exact: true })).toBeVisible()

  await logOut(page)
  await expect(page.getByText("You have been logged out.")).toBeVisible()
  await page.goto("/items")
  await expect(page).toHaveURL(/\/login\?redirect=%2Fitems/)
})

test("sign up, then log in", async ({ page }) => {
  const email = uniqueEmail("signup")
  await page.goto("/login")
  await page.getByRole("link", { name: "Sign up" }).click()
  await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible()

  await page.getByLabel("Full name").fill("Sam Newcomer")
  await page.getByLabel("Email").fill(email)
  await page.getByLabel("Password", { exact: true }).fill("short")
  await page.getByLabel("Confirm password", { exact: true }).fill("different")
  await page.getByRole("button", { name: "Sign up" }).click()
  await expect(page.getByText("Use at least 8 characters")).toBeVisible()
  await expect(page.getByText("The passwords don't match")).toBeVisible()

  await page.getByLabel("Password", { exact: true }).fill("sam-password-1")
  await page.getByLabel("Confirm password", { exact: true }).fill("sam-password-1")
  await page.getByRole("button", { name: "Sign up" }).click()
  await expect(page.getByText("Your account is ready.")).toBeVisible()

  await logIn(page, { email, password: "sam-password-1" })
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Sam Newcomer")
})

test("signing up with a taken email says so", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "taken" })
  await page.goto("/signup")
  await page.getByLabel("Email").fill(user.email)
  await page.getByLabel("Password", { exact: true }).fill("another-password")
  await page.getByLabel("Confirm password", { exact: true }).fill("another-password")
  await page.getByRole("button", { name: "Sign up" }).click()
  await expect(page.getByRole("alert")).toHaveText("An account with this email already exists.")
})

test("recover a password through the emailed link, then log in with the new one", async ({
  page,
  request,
}) => {
  const user = await createUser(request, { prefix: "forgetful" })
  await page.goto("/login")
  await page.getByRole("link", { name: "Forgot your password?" }).click()
  await expect(page.getByRole("heading", { name: "Forgot your password?" })).toBeVisible()
  await page.getByLabel("Email").fill(user.email)
  await page.getByRole("button", { name: "Send reset link" }).click()
  await expect(page.getByRole("heading", { name: "Check your email" })).toBeVisible()

  const link = linkIn(await latestMail(request, user.email), "/reset-password")
  await page.goto(link)

  await page.getByLabel("New password", { exact: true }).fill("brand-new-password")
  await page.getByLabel("Confirm new password").fill("brand-new-password")
  await page.getByRole("button", { name: "Reset password" }).click()
  await expect(page.getByText("Your password has been reset.")).toBeVisible()

  await page.getByLabel("Email").fill(user.email)
  await page.getByLabel("Password", { exact: true }).fill(user.password)
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.")

  await logIn(page, { email: user.email, password: "brand-new-password" })

  // The link works once.
  await logOut(page)
  await page.goto(link)
  await page.getByLabel("New password", { exact: true }).fill("yet-another-password")
  await page.getByLabel("Confirm new password").fill("yet-another-password")
  await page.getByRole("button", { name: "Reset password" }).click()
  await expect(page.getByRole("alert")).toContainText("invalid or has expired")
})

test("a reload keeps the session; logout ends it on the server", async ({
  page,
  request,
  context,
}) => {
  const user = await createUser(request, { prefix: "session", name: "Riley Reload" })
  await logIn(page, user)
  await page.goto("/items")
  // Let the page's own refresh finish: a reload in the middle of it would send the
  // cookie the server just rotated, which the server treats as a stolen token.
  await expect(page.getByRole("heading", { name: "Items", exact: true })).toBeVisible()
  await page.reload()
  await expect(page.getByRole("heading", { name: "Items", exact: true })).toBeVisible()
  await expect(page).toHaveURL(/\/items$/)

  // Logged-in users are sent away from the login page.
  await page.goto("/login")
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Riley Reload")

  const cookie = (await context.cookies()).find((c) => c.name === "refresh_token")
  expect(cookie?.httpOnly).toBe(true)
  await logOut(page)

  const replay = await request.post("/api/v1/login/refresh", {
    data: { refresh_token: cookie?.value },
  })
  expect(replay.status()).toBe(401)
  await page.reload()
  await expect(page).toHaveURL(/\/login/)
})

test("an unknown address shows the not-found page", async ({ page }) => {
  await page.goto("/no/such/page")
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible()
  await page.getByRole("link", { name: "Back to the dashboard" }).click()
  await expect(page).toHaveURL(/\/login/)
})

test("when the server ends the session (401), the next action leads to login", async ({
  page,
  request,
}) => {
  const user = await createUser(request, { prefix: "revoked", name: "Casey Revoked" })
  await logIn(page, user)
  await page.goto("/items")
  await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()

  // A password change elsewhere ends every session of the account, this browser's too.
  const token = await apiToken(request, user)
  const change = await request.patch("/api/v1/users/me/password", {
    headers: { Authorization: `Bearer ${token}` },
    data: { current_password: user.password, new_password: "changed-elsewhere" },
  })
  expect(change.ok()).toBeTruthy()

  await page.getByRole("button", { name: "Add item" }).click()
  await page.getByLabel("Title").fill("Will not be saved")
  await page.getByRole("dialog").getByRole("button", { name: "Add item" }).click()
  await expect(page).toHaveURL(/\/login\?redirect=%2Fitems/)
  await expect(page.getByText("Your session has ended")).toBeVisible()

  await page.getByLabel("Email").fill(user.email)
  await page.getByLabel("Password", { exact: true }).fill("changed-elsewhere")
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page).toHaveURL(/\/items$/)
  await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()
})

test("logging out in one tab logs out the others", async ({ context, request }) => {
  const user = await createUser(request, { prefix: "two-tabs" })
  const first = await context.newPage()
  await logIn(first, user)
  const second = await context.newPage()
  await second.goto("/items")
  await expect(second.getByRole("heading", { name: "Items", exact: true })).toBeVisible()

  await logOut(first)
  await expect(second).toHaveURL(/\/login/)
})

test("the access token is refreshed shortly before it expires", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "long-stay", name: "Lee Longstay" })
  await page.clock.install()
  await logIn(page, user)

  // Fifteen-minute tokens are renewed a minute before they run out, without a reload.
  const refreshed = page.waitForResponse(
    (response) => response.url().endsWith("/api/v1/login/refresh") && response.status() === 200,
  )
  await page.clock.fastForward("14:05")
  await refreshed
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Items" }).click()
  await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()
  await expect(page).toHaveURL(/\/items$/)
})
