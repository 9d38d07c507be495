/** Where the test server listens and who its first superuser is (shared with server.py). */
export const APP_PORT = Number(process.env.E2E_APP_PORT ?? 8765)
export const MAIL_PORT = Number(process.env.E2E_MAIL_PORT ?? 8766)
export const BASE_URL = `http://127.0.0.1:${APP_PORT}`
export const MAIL_URL = `http://127.0.0.1:${MAIL_PORT}`
export const ADMIN = {
  email: "admin@example.com",
  password: "e2e-admin-password",
  name: "Administrator",
}
