import { expect, type Page, test } from "@playwright/test"
import { apiToken, createUser, logIn, logOut, refuseMailTo, uniqueEmail } from "./helpers"

/**
 * Every page at desktop and phone widths, saved to screenshots/ for people to look at
 * (CI keeps them as artifacts). The assertions only make sure each page has loaded.
 */
const VIEWPORTS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
}

const SAMPLE_ITEMS = [
  ["Quarterly report", "Numbers for Q3, draft for the board"],
  ["Renew the domain", "Expires at the end of the month"],
  ["Onboarding checklist", "Accounts, laptop and a welcome lunch"],
  ["Team offsite", null],
  ["Fix the flaky export", "Happens on files larger than 2 GB"],
  ["Order office plants", "Something that survives the winter"],
  ["Update privacy policy", null],
  ["Customer interviews", "Five calls booked for next week"],
  ["Migrate the CI runners", "Move to the new machines before Friday"],
  ["Design review", "New settings pages and the dark theme"],
  ["Plan the launch", "Blog post, changelog and a newsletter"],
  ["Archive old projects", null],
] as const

async function shoot(
  page: Page,
  name: string,
  viewport: keyof typeof VIEWPORTS,
  { fullPage = true } = {},
) {
  await page.waitForLoadState("networkidle")
  // An open menu closes when the viewport changes size, as a full-page shot does.
  await page.screenshot({ path: `screenshots/${viewport}/${name}.png`, fullPage })
}

for (const [viewport, size] of Object.entries(VIEWPORTS) as [
  keyof typeof VIEWPORTS,
  { width: number; height: number },
][]) {
  test.describe(`screenshots at ${viewport} width`, () => {
    test.use({ viewport: size })

    test(`logged-out pages (${viewport})`, async ({ page }) => {
      await page.goto("/login")
      await expect(page.getByRole("heading", { name: "Log in to your account" })).toBeVisible()
      await shoot(page, "01-login", viewport)
      await page.getByRole("button", { name: "Log in" }).click()
      await expect(page.getByText("Enter an email address")).toBeVisible()
      await shoot(page, "02-login-errors", viewport)
      await page.goto("/signup")
      await expect(page.getByRole("heading", { name: "Create an account" })).toBeVisible()
      await shoot(page, "03-signup", viewport)
      await page.goto("/recover-password")
      await shoot(page, "04-recover-password", viewport)
      await page.goto("/reset-password?token=example")
      await expect(page.getByRole("heading", { name: "Choose a new password" })).toBeVisible()
      await shoot(page, "05-reset-password", viewport)
      await page.goto("/this/page/does/not/exist")
      await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible()
      await shoot(page, "06-not-found", viewport)
      await page.goto("/verify-email?token=not-a-real-token")
      await expect(
        page.getByRole("heading", { name: "We couldn't confirm your email" }),
      ).toBeVisible()
      await shoot(page, "07-verify-email-invalid", viewport)
    })

    test(`a user's pages (${viewport})`, async ({ page, request }) => {
      const empty = await createUser(request, { prefix: "shots-empty", name: "Robin Empty" })
      const user = await createUser(request, { prefix: "shots", name: "Taylor Brooks" })
      const token = await apiToken(request, user)
      for (const [title, description] of [...SAMPLE_ITEMS].reverse()) {
        await request.post("/api/v1/items/", {
          headers: { Authorization: `Bearer ${token}` },
          data: { title, description },
        })
      }

      await logIn(page, empty)
      await page.goto("/items")
      await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()
      await shoot(page, "11-items-empty", viewport)

      await logOut(page)
      await logIn(page, user)
      await expect(page.getByTestId("stat-items")).toHaveText("12")
      await shoot(page, "10-dashboard", viewport)
      if (viewport === "phone") {
        await page.getByRole("button", { name: "Open navigation" }).click()
        await expect(page.getByRole("dialog", { name: "Navigation" })).toBeVisible()
        await shoot(page, "10-navigation-drawer", viewport)
        await page.keyboard.press("Escape")
      }
      await page.goto("/items")
      await expect(page.getByRole("row", { name: /Quarterly report/ })).toBeVisible()
      await shoot(page, "12-items", viewport)
      await page.getByRole("button", { name: "Add item" }).click()
      await page.getByRole("dialog").getByRole("button", { name: "Add item" }).click()
      await expect(page.getByText("Give the item a title")).toBeVisible()
      await shoot(page, "13-item-dialog", viewport)
      await page.keyboard.press("Escape")
      await page.getByRole("button", { name: "Actions for Quarterly report" }).click()
      await shoot(page, "14-item-menu", viewport, { fullPage: false })
      await page.getByRole("menuitem", { name: "Delete" }).click()
      await shoot(page, "15-item-delete", viewport)
      await page.keyboard.press("Escape")

      await page.goto("/admin")
      await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible()
      await shoot(page, "16-admin-not-allowed", viewport)

      for (const tab of ["profile", "password", "appearance", "danger"]) {
        await page.goto(tab === "profile" ? "/settings" : `/settings?tab=${tab}`)
        await expect(page.getByRole("tabpanel")).toBeVisible()
        await shoot(page, `20-settings-${tab}`, viewport)
      }

      await page.getByRole("tab", { name: "Appearance" }).click()
      await page.getByText("Dark", { exact: true }).click()
      await shoot(page, "30-dark-settings", viewport)
      await page.goto("/")
      await expect(page.getByTestId("stat-items")).toHaveText("12")
      await shoot(page, "31-dark-dashboard", viewport)
      await page.goto("/items")
      await expect(page.getByRole("row", { name: /Quarterly report/ })).toBeVisible()
      await shoot(page, "32-dark-items", viewport)
      await page.getByRole("button", { name: "Actions for Quarterly report" }).click()
      await page.getByRole("menuitem", { name: "Edit" }).click()
      await shoot(page, "33-dark-item-dialog", viewport)
      await page.keyboard.press("Escape")
      await page.goto("/login-does-not-exist")
      await shoot(page, "34-dark-not-found", viewport)
    })

    test(`a superuser's pages (${viewport})`, async ({ page, request }) => {
      const admin = await createUser(request, {
        prefix: "shots-admin",
        name: "Avery Admin",
        superuser: true,
      })
      await logIn(page, admin)
      await expect(page.getByTestId("stat-admin")).not.toBeEmpty()
      await shoot(page, "40-admin-dashboard", viewport)
      await page.goto("/admin")
      await expect(page.getByRole("row", { name: /Administrator/ })).toBeVisible()
      await shoot(page, "41-admin-users", viewport)
      await page.getByRole("button", { name: "Add user" }).click()
      await shoot(page, "42-admin-add-user", viewport)
      await page.keyboard.press("Escape")
      await page.getByRole("button", { name: /Actions for admin@example.com/ }).click()
      await page.getByRole("menuitem", { name: "Edit" }).click()
      await shoot(page, "43-admin-edit-user", viewport)
      await page.keyboard.press("Escape")
      await page.goto("/activity")
      await expect(page.getByRole("heading", { name: "Activity" })).toBeVisible()
      await expect(page.getByText(/Showing/)).toBeVisible()
      await shoot(page, "44-admin-activity", viewport)

      // Two welcome emails: one goes out, the mail server turns the other away.
      const token = await apiToken(request, admin)
      const bounced = uniqueEmail("shots-bounced")
      await refuseMailTo(request, bounced)
      for (const [email, name] of [
        [uniqueEmail("shots-welcome"), "Wes Welcome"],
        [bounced, "Bo Bounced"],
      ] as const) {
        const created = await request.post("/api/v1/users/", {
          headers: { Authorization: `Bearer ${token}` },
          data: { email, password: "a-good-password", full_name: name },
        })
        expect(created.status()).toBe(201)
      }
      await expect(async () => {
        await page.goto("/jobs?kind=send_email")
        await expect(
          page.getByRole("row").filter({ hasText: bounced }).getByRole("button", { name: /Retry/ }),
        ).toBeVisible({ timeout: 1000 })
      }).toPass()
      await shoot(page, "45-admin-jobs", viewport)
    })
  })
}
