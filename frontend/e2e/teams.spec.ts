import { expect, test } from "@playwright/test"
import { createUser, latestMail, linkIn, logIn, uniqueEmail } from "./helpers"

/**
 * Teams as their users meet them: the switcher stays hidden until a second team exists;
 * an owner creates a team and invites a colleague by email, who signs in through the
 * emailed link and joins; both see the team's items, and the colleague, a member, may
 * change only their own; the owner makes the colleague an admin, then removes them, and
 * the team leaves the colleague's screen.
 */
test("a team is created, shared by invitation, and a member removed", async ({
  page,
  browser,
  request,
}) => {
  const owner = await createUser(request, { prefix: "team-owner", name: "Olive Owner" })
  await logIn(page, owner)
  await expect(page.getByLabel("Team", { exact: true })).toHaveCount(0)
  await expect(page.getByRole("link", { name: "Team", exact: true })).toHaveCount(0)

  await page.goto("/settings?tab=teams")
  await page.getByLabel("Team name").fill("Design crew")
  await page.getByRole("button", { name: "Create team" }).click()
  await expect(page.getByRole("heading", { level: 1, name: "Design crew" })).toBeVisible()
  await expect(page.getByLabel("Team", { exact: true }).first()).toHaveValue(/.+/)

  const email = uniqueEmail("team-colleague")
  await page.getByLabel("Email").fill(email)
  await page.getByRole("button", { name: "Send invitation" }).click()
  const pending = page.getByRole("list", { name: "Pending invitations" })
  await expect(pending.getByText(email, { exact: true })).toBeVisible()
  const link = linkIn(await latestMail(request, email), "/accept-invitation")

  // The colleague has an account with the invited address, and follows the link.
  const created = await request.post("/api/v1/private/users/", {
    data: { email, password: "a-good-password", full_name: "Cole Colleague" },
  })
  expect(created.status()).toBe(201)
  const colleagueContext = await browser.newContext()
  const colleague = await colleagueContext.newPage()
  await colleague.goto(new URL(link).pathname + new URL(link).search)
  await expect(colleague).toHaveURL(/\/login/)
  await colleague.getByLabel("Email").fill(email)
  await colleague.getByLabel("Password", { exact: true }).fill("a-good-password")
  await colleague.getByRole("button", { name: "Log in" }).click()
  await expect(colleague.getByRole("heading", { level: 1, name: "Join a team" })).toBeVisible()
  await colleague.getByRole("button", { name: "Accept invitation" }).click()
  await expect(colleague).toHaveURL(/\/items/)
  await expect(colleague.getByText("The items of Design crew, newest first.")).toBeVisible()
  await colleague.getByRole("button", { name: "Add item" }).first().click()
  const dialog = colleague.getByRole("dialog", { name: "Add item" })
  await dialog.getByLabel("Title").fill("Shared plan")
  await dialog.getByRole("button", { name: "Add item" }).click()
  await expect(colleague.getByRole("row", { name: /Shared plan/ })).toBeVisible()

  // The owner sees it in the team, and not in their personal items.
  await page.goto("/items")
  await expect(page.getByRole("row", { name: /Shared plan/ })).toBeVisible()
  await page.getByLabel("Team", { exact: true }).first().selectOption({ label: "Personal" })
  await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()
  await page.getByLabel("Team", { exact: true }).first().selectOption({ label: "Design crew" })
  await page.getByRole("button", { name: "Add item" }).first().click()
  await page.getByRole("dialog", { name: "Add item" }).getByLabel("Title").fill("Owner's plan")
  await page
    .getByRole("dialog", { name: "Add item" })
    .getByRole("button", { name: "Add item" })
    .click()
  // The owner may change any of the team's items; the member, only their own: the
  // owner's item offers them no menu.
  await expect(page.getByRole("button", { name: "Actions for Shared plan" })).toBeVisible()
  await expect(page.getByRole("button", { name: "Actions for Owner's plan" })).toBeVisible()
  await colleague.reload()
  await expect(colleague.getByRole("row", { name: /Owner's plan/ })).toBeVisible()
  await expect(colleague.getByRole("button", { name: "Actions for Owner's plan" })).toHaveCount(0)
  await colleague.getByRole("button", { name: "Actions for Shared plan" }).click()
  await expect(colleague.getByRole("menuitem", { name: "Edit" })).toBeEnabled()
  await expect(colleague.getByRole("menuitem", { name: "Delete" })).toBeEnabled()
  await colleague.keyboard.press("Escape")

  await page.getByRole("link", { name: "Team", exact: true }).first().click()
  await expect(pending).toHaveCount(0)
  await page.getByLabel(`Role of ${email}`).selectOption("admin")
  await expect(page.getByText(`${email} is now Admin.`)).toBeVisible()
  await page.getByRole("button", { name: `Remove ${email}` }).click()
  await page.getByRole("button", { name: "Remove member" }).click()
  await expect(
    page.getByRole("list", { name: "Members" }).getByText(email, { exact: true }),
  ).toHaveCount(0)

  // Out of the team, the colleague is back to their personal items, with no switcher.
  await colleague.reload()
  await expect(colleague.getByRole("heading", { name: "No items yet" })).toBeVisible()
  await expect(colleague.getByLabel("Team", { exact: true })).toHaveCount(0)
  await colleagueContext.close()
})

test("an invitation link for another address is refused with a clear message", async ({
  page,
  request,
}) => {
  const user = await createUser(request, { prefix: "team-stranger" })
  await logIn(page, user)
  await page.goto(`/accept-invitation?token=${"b".repeat(43)}`)
  await page.getByRole("button", { name: "Accept invitation" }).click()
  await expect(page.locator("#main").getByRole("alert")).toContainText(
    "Invalid, expired or already used invitation",
  )
})
