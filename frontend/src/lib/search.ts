/** Search parameters shared by routes. */

/** `?page=N` (N >= 1); anything else means the first page. */
export function parsePage(search: Record<string, unknown>): { page?: number } {
  const page = Number(search.page)
  return Number.isInteger(page) && page > 1 ? { page } : {}
}

/** Only same-site paths are followed after login (never another origin). */
export function safeRedirect(target: unknown): string {
  if (typeof target !== "string" || !target.startsWith("/") || target.startsWith("//")) return "/"
  if (target.startsWith("/login")) return "/"
  return target
}
