import { type APIRequestContext, expect, type Page, test } from "@playwright/test"
import { ADMIN, MAIL_URL, VERIFYING_BASE_URL, VERIFYING_MAIL_URL } from "./config"
import { apiToken, createUser, latestMail, type Mail, uniqueEmail } from "./helpers"

/**
 * Every email the app sends, as a phone and a desktop mail client show it. Each is asked
 * for through the API as a user would, read from the test server's SMTP capture, and its
 * HTML rendered in Chromium at 320, 390 and 700 px: the page is never wider than the
 * window (long links and addresses wrap) and no text runs out of its box. One pass at
 * 390 px emulates a dark-mode client. Screenshots go to screenshots/emails/.
 */
const WIDTHS = [320, 390, 700]
const HEIGHT = 844
const LIGHT_BACKGROUND = "rgb(244, 244, 245)"
const DARK_BACKGROUND = "rgb(24, 24, 27)"

type Send = (request: APIRequestContext) => Promise<Mail>

/** How each email is sent, and its subject. */
const EMAILS: Record<string, { subject: string; send: Send }> = {
  "verify-email": {
    subject: "Confirm your email",
    send: async (request) => {
      const email = uniqueEmail("mail-signup")
      const response = await request.post(`${VERIFYING_BASE_URL}/api/v1/users/signup`, {
        data: { email, password: "a-good-password", full_name: "Sam Signup" },
      })
      expect(response.status(), await response.text()).toBe(201)
      return latestMail(request, email, VERIFYING_MAIL_URL)
    },
  },
  "verify-new-email": {
    subject: "Confirm your new email",
    send: async (request) => {
      const user = { email: uniqueEmail("mail-change"), password: "a-good-password" }
      const created = await request.post(`${VERIFYING_BASE_URL}/api/v1/private/users/`, {
        data: { ...user, full_name: "Casey Change" },
      })
      expect(created.status(), await created.text()).toBe(201)
      const login = await request.post(`${VERIFYING_BASE_URL}/api/v1/login/access-token`, {
        form: { username: user.email, password: user.password },
      })
      const { access_token } = (await login.json()) as { access_token: string }
      const newEmail = uniqueEmail("mail-changed")
      const changed = await request.patch(`${VERIFYING_BASE_URL}/api/v1/users/me`, {
        headers: { Authorization: `Bearer ${access_token}` },
        data: { email: newEmail, current_password: user.password },
      })
      expect(changed.status(), await changed.text()).toBe(200)
      return latestMail(request, newEmail, VERIFYING_MAIL_URL)
    },
  },
  "reset-password": {
    subject: "Reset your password",
    send: async (request) => {
      const user = await createUser(request, { prefix: "mail-reset" })
      const response = await request.post("/api/v1/password-recovery", {
        data: { email: user.email },
      })
      expect(response.status(), await response.text()).toBe(200)
      return latestMail(request, user.email, MAIL_URL)
    },
  },
  "new-account": {
    subject: "Your new account",
    send: async (request) => {
      const email = uniqueEmail("mail-welcome")
      const response = await request.post("/api/v1/users/", {
        headers: { Authorization: `Bearer ${await apiToken(request, ADMIN)}` },
        data: { email, password: "a-good-password", full_name: "Wren Welcome" },
      })
      expect(response.status(), await response.text()).toBe(201)
      return latestMail(request, email, MAIL_URL)
    },
  },
  "team-invitation": {
    subject: "Join Design crew on Full Stack FastAPI Project",
    send: async (request) => {
      const headers = { Authorization: `Bearer ${await apiToken(request, ADMIN)}` }
      const team = await request.post("/api/v1/teams/", {
        headers,
        data: { name: "Design crew" },
      })
      expect(team.status(), await team.text()).toBe(201)
      const email = uniqueEmail("mail-invite")
      const { id } = (await team.json()) as { id: string }
      const response = await request.post(`/api/v1/teams/${id}/invitations`, {
        headers,
        data: { email, role: "member" },
      })
      expect(response.status(), await response.text()).toBe(201)
      return latestMail(request, email, MAIL_URL)
    },
  },
  "test-email": {
    subject: "Test email",
    send: async (request) => {
      const email = uniqueEmail("mail-test")
      const response = await request.post("/api/v1/utils/test-email/", {
        headers: { Authorization: `Bearer ${await apiToken(request, ADMIN)}` },
        data: { email_to: email },
      })
      expect(response.status(), await response.text()).toBe(202)
      return latestMail(request, email, MAIL_URL)
    },
  },
}

/** What overflows the window, or its own box, at the current width. */
async function layout(page: Page) {
  return page.evaluate(() => {
    const width = window.innerWidth
    const snippet = (element: Element) => element.outerHTML.slice(0, 120)
    const outside: string[] = []
    const overflowing: string[] = []
    for (const element of document.body.querySelectorAll("*")) {
      for (const box of element.getClientRects()) {
        if (box.width > 0 && (box.left < 0 || box.right > width + 0.5)) {
          outside.push(snippet(element))
          break
        }
      }
      if (element.clientWidth > 0 && element.scrollWidth > element.clientWidth + 0.5) {
        overflowing.push(snippet(element))
      }
    }
    return {
      pageWidth: document.documentElement.scrollWidth,
      windowWidth: width,
      outside,
      overflowing,
      images: document.images.length,
      background: getComputedStyle(document.body).backgroundColor,
    }
  })
}

/** The links whose text is their address (the long one to copy): each of its lines. */
async function linkLines(page: Page) {
  return page.evaluate(() =>
    [...document.querySelectorAll("a[href]")]
      .filter((link) => link.textContent?.trim() === link.getAttribute("href"))
      .map((link) => ({
        text: link.textContent ?? "",
        lines: [...link.getClientRects()].map((box) => ({ left: box.left, right: box.right })),
      })),
  )
}

async function render(page: Page, html: string, width: number) {
  await page.setViewportSize({ width, height: HEIGHT })
  await page.setContent(html, { waitUntil: "load" })
}

for (const [name, { subject, send }] of Object.entries(EMAILS)) {
  test(`the ${name} email fits 320, 390 and 700 px, light and dark`, async ({ page, request }) => {
    const mail = await send(request)
    expect(mail.subject).toBe(subject)

    for (const width of WIDTHS) {
      await render(page, mail.body, width)
      const measured = await layout(page)
      expect(measured.pageWidth, `page width at ${width} px`).toBeLessThanOrEqual(width)
      expect(measured.windowWidth).toBe(width)
      expect(measured.outside, `outside the window at ${width} px`).toEqual([])
      expect(measured.overflowing, `out of their box at ${width} px`).toEqual([])
      // Nothing needs images: the brand is text.
      expect(measured.images).toBe(0)
      expect(measured.background).toBe(LIGHT_BACKGROUND)
      for (const link of await linkLines(page)) {
        for (const line of link.lines) {
          expect(line.left).toBeGreaterThanOrEqual(0)
          expect(line.right, link.text).toBeLessThanOrEqual(width)
        }
      }
      await page.screenshot({ path: `screenshots/emails/${name}-${width}.png`, fullPage: true })
    }

    await page.emulateMedia({ colorScheme: "dark" })
    await render(page, mail.body, 390)
    const dark = await layout(page)
    expect(dark.background).toBe(DARK_BACKGROUND)
    expect(dark.pageWidth).toBeLessThanOrEqual(390)
    expect(dark.outside).toEqual([])
    await page.screenshot({ path: `screenshots/emails/${name}-390-dark.png`, fullPage: true })
  })
}
