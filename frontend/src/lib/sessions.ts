/** Words for the sessions list: which browser, and how the login was proven. */

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, "Edge"],
  [/OPR\//, "Opera"],
  [/Firefox\//, "Firefox"],
  [/Chrom(e|ium)\//, "Chrome"],
  [/Safari\//, "Safari"],
]
// Android and iOS first: their user agents also name Linux and Mac OS X.
const SYSTEMS: [RegExp, string][] = [
  [/Android/, "Android"],
  [/iPhone|iPad|iPod/, "iOS"],
  [/Windows/, "Windows"],
  [/Mac OS X|Macintosh/, "macOS"],
  [/CrOS/, "ChromeOS"],
  [/Linux/, "Linux"],
]

function first(agent: string, known: [RegExp, string][]): string | undefined {
  return known.find(([pattern]) => pattern.test(agent))?.[1]
}

/** "Firefox on Windows", from a browser's user agent; an unknown one as it came. */
export function describeUserAgent(agent: string | null): string {
  if (!agent) return "Unknown browser"
  const browser = first(agent, BROWSERS)
  const system = first(agent, SYSTEMS)
  if (browser && system) return `${browser} on ${system}`
  return browser ?? system ?? (agent.length > 60 ? `${agent.slice(0, 59)}…` : agent)
}

const SECOND_STEPS: Record<string, string> = {
  totp: "an authenticator code",
  recovery_code: "a recovery code",
}

/** "Password and an authenticator code", "GitHub": how a login was proven
 * (`display` names a provider). */
export function describeMethod(method: string, display: (provider: string) => string): string {
  const [first, ...more] = method.split("+")
  const proof = first?.startsWith("oidc:") ? display(first.slice(5)) : "Password"
  const steps = more.map((step) => SECOND_STEPS[step] ?? step)
  return [proof, ...steps].join(" and ")
}
