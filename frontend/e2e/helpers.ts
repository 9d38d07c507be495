import { createHmac } from "node:crypto"
import { type APIRequestContext, expect, type Page } from "@playwright/test"
import { MAIL_URL } from "./config"

export interface TestUser {
  email: string
  password: string
  name: string
}

let counter = 0

/** An email no other test (nor an earlier run) uses. */
export function uniqueEmail(prefix: string): string {
  counter += 1
  const random = Math.random().toString(36).slice(2, 8)
  return `${prefix}-${Date.now().toString(36)}${random}${counter}@example.com`
}

/** A user made through the local-only API, for tests that need one to start with. */
export async function createUser(
  request: APIRequestContext,
  options: { prefix?: string; name?: string; password?: string; superuser?: boolean } = {},
): Promise<TestUser> {
  const user = {
    email: uniqueEmail(options.prefix ?? "user"),
    password: options.password ?? "a-good-password",
    name: options.name ?? "Jamie Doe",
  }
  const response = await request.post("/api/v1/private/users/", {
    data: {
      email: user.email,
      password: user.password,
      full_name: user.name,
      is_superuser: options.superuser ?? false,
    },
  })
  expect(response.status(), await response.text()).toBe(201)
  return user
}

/** An access token for API set-up calls (a separate session from the browser's). */
export async function apiToken(
  request: APIRequestContext,
  user: { email: string; password: string },
) {
  const response = await request.post("/api/v1/login/access-token", {
    form: { username: user.email, password: user.password },
  })
  expect(response.ok(), await response.text()).toBeTruthy()
  return ((await response.json()) as { access_token: string }).access_token
}

export async function logIn(page: Page, user: { email: string; password: string }) {
  await page.goto("/login")
  await page.getByLabel("Email").fill(user.email)
  await page.getByLabel("Password", { exact: true }).fill(user.password)
  await page.getByRole("button", { name: "Log in" }).click()
  await expect(page.getByRole("heading", { level: 1 })).toContainText("Good")
}

/** Log out through the account menu (the sidebar's on desktop). */
export async function logOut(page: Page) {
  await page.getByRole("button", { name: "Account menu" }).first().click()
  await page.getByRole("menuitem", { name: "Log out" }).click()
  await expect(page).toHaveURL(/\/login/)
}

/** The query of the next GET request to the list at `path` that `action` makes the page send. */
export async function listRequest(page: Page, path: string, action: () => Promise<unknown>) {
  const request = page.waitForRequest(
    (sent) => new URL(sent.url()).pathname === path && sent.method() === "GET",
  )
  await action()
  return Object.fromEntries(new URL((await request).url()).searchParams)
}

export interface Mail {
  to: string
  subject: string
  body: string
}

/** The link to `path` in an email (HTML-escaped in the message). */
export function linkIn(mail: Mail, path: string): string {
  const pattern = new RegExp(`href="([^"]*${path}\\?token=[^"]+)"`)
  const link = mail.body.match(pattern)?.[1]
  expect(link, mail.body).toBeTruthy()
  return (link as string).replaceAll("&amp;", "&")
}

/** The newest email the app sent to `address`, waiting for it to arrive. */
export async function latestMail(
  request: APIRequestContext,
  address: string,
  mailUrl: string = MAIL_URL,
): Promise<Mail> {
  let mail: Mail | undefined
  await expect
    .poll(
      async () => {
        const response = await request.get(`${mailUrl}/messages`, { params: { to: address } })
        const messages = (await response.json()) as Mail[]
        mail = messages.at(-1)
        return messages.length
      },
      { message: `an email to ${address}`, timeout: 10_000 },
    )
    .toBeGreaterThan(0)
  return mail as Mail
}

/** Have the test server's SMTP server turn mail to `address` away (550), or take it again. */
export async function refuseMailTo(
  request: APIRequestContext,
  address: string,
  { refused = true, mailUrl = MAIL_URL }: { refused?: boolean; mailUrl?: string } = {},
) {
  const url = `${mailUrl}/refused?to=${encodeURIComponent(address)}`
  const response = refused ? await request.post(url) : await request.delete(url)
  expect(response.status()).toBe(204)
}

/** The code an authenticator app shows for `secret` (RFC 6238: SHA-1, 6 digits, 30 s). */
export function totp(secret: string, at: number = Date.now()): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
  const bits = [...secret.replace(/=+$/, "")]
    .map((char) => alphabet.indexOf(char).toString(2).padStart(5, "0"))
    .join("")
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((byte) => Number.parseInt(byte, 2)))
  const counter = Buffer.alloc(8)
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)))
  const mac = createHmac("sha1", key).update(counter).digest()
  const offset = (mac.at(-1) ?? 0) & 0xf
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0")
}

/** Who one of the test server's providers ("Fake ID" unless `provider` says
 * "github") signs in next. GitHub's subjects are numbers. */
export async function providerSignsIn(
  request: APIRequestContext,
  login: {
    email: string
    email_verified?: boolean
    subject?: string
    provider?: "fake" | "github"
  },
) {
  const response = await request.post(`${MAIL_URL}/provider-login`, {
    data: { subject: login.subject ?? `sub-${login.email}`, ...login },
  })
  expect(response.status()).toBe(204)
}
