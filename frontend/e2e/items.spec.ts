import { expect, test } from "@playwright/test"
import { apiToken, createUser, listRequest, logIn } from "./helpers"

test("items: add one, see it, edit it, delete it", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "items" })
  await logIn(page, user)
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Items" }).click()
  await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()

  await page.getByRole("button", { name: "Add item" }).click()
  const dialog = page.getByRole("dialog", { name: "Add item" })
  await dialog.getByRole("button", { name: "Add item" }).click()
  await expect(dialog.getByText("Give the item a title")).toBeVisible()
  await dialog.getByLabel("Title").fill("Buy oat milk")
  await dialog.getByLabel("Description").fill("The barista kind")
  await dialog.getByRole("button", { name: "Add item" }).click()
  await expect(dialog).toBeHidden()
  await expect(page.getByRole("status").filter({ hasText: "Item added" })).toBeVisible()

  const row = page.getByRole("row", { name: /Buy oat milk/ })
  await expect(row).toContainText("The barista kind")

  await row.getByRole("button", { name: "Actions for Buy oat milk" }).click()
  await page.getByRole("menuitem", { name: "Edit" }).click()
  const edit = page.getByRole("dialog", { name: "Edit item" })
  await expect(edit.getByLabel("Title")).toHaveValue("Buy oat milk")
  await edit.getByLabel("Title").fill("Buy almond milk")
  await edit.getByRole("button", { name: "Save changes" }).click()
  await expect(edit).toBeHidden()
  await expect(page.getByRole("row", { name: /Buy almond milk/ })).toBeVisible()
  await expect(page.getByRole("row", { name: /Buy oat milk/ })).toHaveCount(0)

  // Escape closes a dialog without saving.
  await page.getByRole("button", { name: "Actions for Buy almond milk" }).click()
  await page.getByRole("menuitem", { name: "Delete" }).click()
  const confirm = page.getByRole("dialog", { name: "Delete this item?" })
  await expect(confirm).toBeVisible()
  await page.keyboard.press("Escape")
  await expect(confirm).toBeHidden()
  await expect(page.getByRole("row", { name: /Buy almond milk/ })).toBeVisible()

  await page.getByRole("button", { name: "Actions for Buy almond milk" }).click()
  await page.getByRole("menuitem", { name: "Delete" }).click()
  await confirm.getByRole("button", { name: "Delete item" }).click()
  await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()
  await expect(page.getByRole("row", { name: /Buy almond milk/ })).toHaveCount(0)
})

test("items: the menu of a row at the bottom of the window opens upwards, in sight", async ({
  page,
  request,
}) => {
  const user = await createUser(request, { prefix: "menu-room" })
  const token = await apiToken(request, user)
  for (let n = 1; n <= 10; n += 1) {
    const response = await request.post("/api/v1/items/", {
      headers: { Authorization: `Bearer ${token}` },
      data: { title: `Shelf ${n}` },
    })
    expect(response.status()).toBe(201)
  }
  await page.setViewportSize({ width: 1280, height: 640 })
  await logIn(page, user)
  await page.goto("/items")
  // The oldest item is the last row: scrolled to, it sits at the bottom of the window.
  const trigger = page.getByRole("button", { name: "Actions for Shelf 1", exact: true })
  await trigger.scrollIntoViewIfNeeded()
  const below = await trigger.evaluate(
    (button) => innerHeight - button.getBoundingClientRect().bottom,
  )
  expect(below).toBeLessThan(100)
  await trigger.click()
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeInViewport({ ratio: 1 })
  await expect(page.getByRole("menuitem", { name: "Delete" })).toBeInViewport({ ratio: 1 })
  await page.getByRole("menuitem", { name: "Delete" }).click()
  await expect(page.getByRole("dialog", { name: "Delete this item?" })).toBeVisible()
})

test("items: a row's menu at the bottom of the window opens, and closes when the page scrolls", async ({
  page,
  request,
}) => {
  const user = await createUser(request, { prefix: "menu-fold" })
  const token = await apiToken(request, user)
  for (let n = 1; n <= 10; n += 1) {
    const response = await request.post("/api/v1/items/", {
      headers: { Authorization: `Bearer ${token}` },
      data: { title: `Fold ${n}` },
    })
    expect(response.status()).toBe(201)
  }
  await page.setViewportSize({ width: 1280, height: 480 })
  await logIn(page, user)
  await page.goto("/items")
  await expect(page.getByText(/Showing/)).toBeVisible()
  // A row out of sight is scrolled to just above the bottom of the window, with more
  // of the page below it: its menu opens upwards and stays open.
  const trigger = page.getByRole("button", { name: "Actions for Fold 2", exact: true })
  await expect(trigger).not.toBeInViewport()
  await trigger.evaluate((button) => {
    const { bottom } = button.getBoundingClientRect()
    window.scrollBy(0, bottom - innerHeight + 8)
  })
  await expect
    .poll(() => trigger.evaluate((button) => innerHeight - button.getBoundingClientRect().bottom))
    .toBeLessThan(20)
  await trigger.click()
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeInViewport({ ratio: 1 })
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeFocused()
  await page.waitForTimeout(300)
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeVisible()
  // Scrolling the page moves the button away from the menu: the menu closes.
  await page.evaluate(() => window.scrollBy(0, -200))
  await expect(page.getByRole("menu")).toHaveCount(0)
  await expect(trigger).toHaveAttribute("aria-expanded", "false")
})

test("items: pagination reaches row 101 and beyond", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "many-items" })
  const token = await apiToken(request, user)
  for (let n = 1; n <= 105; n += 1) {
    const response = await request.post("/api/v1/items/", {
      headers: { Authorization: `Bearer ${token}` },
      data: { title: `Item ${String(n).padStart(3, "0")}` },
    })
    expect(response.status()).toBe(201)
  }

  await logIn(page, user)
  await expect(page.getByTestId("stat-items")).toHaveText("105")
  await page.goto("/items")
  const rows = page.getByRole("table").getByRole("row")
  await expect(rows.nth(1)).toContainText("Item 105")
  await expect(page.getByText(/Showing\s*1–10\s*of\s*105/)).toBeVisible()

  await page.getByRole("link", { name: "Next page" }).click()
  await expect(rows.nth(1)).toContainText("Item 095")

  await page.getByRole("link", { name: "Page 11" }).click()
  await expect(page).toHaveURL(/page=11/)
  await expect(page.getByText(/Showing\s*101–105\s*of\s*105/)).toBeVisible()
  await expect(rows).toHaveCount(6)
  await expect(rows.nth(1)).toContainText("Item 005")
  await expect(rows.nth(5)).toContainText("Item 001")
  await expect(page.getByRole("button", { name: "Next page" })).toBeDisabled()
})

test("items: a long list pages by cursor past page 20, forward and back", async ({
  page,
  request,
  context,
}) => {
  const user = await createUser(request, { prefix: "long-list" })
  const token = await apiToken(request, user)
  const headers = { Authorization: `Bearer ${token}` }
  const ids: string[] = []
  for (let n = 1; n <= 235; n += 1) {
    const response = await request.post("/api/v1/items/", {
      headers,
      data: { title: `Item ${String(n).padStart(3, "0")}` },
    })
    expect(response.status()).toBe(201)
    ids.push(((await response.json()) as { id: string }).id)
  }
  // Every request names the team: the user's personal one.
  const teams = await request.get("/api/v1/teams/", { headers })
  const team = ((await teams.json()) as { data: { id: string }[] }).data[0]?.id
  const rows = page.getByRole("table").getByRole("row")
  const pagination = page.getByRole("navigation", { name: "Pagination" })
  /** Page `number` of 24 shows items 235 - 10 * (number - 1) down, newest first. */
  const expectPage = async (number: number) => {
    const first = 235 - 10 * (number - 1)
    const last = Math.max(1, first - 9)
    await expect(
      page.getByText(new RegExp(`Showing\\s*${236 - first}–${236 - last}\\s*of\\s*235`)),
    ).toBeVisible()
    await expect(rows).toHaveCount(first - last + 2)
    await expect(rows.nth(1)).toContainText(`Item ${String(first).padStart(3, "0")}`)
    await expect(rows.last()).toContainText(`Item ${String(last).padStart(3, "0")}`)
    await expect(pagination.getByRole("link", { name: `Page ${number}` })).toHaveAttribute(
      "aria-current",
      "page",
    )
  }

  await logIn(page, user)
  // Pages up to 20 are linked by number and read with skip; the last one is not linked.
  await page.goto("/items?page=19")
  await expectPage(19)
  await expect(pagination.getByRole("link", { name: "Page 24" })).toHaveCount(0)
  expect(
    await listRequest(page, "/api/v1/items/", () =>
      pagination.getByRole("link", { name: "Page 20" }).click(),
    ),
  ).toEqual({ skip: "190", limit: "10", team_id: team })
  await expectPage(20)

  // Past page 20, Next follows the cursor the page before handed out.
  for (const number of [21, 22, 23, 24]) {
    const query = await listRequest(page, "/api/v1/items/", () =>
      pagination.getByRole("link", { name: "Next page" }).click(),
    )
    expect(Object.keys(query).sort()).toEqual(["cursor", "limit", "team_id"])
    await expectPage(number)
    await expect(page).toHaveURL(new RegExp(`page=${number}&cursor=${query.cursor}`))
  }
  await expect(pagination.getByRole("button", { name: "Next page" })).toBeDisabled()

  // Previous goes back by cursor too, also after a reload.
  const previous = () => pagination.getByRole("link", { name: "Previous page" }).click()
  expect(Object.keys(await listRequest(page, "/api/v1/items/", previous))).toEqual([
    "cursor",
    "limit",
    "team_id",
  ])
  await expectPage(23)
  expect(Object.keys(await listRequest(page, "/api/v1/items/", previous))).toEqual([
    "cursor",
    "limit",
    "team_id",
  ])
  await expectPage(22)
  await page.reload()
  await expectPage(22)
  const sharedUrl = page.url()
  expect(Object.keys(await listRequest(page, "/api/v1/items/", previous))).toEqual([
    "cursor",
    "limit",
    "team_id",
  ])
  await expectPage(21)
  expect(await listRequest(page, "/api/v1/items/", previous)).toEqual({
    skip: "190",
    limit: "10",
    team_id: team,
  })
  await expectPage(20)

  // A shared link opens the same page; without the way there, Previous is off and page 1
  // is one click away.
  const other = await context.newPage()
  await other.goto(sharedUrl)
  await expect(other.getByRole("table").getByRole("row").nth(1)).toContainText("Item 025")
  const otherPagination = other.getByRole("navigation", { name: "Pagination" })
  await expect(otherPagination.getByRole("button", { name: "Previous page" })).toBeDisabled()
  await otherPagination.getByRole("link", { name: "Page 1" }).click()
  await expect(other.getByRole("table").getByRole("row").nth(1)).toContainText("Item 235")
  await other.close()

  // The last page emptied meanwhile: its link leads to the page before, now the last.
  await page.goto(sharedUrl)
  await expectPage(22)
  await pagination.getByRole("link", { name: "Next page" }).click()
  await expectPage(23)
  await pagination.getByRole("link", { name: "Next page" }).click()
  await expectPage(24)
  for (const id of ids.slice(0, 5)) {
    expect((await request.delete(`/api/v1/items/${id}`, { headers })).status()).toBe(204)
  }
  await page.reload()
  await expect(page.getByText(/Showing\s*221–230\s*of\s*230/)).toBeVisible()
  await expect(page).toHaveURL(/page=23&cursor=/)
  await expect(rows.last()).toContainText("Item 006")
  await expect(pagination.getByRole("button", { name: "Next page" })).toBeDisabled()
})
