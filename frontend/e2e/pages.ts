/**
 * Every page of the app, in each state worth checking, for the suite's whole-app checks
 * (axe-core). The routes come from the router's generated route tree: a new route is
 * visited as it is without a line here; states that need set-up (a dialog open, a list
 * with rows) are listed below.
 */
import { readFileSync } from "node:fs"
import { type APIRequestContext, expect, type Page } from "@playwright/test"
import { apiToken, refuseMailTo, type TestUser, uniqueEmail } from "./helpers"

/** Who looks at a page: nobody logged in, a user, or a superuser. */
export type Viewer = "visitor" | "user" | "superuser"

export interface PageState {
  /** The route it belongs to, as the route tree names it ("/items"). */
  route: string
  name: string
  viewer: Viewer
  /** Only at this width (the phone's navigation drawer). */
  only?: "phone"
  /** Open the page in this state and wait until it shows. */
  open: (page: Page, context: { request: APIRequestContext; user: TestUser }) => Promise<void>
}

/** The app's routes: [path, whether it is behind login], from src/routeTree.gen.ts. */
export function appRoutes(): { path: string; signedIn: boolean }[] {
  const source = readFileSync(new URL("../src/routeTree.gen.ts", import.meta.url), "utf8")
  const ids = source.match(/^\s+id:\n((?:\s+\| '[^']+'\n)+)/m)?.[1]
  if (!ids) throw new Error("no route ids in src/routeTree.gen.ts")
  return [...ids.matchAll(/'([^']+)'/g)]
    .map((match) => match[1] as string)
    .filter((id) => id !== "__root__" && id !== "/_app")
    .map((id) =>
      id.startsWith("/_app/")
        ? { path: id.slice("/_app".length), signedIn: true }
        : // `login_/link` is `/login/link`, outside the login page's layout.
          { path: id.replace(/_(?=\/)/g, ""), signedIn: false },
    )
}

async function visit(page: Page, url: string) {
  await page.goto(url)
  await expect(page.getByRole("heading", { level: 1 })).toBeVisible()
  await page.waitForLoadState("networkidle")
}

async function addItems(request: APIRequestContext, user: TestUser, count: number) {
  const token = await apiToken(request, user)
  for (let n = 1; n <= count; n += 1) {
    const response = await request.post("/api/v1/items/", {
      headers: { Authorization: `Bearer ${token}` },
      data: { title: `Sample item ${n}`, description: n % 3 ? `Notes on item ${n}` : null },
    })
    expect(response.status()).toBe(201)
  }
}

/** A failed job: the email of a new account, to an address the mail server turns away. */
async function addFailedJob(request: APIRequestContext, user: TestUser): Promise<string> {
  const email = uniqueEmail("axe-bounced")
  await refuseMailTo(request, email)
  const response = await request.post("/api/v1/users/", {
    headers: { Authorization: `Bearer ${await apiToken(request, user)}` },
    data: { email, password: "a-good-password", full_name: "Bo Bounced" },
  })
  expect(response.status()).toBe(201)
  return email
}

/** A shared team the user owns, with a pending invitation, chosen as the current team. */
async function openSharedTeam(page: Page, request: APIRequestContext, user: TestUser) {
  const headers = { Authorization: `Bearer ${await apiToken(request, user)}` }
  const created = await request.post("/api/v1/teams/", { headers, data: { name: "Design crew" } })
  expect(created.status()).toBe(201)
  const teamId = ((await created.json()) as { id: string }).id
  const invited = await request.post(`/api/v1/teams/${teamId}/invitations`, {
    headers,
    data: { email: `pending-${teamId.slice(0, 8)}@example.com`, role: "admin" },
  })
  expect(invited.status()).toBe(201)
  // What the switcher stores (at phone width it sits in the navigation drawer).
  await visit(page, "/items")
  await page.evaluate((id) => localStorage.setItem("current-team", id), teamId)
  await visit(page, "/team")
  await expect(page.getByRole("heading", { level: 1, name: "Design crew" })).toBeVisible()
}

async function openRowMenu(page: Page) {
  await visit(page, "/items")
  await page.getByRole("button", { name: "Actions for Sample item 12" }).click()
  await expect(page.getByRole("menu")).toBeVisible()
}

/** States beyond "the route as it opens", in the order a viewer goes through them. */
const STATES: PageState[] = [
  {
    route: "/login",
    name: "login, with errors",
    viewer: "visitor",
    open: async (page) => {
      await visit(page, "/login")
      await page.getByRole("button", { name: "Log in" }).click()
      await expect(page.getByText("Enter an email address")).toBeVisible()
    },
  },
  {
    route: "/reset-password",
    name: "reset password, from an emailed link",
    viewer: "visitor",
    open: (page) => visit(page, "/reset-password?token=example"),
  },
  {
    route: "/verify-email",
    name: "verify email, link not valid",
    viewer: "visitor",
    open: async (page) => {
      await visit(page, "/verify-email?token=not-a-real-token")
      await expect(
        page.getByRole("heading", { name: "We couldn't confirm your email" }),
      ).toBeVisible()
    },
  },
  {
    route: "*",
    name: "not found",
    viewer: "visitor",
    open: (page) => visit(page, "/this/page/does/not/exist"),
  },
  {
    route: "/items",
    name: "items, empty",
    viewer: "user",
    open: async (page) => {
      await visit(page, "/items")
      await expect(page.getByRole("heading", { name: "No items yet" })).toBeVisible()
    },
  },
  {
    route: "/items",
    name: "items, with rows",
    viewer: "user",
    open: async (page, { request, user }) => {
      await addItems(request, user, 12)
      await visit(page, "/items")
      await expect(page.getByRole("row", { name: /Sample item 12/ })).toBeVisible()
    },
  },
  {
    route: "/items",
    name: "items, add dialog with errors",
    viewer: "user",
    open: async (page) => {
      await visit(page, "/items")
      await page.getByRole("button", { name: "Add item" }).click()
      const dialog = page.getByRole("dialog", { name: "Add item" })
      await dialog.getByRole("button", { name: "Add item" }).click()
      await expect(dialog.getByText("Give the item a title")).toBeVisible()
    },
  },
  {
    route: "/items",
    name: "items, row menu open",
    viewer: "user",
    open: openRowMenu,
  },
  {
    route: "/items",
    name: "items, delete confirmation",
    viewer: "user",
    open: async (page) => {
      await openRowMenu(page)
      await page.getByRole("menuitem", { name: "Delete" }).click()
      const dialog = page.getByRole("dialog", { name: "Delete this item?" })
      // The pointer on the destructive button: its hover colours count too.
      await dialog.getByRole("button", { name: "Delete item" }).hover()
    },
  },
  {
    route: "/items",
    name: "items, page 2",
    viewer: "user",
    open: async (page) => {
      await visit(page, "/items?page=2")
      await expect(page.getByText(/Showing\s*11–12\s*of\s*12/)).toBeVisible()
    },
  },
  {
    route: "/admin",
    name: "users, not allowed",
    viewer: "user",
    open: async (page) => {
      await visit(page, "/admin")
      await expect(page.getByRole("heading", { name: "Not allowed" })).toBeVisible()
    },
  },
  ...(["profile", "password", "sign-in", "appearance", "teams", "danger"] as const).map(
    (tab): PageState => ({
      route: "/settings",
      name: `settings, ${tab} tab`,
      viewer: "user",
      open: async (page) => {
        await visit(page, tab === "profile" ? "/settings" : `/settings?tab=${tab}`)
        await expect(page.getByRole("tabpanel")).toBeVisible()
      },
    }),
  ),
  {
    route: "/team",
    name: "team, members and invitations",
    viewer: "user",
    open: async (page, { request, user }) => {
      await openSharedTeam(page, request, user)
      await expect(page.getByRole("list", { name: "Pending invitations" })).toBeVisible()
    },
  },
  {
    route: "/team",
    name: "team, removing a member",
    viewer: "user",
    open: async (page, { request, user }) => {
      await openSharedTeam(page, request, user)
      await page.getByRole("button", { name: /^Leave/ }).click()
      await expect(page.getByRole("dialog", { name: "Leave this team?" })).toBeVisible()
    },
  },
  {
    route: "/accept-invitation",
    name: "accept invitation, from an emailed link",
    viewer: "user",
    open: (page) => visit(page, `/accept-invitation?token=${"a".repeat(43)}`),
  },
  {
    route: "/settings",
    name: "settings, two-factor setup with its QR code",
    viewer: "user",
    open: async (page) => {
      await visit(page, "/settings?tab=sign-in")
      await page.getByRole("button", { name: "Set up two-factor authentication" }).click()
      await expect(page.getByRole("img", { name: /QR code/ })).toBeVisible()
    },
  },
  {
    route: "/login",
    name: "login, after a provider's refusal",
    viewer: "visitor",
    open: async (page) => {
      await visit(page, "/login?error=account_exists")
      await expect(page.getByRole("alert")).toBeVisible()
    },
  },
  {
    route: "/login/two-factor",
    name: "second step, with an error",
    viewer: "visitor",
    open: async (page) => {
      await visit(page, "/login/two-factor")
      await page.getByRole("button", { name: "Verify" }).click()
      await expect(page.getByText("Enter the 6-digit code or a recovery code.")).toBeVisible()
    },
  },
  {
    route: "/settings",
    name: "settings, account menu open",
    viewer: "user",
    open: async (page) => {
      await visit(page, "/settings")
      await page
        .getByRole("button", { name: /Account menu/ })
        .filter({ visible: true })
        .click()
      await expect(page.getByRole("menu")).toBeVisible()
    },
  },
  {
    route: "/",
    name: "navigation drawer",
    viewer: "user",
    only: "phone",
    open: async (page) => {
      await visit(page, "/")
      await page.getByRole("button", { name: "Open navigation" }).click()
      await expect(page.getByRole("dialog", { name: "Navigation" })).toBeVisible()
    },
  },
  {
    route: "*",
    name: "not found, signed in",
    viewer: "user",
    open: (page) => visit(page, "/items/does/not/exist"),
  },
  {
    route: "/admin",
    name: "users, add dialog",
    viewer: "superuser",
    open: async (page) => {
      await visit(page, "/admin")
      await page.getByRole("button", { name: "Add user" }).click()
      await expect(page.getByRole("dialog", { name: "Add user" })).toBeVisible()
    },
  },
  {
    route: "/activity",
    name: "activity, filtered",
    viewer: "superuser",
    open: async (page) => {
      await visit(page, "/activity?type=login_succeeded")
      await expect(page.getByText(/Showing/)).toBeVisible()
    },
  },
  {
    route: "/jobs",
    name: "jobs, a failed one",
    viewer: "superuser",
    open: async (page, { request, user }) => {
      const email = await addFailedJob(request, user)
      await expect(async () => {
        await visit(page, "/jobs?state=failed")
        await expect(page.getByRole("row").filter({ hasText: email })).toBeVisible({
          timeout: 1000,
        })
      }).toPass()
    },
  },
  {
    route: "/jobs",
    name: "jobs, none match",
    viewer: "superuser",
    open: async (page) => {
      await visit(page, "/jobs?state=aborted&kind=purge_expired")
      await expect(page.getByRole("heading", { name: "No jobs" })).toBeVisible()
    },
  },
]

/** Each route as it opens (by a superuser, behind login), then the states above. */
export function pageStates(): PageState[] {
  const routes = appRoutes()
  for (const state of STATES) {
    if (state.route !== "*" && !routes.some((route) => route.path === state.route)) {
      throw new Error(`"${state.name}" names ${state.route}, which is not a route any more`)
    }
  }
  const asItOpens = routes.map(
    ({ path, signedIn }): PageState => ({
      route: path,
      name: `${path} as it opens`,
      viewer: signedIn ? "superuser" : "visitor",
      open: (page) => visit(page, path),
    }),
  )
  return [...asItOpens, ...STATES]
}
