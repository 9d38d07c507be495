import { expect, type Locator, type Page, test } from "@playwright/test"
import { ADMIN } from "./config"
import { apiToken, createUser, logIn, uniqueEmail } from "./helpers"

/** The user's row, on whichever page of the (oldest first) table it is. */
async function userRow(page: Page, email: string): Promise<Locator> {
  const row = page.getByRole("row").filter({ hasText: email })
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await expect(page.getByText(/Showing/)).toBeVisible()
    if ((await row.count()) > 0) return row
    const previous = page.getByRole("link", { name: "Previous page" })
    if ((await previous.count()) === 0) break
    await previous.click()
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
