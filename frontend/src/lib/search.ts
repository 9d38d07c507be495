/** Search parameters shared by routes. */

/** Only same-site paths are followed after login (never another origin). */
export function safeRedirect(target: unknown): string {
  if (typeof target !== "string" || !target.startsWith("/") || target.startsWith("//")) return "/"
  if (target.startsWith("/login")) return "/"
  return target
}
