import { expect, type Locator, type Page, test } from "@playwright/test"
import { ADMIN, VERIFYING_BASE_URL } from "./config"
import { apiToken, createUser, listRequest, logIn, uniqueEmail } from "./helpers"

/** The user's row, on whichever page of the (oldest first) table it is. */
async function userRow(page: Page, email: string): Promise<Locator> {
  const row = page.getByRole("row").filter({ hasText: email })
  const loaded = async () => {
    await expect(page.getByText(/Showing/)).toBeVisible()
    await expect(page.locator('[aria-busy="true"]')).toHaveCount(0)
  }
  await loaded()
  if ((await row.count()) > 0) return row
  // From the first page on, as a person would look for it.
  await page.goto("/admin")
  for (let number = 2; number <= 30; number += 1) {
    await loaded()
    if ((await row.count()) > 0) return row
    const next = page.getByRole("link", { name: "Next page" })
    if ((await next.count()) === 0) break
    await next.click()
    await expect(page).toHaveURL(new RegExp(`page=${number}(&|$)`))
  }
  await expect(row).toBeVisible()
  return row
}

test("admin: add a user, edit it, deactivate it, delete it", async ({ page, browser }) => {
  const email = uniqueEmail("managed")
  await logIn(page, ADMIN)
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Admin", exact: true })
    .click()
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible()

  await page.getByRole("button", { name: "Add user" }).click()
  const add = page.getByRole("dialog", { name: "Add user" })
  await add.getByLabel("Email", { exact: true }).fill(email)
  await add.getByLabel("Full name").fill("Morgan Managed")
  await add.getByLabel("Password", { exact: true }).fill("morgan-password")
  await add.getByLabel("Confirm password", { exact: true }).fill("morgan-password")
  await add.getByRole("button", { name: "Add user" }).click()
  await expect(add).toBeHidden()
  await expect(page.getByRole("status").filter({ hasText: "User added" })).toBeVisible()

  let row = await userRow(page, email)
  await expect(row).toContainText("Morgan Managed")
  await expect(row).toContainText("User")
  await expect(row).toContainText("Active")

  await row.getByRole("button", { name: `Actions for ${email}` }).click()
  await page.getByRole("menuitem", { name: "Edit" }).click()
  const edit = page.getByRole("dialog", { name: "Edit user" })
  await edit.getByLabel("Full name").fill("Morgan Renamed")
  await edit.getByLabel("Superuser").check()
  await edit.getByRole("button", { name: "Save changes" }).click()
  await expect(edit).toBeHidden()
  row = await userRow(page, email)
  await expect(row).toContainText("Morgan Renamed")
  await expect(row).toContainText("Superuser")

  await row.getByRole("button", { name: `Actions for ${email}` }).click()
  await page.getByRole("menuitem", { name: "Edit" }).click()
  await edit.getByLabel("Active").uncheck()
  await edit.getByLabel("Superuser").uncheck()
  await edit.getByRole("button", { name: "Save changes" }).click()
  await expect(edit).toBeHidden()
  await expect(row).toContainText("Inactive")

  // The deactivated user can no longer log in, and is told why.
  const other = await browser.newContext()
  const theirPage = await other.newPage()
  await theirPage.goto("/login")
  await theirPage.getByLabel("Email").fill(email)
  await theirPage.getByLabel("Password", { exact: true }).fill("morgan-password")
  await theirPage.getByRole("button", { name: "Log in" }).click()
  await expect(theirPage.getByRole("alert")).toHaveText(
    "This account is inactive. Ask an administrator to reactivate it.",
  )
  await other.close()

  await row.getByRole("button", { name: `Actions for ${email}` }).click()
  await page.getByRole("menuitem", { name: "Delete" }).click()
  const confirm = page.getByRole("dialog", { name: "Delete this user?" })
  await expect(confirm).toContainText(email)
  await confirm.getByRole("button", { name: "Delete user" }).click()
  await expect(page.getByRole("status").filter({ hasText: "User deleted" })).toBeVisible()
  await expect(page.getByRole("row").filter({ hasText: email })).toHaveCount(0)

  // The activity log shows what happened to the account.
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Activity" })
    .click()
  await page.getByLabel("Event type").selectOption({ label: "User deleted" })
  await expect(page).toHaveURL(/type=user_deleted/)
  await expect(page.getByRole("row").filter({ hasText: email }).first()).toBeVisible()
})

test("admin: a normal user does not see it and is refused", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "normal" })
  await logIn(page, user)
  await expect(page.getByRole("link", { name: "Admin", exact: true })).toHaveCount(0)
  await expect(page.getByRole("link", { name: "Jobs", exact: true })).toHaveCount(0)
  await page.goto("/jobs")
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible()
  await page.goto("/activity")
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible()
  await page.goto("/admin")
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible()
  // Still logged in: the refusal is not a logout.
  await expect(page.getByRole("navigation", { name: "Main" }).first()).toBeVisible()
  await page.getByRole("link", { name: "Back to the dashboard" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Jamie Doe")
})

test("admin: a refusal from the server (403) says so and keeps the user logged in", async ({
  page,
  request,
}) => {
  const superuser = await createUser(request, {
    prefix: "demoted",
    name: "Dana Demoted",
    superuser: true,
  })
  await logIn(page, superuser)
  await page.goto("/admin")
  await expect(page.getByRole("heading", { name: "Users" })).toBeVisible()

  // Another superuser takes the role away while the page is open.
  const token = await apiToken(request, ADMIN)
  const headers = { Authorization: `Bearer ${token}` }
  const users = await (
    await request.get("/api/v1/users/", { headers, params: { limit: 100, skip: 0 } })
  ).json()
  let target = (users.data as { id: string; email: string }[]).find(
    (u) => u.email === superuser.email,
  )
  for (let skip = 100; !target && skip < users.count; skip += 100) {
    const more = await (
      await request.get("/api/v1/users/", { headers, params: { limit: 100, skip } })
    ).json()
    target = (more.data as { id: string; email: string }[]).find((u) => u.email === superuser.email)
  }
  const demote = await request.patch(`/api/v1/users/${target?.id}`, {
    headers,
    data: { is_superuser: false },
  })
  expect(demote.ok()).toBeTruthy()

  await page.getByRole("button", { name: "Add user" }).click()
  const add = page.getByRole("dialog", { name: "Add user" })
  await add.getByLabel("Email", { exact: true }).fill(uniqueEmail("refused"))
  await add.getByLabel("Password", { exact: true }).fill("refused-password")
  await add.getByLabel("Confirm password", { exact: true }).fill("refused-password")
  await add.getByRole("button", { name: "Add user" }).click()
  await expect(
    page.getByRole("alert").filter({ hasText: "You are not allowed to do that." }),
  ).toBeVisible()
  await expect(page).toHaveURL(/\/admin/)

  await page.reload()
  await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible()
  await page.getByRole("link", { name: "Back to the dashboard" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Dana Demoted")
})

test.describe("on the second server", () => {
  // Its users list is not shared with the tests above, and none of its tests deletes users.
  test.use({ baseURL: VERIFYING_BASE_URL })

  test("admin: a long users list pages by cursor past page 20", async ({ page, request }) => {
    const headers = { Authorization: `Bearer ${await apiToken(request, ADMIN)}` }
    const usersPage = async (params: Record<string, string | number>) =>
      (await (await request.get("/api/v1/users/", { headers, params })).json()) as {
        data: { email: string }[]
        count: number
      }
    const { count } = await usersPage({ limit: 1 })
    for (let n = count; n < 225; n += 1) await createUser(request, { prefix: "crowd" })
    /** Page `number` as the API lists it by skip (oldest first: later users go after it). */
    const emailsOn = async (number: number) =>
      (await usersPage({ skip: (number - 1) * 10, limit: 10 })).data.map((user) => user.email)
    const rows = page.getByRole("table").getByRole("row")
    const expectPage = async (number: number) => {
      await expect(
        page.getByText(new RegExp(`Showing\\s*${number * 10 - 9}–${number * 10}\\s`)),
      ).toBeVisible()
      const emails = await emailsOn(number)
      await expect(rows).toHaveCount(emails.length + 1)
      for (const [index, email] of emails.entries())
        await expect(rows.nth(index + 1)).toContainText(email)
    }
    const users = "/api/v1/users/"
    const next = () => page.getByRole("link", { name: "Next page" }).click()
    const previous = () => page.getByRole("link", { name: "Previous page" }).click()

    await logIn(page, ADMIN)
    await page.goto("/admin?page=20")
    await expectPage(20)
    expect(Object.keys(await listRequest(page, users, next)).sort()).toEqual(["cursor", "limit"])
    await expectPage(21)
    expect(Object.keys(await listRequest(page, users, next)).sort()).toEqual(["cursor", "limit"])
    await expectPage(22)
    expect(Object.keys(await listRequest(page, users, previous)).sort()).toEqual([
      "cursor",
      "limit",
    ])
    await expectPage(21)
    expect(await listRequest(page, users, previous)).toEqual({ skip: "190", limit: "10" })
    await expectPage(20)
  })
})
