import { expect, type Page, test } from "@playwright/test"
import { createUser, logIn, logOut, providerSignsIn, totp, uniqueEmail } from "./helpers"

// The test server has one fake provider, whose next sign-in is shared: one at a time.
test.describe.configure({ mode: "serial" })

const HOME_HEADING = /Good/

async function continueWithProvider(page: Page) {
  await page.goto("/login")
  await page.getByRole("link", { name: "Continue with Fake ID" }).click()
}

function linkedAccount(page: Page) {
  return page.getByRole("list", { name: "Linked accounts" }).getByRole("listitem")
}

async function signInTab(page: Page) {
  await page.goto("/settings?tab=sign-in")
  await expect(page.getByRole("heading", { name: "Two-factor authentication" })).toBeVisible()
}

test("a new user signs up with the provider's button", async ({ page, request }) => {
  const email = uniqueEmail("provider")
  await providerSignsIn(request, { email })

  await continueWithProvider(page)

  await expect(page.getByRole("heading", { level: 1 })).toContainText(HOME_HEADING)
  await signInTab(page)
  await expect(linkedAccount(page).filter({ hasText: "Fake ID" })).toContainText(email)
  await expect(page.getByText("Your account has no password").first()).toBeVisible()
  // A reload keeps the session: the refresh cookie the callback set.
  await page.reload()
  await expect(page.getByRole("heading", { name: "Linked accounts" })).toBeVisible()
})

test("a new user signs up with GitHub and signs in with it again", async ({ page, request }) => {
  const email = uniqueEmail("github")
  const login = { provider: "github", email, subject: String(Date.now()) } as const
  await providerSignsIn(request, login)

  await page.goto("/login")
  await page.getByRole("link", { name: "Continue with GitHub" }).click()

  await expect(page.getByRole("heading", { level: 1 })).toContainText(HOME_HEADING)
  await signInTab(page)
  await expect(linkedAccount(page).filter({ hasText: "GitHub" })).toContainText(email)
  await logOut(page)
  await providerSignsIn(request, login)
  await page.getByRole("link", { name: "Continue with GitHub" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText(HOME_HEADING)
  // GitHub's primary address unverified there: refused, as for any provider.
  await logOut(page)
  await providerSignsIn(request, {
    provider: "github",
    email: uniqueEmail("github-unverified"),
    email_verified: false,
    subject: String(Date.now() + 1),
  })
  await page.getByRole("link", { name: "Continue with GitHub" }).click()
  await expect(page).toHaveURL(/\/login\?error=email_not_verified/)
})

test("a provider that has not verified the address is refused with a clear message", async ({
  page,
  request,
}) => {
  await providerSignsIn(request, { email: uniqueEmail("unverified"), email_verified: false })

  await continueWithProvider(page)

  await expect(page).toHaveURL(/\/login\?error=email_not_verified/)
  await expect(page.getByRole("alert")).toHaveText(
    "The provider has not verified your email address.",
  )
})

test("an existing account is linked with its password", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "linking" })
  await providerSignsIn(request, { email: user.email })

  await continueWithProvider(page)

  await expect(page.getByRole("heading", { name: "Link your account" })).toBeVisible()
  await expect(page.getByText(user.email)).toBeVisible()
  await page.getByLabel("Password", { exact: true }).fill("not-the-password")
  await page.getByRole("button", { name: "Link and log in" }).click()
  await expect(page.getByRole("alert")).toHaveText("Incorrect email or password.")
  await page.getByLabel("Password", { exact: true }).fill(user.password)
  await page.getByRole("button", { name: "Link and log in" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText(HOME_HEADING)

  await logOut(page)
  await continueWithProvider(page)
  await expect(page.getByRole("heading", { level: 1 })).toContainText(HOME_HEADING)
})

test("a provider is linked and unlinked in settings", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "settings-link" })
  await logIn(page, user)
  await signInTab(page)
  await expect(page.getByText("No linked accounts yet.")).toBeVisible()
  await providerSignsIn(request, { email: uniqueEmail("elsewhere") })

  await page.getByRole("button", { name: "Link Fake ID" }).click()

  await expect(page).toHaveURL(/\/settings\?tab=sign-in&linked=fake/)
  await expect(page.getByText("Fake ID is linked.")).toBeVisible()
  await page.getByRole("button", { name: "Unlink Fake ID" }).click()
  await page.getByRole("dialog").getByRole("button", { name: "Unlink" }).click()
  await expect(page.getByText("No linked accounts yet.")).toBeVisible()
})

test("two-factor: enrol, log in with a code and with a recovery code, replace the codes, turn it off", async ({
  page,
  request,
}) => {
  const user = await createUser(request, { prefix: "two-factor" })
  await logIn(page, user)
  await signInTab(page)

  await page.getByRole("button", { name: "Set up two-factor authentication" }).click()
  await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible()
  const secret = (await page.getByTestId("totp-secret").textContent()) ?? ""
  expect(secret).toMatch(/^[A-Z2-7]{32}$/)
  await page.getByLabel("Code from the app").fill("000000")
  await page.getByRole("button", { name: "Turn on" }).click()
  await expect(page.getByRole("alert")).toHaveText(
    "That code is not valid. Check it and try again.",
  )
  // One step behind now: within the window, and it leaves the current step unused.
  await page.getByLabel("Code from the app").fill(totp(secret, Date.now() - 30_000))
  await page.getByRole("button", { name: "Turn on" }).click()
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")
  await expect(codes).toHaveCount(10)
  const recovery = (await codes.first().textContent()) ?? ""
  const another = (await codes.nth(1).textContent()) ?? ""
  await page.getByRole("button", { name: "I saved them" }).click()
  await expect(page.getByText("10 recovery codes left.")).toBeVisible()

  await logOut(page)
  await page.getByLabel("Email").fill(user.email)
  await page.getByLabel("Password", { exact: true }).fill(user.password)
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page).toHaveURL(/\/login\/two-factor/)
  await page.getByLabel("Authentication code").fill(totp(secret))
  await page.getByRole("button", { name: "Verify" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText(HOME_HEADING)

  await logOut(page)
  await page.getByLabel("Email").fill(user.email)
  await page.getByLabel("Password", { exact: true }).fill(user.password)
  await page.getByRole("button", { name: "Log in" }).click()
  await page.getByLabel("Authentication code").fill(recovery)
  await page.getByRole("button", { name: "Verify" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText(HOME_HEADING)

  await signInTab(page)
  await expect(page.getByText("9 recovery codes left.")).toBeVisible()
  await page.getByLabel("Current password").fill(user.password)
  await page.getByLabel("Authentication code").fill(recovery)
  await page.getByRole("button", { name: "Get new recovery codes" }).click()
  await expect(page.getByRole("alert")).toHaveText(
    "That code is not valid. Check it and try again.",
  )
  await page.getByLabel("Authentication code").fill(another)
  await page.getByRole("button", { name: "Get new recovery codes" }).click()
  await expect(page.getByText("These are your new recovery codes")).toBeVisible()
  await expect(codes).toHaveCount(10)
  expect(await codes.allTextContents()).not.toContain(another)
  await page.getByRole("button", { name: "I saved them" }).click()
  await expect(page.getByText("10 recovery codes left.")).toBeVisible()
  await page.getByLabel("Current password").fill(user.password)
  await page.getByLabel("Authentication code").fill(totp(secret, Date.now() + 30_000))
  await page.getByRole("button", { name: "Turn off two-factor authentication" }).click()
  await expect(page.getByRole("button", { name: "Set up two-factor authentication" })).toBeVisible()
})
