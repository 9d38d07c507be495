import { expect, test } from "@playwright/test"
import { apiToken, createUser, logIn } from "./helpers"

test("keyboard: menus and dialogs work without a mouse", async ({ page, request }) => {
  const user = await createUser(request, { prefix: "keyboard" })
  const token = await apiToken(request, user)
  await request.post("/api/v1/items/", {
    headers: { Authorization: `Bearer ${token}` },
    data: { title: "Keyboard item" },
  })
  await logIn(page, user)
  await page.goto("/items")

  // The row's menu: Enter opens it on the first item, arrows move, Escape closes it
  // and puts focus back on its button.
  const trigger = page.getByRole("button", { name: "Actions for Keyboard item" })
  await trigger.focus()
  await page.keyboard.press("Enter")
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeFocused()
  await expect(trigger).toHaveAttribute("aria-expanded", "true")
  await page.keyboard.press("ArrowDown")
  await expect(page.getByRole("menuitem", { name: "Delete" })).toBeFocused()
  await page.keyboard.press("ArrowDown")
  await expect(page.getByRole("menuitem", { name: "Edit" })).toBeFocused()
  await page.keyboard.press("Escape")
  await expect(page.getByRole("menu")).toHaveCount(0)
  await expect(trigger).toBeFocused()

  // A dialog takes focus to its first field, keeps Tab inside, and gives focus back.
  const addButton = page.getByRole("button", { name: "Add item" })
  await addButton.focus()
  await page.keyboard.press("Enter")
  const dialog = page.getByRole("dialog", { name: "Add item" })
  await expect(dialog.getByLabel("Title")).toBeFocused()
  for (let step = 0; step < 8; step += 1) {
    await page.keyboard.press("Tab")
    const focusInside = await dialog.evaluate((element) => element.contains(document.activeElement))
    const focusOnPage = await page.evaluate(() => document.activeElement !== document.body)
    // Past the last control, focus may visit the browser's own UI, never the page behind.
    expect(focusInside || !focusOnPage).toBe(true)
  }
  await page.keyboard.press("Escape")
  await expect(dialog).toBeHidden()
  await expect(addButton).toBeFocused()

  // The form says what is wrong next to the field, and the field says it is invalid.
  await page.keyboard.press("Enter")
  await page.keyboard.press("Enter")
  const title = dialog.getByLabel("Title")
  await expect(title).toHaveAttribute("aria-invalid", "true")
  await expect(title).toHaveAccessibleDescription("Give the item a title")
})
