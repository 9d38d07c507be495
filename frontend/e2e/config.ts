/**
 * Where the test server listens and who its first superuser is (shared with server.py).
 *
 * The ports are picked once, by the runner's main process, and reach the workers through
 * the environment they inherit: two runs on one machine do not collide.
 */
if (!process.env.E2E_APP_PORT) {
  process.env.E2E_APP_PORT = String(20_000 + Math.floor(Math.random() * 10_000) * 2)
}
export const APP_PORT = Number(process.env.E2E_APP_PORT)
export const MAIL_PORT = Number(process.env.E2E_MAIL_PORT ?? APP_PORT + 1)
export const BASE_URL = `http://127.0.0.1:${APP_PORT}`
export const MAIL_URL = `http://127.0.0.1:${MAIL_PORT}`
/** A second server that requires email verification, as production does. */
export const VERIFYING_APP_PORT = APP_PORT + 2
export const VERIFYING_BASE_URL = `http://127.0.0.1:${VERIFYING_APP_PORT}`
export const VERIFYING_MAIL_URL = `http://127.0.0.1:${VERIFYING_APP_PORT + 1}`
export const ADMIN = {
  email: "admin@example.com",
  password: "e2e-admin-password",
  name: "Administrator",
}
