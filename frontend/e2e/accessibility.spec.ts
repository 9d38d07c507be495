import AxeBuilder from "@axe-core/playwright"
import { expect, type Page, test, type ViewportSize as Viewport } from "@playwright/test"
import { apiToken, createUser, logIn } from "./helpers"
import { pageStates } from "./pages"

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

/** Every WCAG 2.x A and AA rule axe-core has, and its best practices. */
const AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

const WIDTHS = {
  desktop: { width: 1280, height: 800 },
  phone: { width: 390, height: 844 },
}

/** axe-core's findings on the page as it is, one line per rule and element. */
async function axeViolations(page: Page, state: string): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze()
  return results.violations.flatMap((violation) =>
    violation.nodes.map(
      (node) =>
        `${state}: ${violation.id} (${violation.impact}) at ${node.target.join(" ")}: ${node.failureSummary?.replaceAll("\n", " ")}`,
    ),
  )
}

for (const theme of ["light", "dark"] as const) {
  for (const [width, viewport] of Object.entries(WIDTHS) as [keyof typeof WIDTHS, Viewport][]) {
    test.describe(`axe-core, ${theme} theme, ${width} width`, () => {
      test.use({ viewport, colorScheme: theme })

      for (const viewer of ["visitor", "user", "superuser"] as const) {
        test(`every page a ${viewer} sees has no violations (${theme}, ${width})`, async ({
          page,
          request,
        }) => {
          test.setTimeout(180_000)
          const states = pageStates().filter(
            (state) => state.viewer === viewer && (!state.only || state.only === width),
          )
          expect(states.length).toBeGreaterThan(0)
          const user = await createUser(request, {
            prefix: `axe-${viewer}`,
            name: "Robin Axe",
            superuser: viewer === "superuser",
          })
          if (viewer !== "visitor") await logIn(page, user)
          const violations: string[] = []
          for (const state of states) {
            await state.open(page, { request, user })
            const html = expect(page.locator("html"))
            await (theme === "dark" ? html.toHaveClass(/dark/) : html.not.toHaveClass(/dark/))
            violations.push(...(await axeViolations(page, state.name)))
            await page.keyboard.press("Escape")
          }
          expect(violations).toEqual([])
        })
      }
    })
  }
}

/** The colours at `points` (CSS pixels) of a PNG of the page, as "r,g,b,a". */
async function coloursIn(page: Page, png: Buffer, points: [number, number][]) {
  return page.evaluate(
    async ({ data, points }) => {
      const image = new Image()
      image.src = `data:image/png;base64,${data}`
      await image.decode()
      const canvas = document.createElement("canvas")
      canvas.width = image.width
      canvas.height = image.height
      const context = canvas.getContext("2d")
      if (!context) throw new Error("no 2d canvas")
      context.drawImage(image, 0, 0)
      const scale = window.devicePixelRatio
      return points.map(([x, y]) =>
        Array.from(context.getImageData(x * scale, y * scale, 1, 1).data).join(","),
      )
    },
    { data: png.toString("base64"), points },
  )
}

test("desktop: the sidebar's background runs down the whole of a long page", async ({
  page,
  request,
}) => {
  const admin = await createUser(request, { prefix: "tall-page", superuser: true })
  // Ten more users: the users list's first page is full whoever else the suite made.
  for (let n = 0; n < 10; n += 1) await createUser(request, { prefix: "tall-page-filler" })
  await logIn(page, admin)
  await page.goto("/admin")
  await expect(page.getByRole("table").getByRole("row")).toHaveCount(11)
  const height = await page.evaluate(() => document.documentElement.scrollHeight)
  expect(height).toBeGreaterThan(800)

  const [sidebarTop, sidebarBottom, contentBottom] = await coloursIn(
    page,
    await page.screenshot({ fullPage: true }),
    [
      [4, 100],
      [4, height - 4],
      [600, height - 4],
    ],
  )
  expect(sidebarTop).toBe("255,255,255,255")
  expect(sidebarBottom).toBe(sidebarTop)
  expect(contentBottom).not.toBe(sidebarTop)
})
