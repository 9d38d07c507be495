import { defineConfig, devices } from "@playwright/test"
import { ADMIN, APP_PORT, BASE_URL, MAIL_PORT, VERIFYING_APP_PORT } from "./e2e/config"

/** The app as e2e/server.py runs it: a fresh database, a mail catcher, the built UI. */
function server(options: { port: number; mailPort: number; emailVerification: boolean }) {
  return {
    command: "uv run --frozen python ../frontend/e2e/server.py",
    cwd: "../backend",
    url: `http://127.0.0.1:${options.port}/api/v1/utils/health-check/`,
    reuseExistingServer: false,
    timeout: 180_000,
    // SIGTERM lets the server drop its database on the way out.
    gracefulShutdown: { signal: "SIGTERM" as const, timeout: 10_000 },
    stdout: "ignore" as const,
    stderr: "pipe" as const,
    env: {
      E2E_APP_PORT: String(options.port),
      E2E_MAIL_PORT: String(options.mailPort),
      E2E_EMAIL_VERIFICATION: String(options.emailVerification),
      E2E_ADMIN_EMAIL: ADMIN.email,
      E2E_ADMIN_PASSWORD: ADMIN.password,
    },
  }
}

/**
 * The browser tests run Debian's Chromium against the real backend (a fresh PostgreSQL
 * database each run, started by e2e/server.py) serving the built UI from dist/.
 */
export default defineConfig({
  testDir: "e2e",
  fullyParallel: true,
  workers: process.env.E2E_WORKERS ? Number(process.env.E2E_WORKERS) : 2,
  forbidOnly: Boolean(process.env.CI),
  retries: process.env.CI ? 1 : 0,
  reporter: [["list"]],
  timeout: 30_000,
  expect: { timeout: 7_000 },
  use: {
    baseURL: BASE_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    {
      name: "chromium",
      use: { ...devices["Desktop Chrome"], viewport: { width: 1280, height: 800 } },
    },
  ],
  webServer: [
    server({ port: APP_PORT, mailPort: MAIL_PORT, emailVerification: false }),
    server({ port: VERIFYING_APP_PORT, mailPort: VERIFYING_APP_PORT + 1, emailVerification: true }),
  ],
})
