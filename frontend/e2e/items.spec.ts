import { expect, test } from "@playwright/test"
import { apiToken, createUser, logIn } from "./helpers"

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
