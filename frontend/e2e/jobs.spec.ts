import { type APIRequestContext, expect, type Locator, type Page, test } from "@playwright/test"
import { ADMIN, VERIFYING_BASE_URL, VERIFYING_MAIL_URL } from "./config"
import {
  apiToken,
  createUser,
  latestMail,
  listRequest,
  logIn,
  refuseMailTo,
  uniqueEmail,
} from "./helpers"

// Against the server that requires email verification: each sign-up queues an email there.
test.use({ baseURL: VERIFYING_BASE_URL })

const mail = { mailUrl: VERIFYING_MAIL_URL }

interface Job {
  id: number
  state: string
  attempts: number
  args: { to?: string }
}

/** Sign up through the API; the new user's id. */
async function signUp(request: APIRequestContext, email: string): Promise<string> {
  const response = await request.post("/api/v1/users/signup", {
    data: { email, password: "a-good-password", full_name: "Sky Signup" },
  })
  expect(response.status(), await response.text()).toBe(201)
  return ((await response.json()) as { id: string }).id
}

/** The email job queued for `address`, as the API lists it. */
async function emailJob(request: APIRequestContext, token: string, address: string) {
  const response = await request.get("/api/v1/jobs/", {
    headers: { Authorization: `Bearer ${token}` },
    params: { kind: "send_email", limit: 100 },
  })
  expect(response.status()).toBe(200)
  const jobs = ((await response.json()) as { data: Job[] }).data
  return jobs.find((job) => job.args.to === address)
}

/** Wait until the job of the email to `address` is in `state`; the job. */
async function jobReaches(
  request: APIRequestContext,
  token: string,
  address: string,
  state: string,
): Promise<Job> {
  await expect
    .poll(async () => (await emailJob(request, token, address))?.state, { timeout: 15_000 })
    .toBe(state)
  return (await emailJob(request, token, address)) as Job
}

function jobRow(page: Page, address: string): Locator {
  return page.getByRole("row").filter({ hasText: address })
}

/** The row's cells past the id: the kind and the job's arguments, state, tries, next try. */
async function expectRow(
  row: Locator,
  cells: { kind: string; args: string | RegExp; state: string; tries: string },
) {
  const cell = (n: number) => row.getByRole("cell").nth(n)
  await expect(cell(1).getByRole("paragraph").nth(0)).toHaveText(cells.kind)
  await expect(cell(1).getByRole("paragraph").nth(1)).toHaveText(cells.args)
  await expect(cell(2)).toHaveText(cells.state)
  await expect(cell(3)).toHaveText(cells.tries)
  await expect(cell(5)).toHaveText("—")
}

/** What a confirmation email's job holds: the template, the address and the user's id. */
function confirmationArgs(address: string, userId?: string): string | RegExp {
  if (userId) return `template: verify_email · to: ${address} · user_id: ${userId.slice(0, 8)}`
  const escaped = address.replaceAll(".", "\\.")
  return new RegExp(`^template: verify_email · to: ${escaped} · user_id: [0-9a-f]{8}$`)
}

test("jobs: the superuser finds the email a sign-up queued, narrows the list, and retries an email the mail server turned away", async ({
  page,
  browser,
  request,
}) => {
  // A visitor signs up; the confirmation email goes out through a job.
  const welcomed = uniqueEmail("jobs-welcomed")
  const visitor = await browser.newContext({ baseURL: VERIFYING_BASE_URL })
  const theirPage = await visitor.newPage()
  await theirPage.goto("/signup")
  await theirPage.getByLabel("Full name").fill("Wes Welcomed")
  await theirPage.getByLabel("Email").fill(welcomed)
  await theirPage.getByLabel("Password", { exact: true }).fill("welcomed-password")
  await theirPage.getByLabel("Confirm password", { exact: true }).fill("welcomed-password")
  await theirPage.getByRole("button", { name: "Sign up" }).click()
  await expect(theirPage.getByText("Your account is ready.")).toBeVisible()
  await visitor.close()
  expect((await latestMail(request, welcomed, VERIFYING_MAIL_URL)).subject).toBe(
    "Confirm your email",
  )

  // Another signs up with an address the mail server does not take.
  const bounced = uniqueEmail("jobs-bounced")
  await refuseMailTo(request, bounced, mail)
  const bouncedId = await signUp(request, bounced)

  await logIn(page, ADMIN)
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Jobs", exact: true })
    .click()
  await expect(page.getByRole("heading", { name: "Jobs", level: 1 })).toBeVisible()
  const welcomedRow = jobRow(page, welcomed)
  // The list looks again by itself while a job it shows is queued or running.
  await expect(welcomedRow.getByRole("cell").nth(2)).toHaveText("Succeeded", { timeout: 10_000 })
  await expectRow(welcomedRow, {
    kind: "Send email",
    args: confirmationArgs(welcomed),
    state: "Succeeded",
    tries: "1",
  })
  await expect(welcomedRow.getByRole("button", { name: /Retry/ })).toHaveCount(0)

  // Only the failed jobs: the bounced email's, with its Retry button.
  const failedQuery = await listRequest(page, "/api/v1/jobs/", () =>
    page.getByLabel("State").selectOption({ label: "Failed" }),
  )
  expect(failedQuery).toEqual({ skip: "0", limit: "10", state: "failed" })
  await expect(page).toHaveURL(/\/jobs\?state=failed$/)
  const bouncedRow = jobRow(page, bounced)
  const bouncedArgs = confirmationArgs(bounced, bouncedId)
  await expectRow(bouncedRow, {
    kind: "Send email",
    args: bouncedArgs,
    state: "Failed",
    tries: "1",
  })
  await expect(welcomedRow).toHaveCount(0)

  // Narrowed to a kind as well; a kind with no failed job says so.
  await page.getByLabel("Kind").selectOption({ label: "Purge expired data" })
  await expect(page).toHaveURL(/\/jobs\?state=failed&kind=purge_expired$/)
  await expect(page.getByRole("heading", { name: "No jobs" })).toBeVisible()
  await expect(page.getByText("No job matches these filters.")).toBeVisible()
  const emailQuery = await listRequest(page, "/api/v1/jobs/", () =>
    page.getByLabel("Kind").selectOption({ label: "Send email" }),
  )
  expect(emailQuery).toEqual({ skip: "0", limit: "10", state: "failed", kind: "send_email" })
  await expect(bouncedRow).toBeVisible()

  // The mail server takes the address again: a retry sends the email.
  await refuseMailTo(request, bounced, { ...mail, refused: false })
  const job = (await bouncedRow.getByRole("cell").first().textContent()) as string
  await bouncedRow.getByRole("button", { name: `Retry job ${job.slice(1)}` }).click()
  await expect(page.getByRole("status").filter({ hasText: "Job queued again" })).toContainText(
    `Job ${job} will run again in a moment.`,
  )
  // Not failed any more, so no longer in this list.
  await expect(bouncedRow).toHaveCount(0)
  expect((await latestMail(request, bounced, VERIFYING_MAIL_URL)).subject).toBe(
    "Confirm your email",
  )

  await page.getByLabel("State").selectOption({ label: "Succeeded" })
  await expect(page).toHaveURL(/\/jobs\?state=succeeded&kind=send_email$/)
  await expectRow(jobRow(page, bounced), {
    kind: "Send email",
    args: bouncedArgs,
    state: "Succeeded",
    tries: "1",
  })
  await expect(page.getByLabel("State")).toHaveValue("succeeded")
  await expect(page.getByLabel("Kind")).toHaveValue("send_email")
})

test("jobs: retrying a job that someone else retried first says so", async ({ page, request }) => {
  const late = uniqueEmail("jobs-late")
  await refuseMailTo(request, late, mail)
  const lateId = await signUp(request, late)
  const colleague = await apiToken(
    request,
    await createUser(request, { prefix: "jobs-colleague", superuser: true }),
  )
  const failed = await jobReaches(request, colleague, late, "failed")

  await logIn(page, ADMIN)
  await page.goto("/jobs?state=failed&kind=send_email")
  const row = jobRow(page, late)
  await expectRow(row, {
    kind: "Send email",
    args: confirmationArgs(late, lateId),
    state: "Failed",
    tries: "1",
  })

  // Meanwhile a colleague retries it, and this time the email goes out.
  await refuseMailTo(request, late, { ...mail, refused: false })
  const retried = await request.post(`/api/v1/jobs/${failed.id}/retry`, {
    headers: { Authorization: `Bearer ${colleague}` },
  })
  expect(retried.status(), await retried.text()).toBe(200)
  expect(((await retried.json()) as Job).state).toBe("todo")
  await latestMail(request, late, VERIFYING_MAIL_URL)
  await jobReaches(request, colleague, late, "succeeded")

  // The page still shows it failed; its retry is refused, and the list catches up.
  await row.getByRole("button", { name: `Retry job ${failed.id}` }).click()
  await expect(page.getByRole("alert").filter({ hasText: "retried" })).toHaveText(
    "Only a failed job can be retried; this one is succeeded.",
  )
  await expect(row).toHaveCount(0)
})
