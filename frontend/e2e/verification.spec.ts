import { expect, test } from "@playwright/test"
import { VERIFYING_BASE_URL, VERIFYING_MAIL_URL } from "./config"
import { latestMail, linkIn, uniqueEmail } from "./helpers"

// Against the server that requires email verification, as production does.
test.use({ baseURL: VERIFYING_BASE_URL })

test("email verification: sign up, confirm through the emailed link, change the email", async ({
  page,
  request,
}) => {
  const email = uniqueEmail("verify")
  const password = "verify-password"
  await page.goto("/signup")
  await page.getByLabel("Full name").fill("Vic Verified")
  await page.getByLabel("Email").fill(email)
  await page.getByLabel("Password", { exact: true }).fill(password)
  await page.getByLabel("Confirm password", { exact: true }).fill(password)
  await page.getByRole("button", { name: "Sign up" }).click()
  await expect(page.getByText("Your account is ready.")).toBeVisible()

  // Not confirmed yet: the login says why and offers a new link.
  await page.getByLabel("Email").fill(email)
  await page.getByLabel("Password", { exact: true }).fill(password)
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page.getByRole("alert")).toHaveText(
    "Confirm your email address first: follow the link in the email we sent you.",
  )
  await latestMail(request, email, VERIFYING_MAIL_URL)
  await page.getByRole("button", { name: "Send a new confirmation link" }).click()
  await expect(page.getByText("A new confirmation link is on its way.")).toBeVisible()

  const mail = await latestMail(request, email, VERIFYING_MAIL_URL)
  await page.goto(linkIn(mail, "/verify-email"))
  await expect(page.getByRole("heading", { name: "Email confirmed" })).toBeVisible()
  await page.getByRole("link", { name: "Log in" }).click()
  await expect(page.getByText("Your email address is confirmed.")).toBeVisible()
  await page.getByLabel("Email").fill(email)
  await page.getByLabel("Password", { exact: true }).fill(password)
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Vic Verified")

  // A new email waits for its own confirmation.
  const newEmail = uniqueEmail("verify-new")
  await page.goto("/settings")
  await page.getByLabel("Email").fill(newEmail)
  await page.getByLabel("Current password").fill(password)
  await page.getByRole("button", { name: "Save profile" }).click()
  await expect(page.getByRole("status").filter({ hasText: "Confirm your new email" })).toBeVisible()
  await expect(page.getByText(`Waiting for confirmation of ${newEmail}`)).toBeVisible()
  await expect(page.getByLabel("Email")).toHaveValue(email)

  const change = await latestMail(request, newEmail, VERIFYING_MAIL_URL)
  await page.goto(linkIn(change, "/verify-email"))
  await expect(page.getByRole("heading", { name: "Email confirmed" })).toBeVisible()
  await page.getByRole("link", { name: "Go to the dashboard" }).click()
  await page.goto("/settings")
  await expect(page.getByLabel("Email")).toHaveValue(newEmail)
  await expect(page.getByText(/Waiting for confirmation/)).toHaveCount(0)
})
