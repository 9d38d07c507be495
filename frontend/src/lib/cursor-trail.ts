/**
 * The cursors a tab has been handed for each list's pages, so that Previous can go back
 * past the pages read with `skip` without walking the list. Kept in sessionStorage: a
 * reload keeps them, another tab or a shared link starts without.
 */

const STORAGE_KEY = "list-cursors"
/** Pages remembered per list: a person clicking Next this often is not paging any more. */
const MAX_PAGES = 1000

type Trails = Record<string, Record<string, string>>

let memory: Trails | null = null

function storage(): Storage | null {
  try {
    return typeof sessionStorage === "undefined" ? null : sessionStorage
  } catch {
    return null
  }
}

function load(): Trails {
  if (memory) return memory
  try {
    const parsed: unknown = JSON.parse(storage()?.getItem(STORAGE_KEY) ?? "{}")
    memory = parsed && typeof parsed === "object" ? (parsed as Trails) : {}
  } catch {
    memory = {}
  }
  return memory
}

function save(trails: Trails): void {
  try {
    storage()?.setItem(STORAGE_KEY, JSON.stringify(trails))
  } catch {
    // Storage full or refused: the trail still lives in memory until a reload.
  }
}

/** Remember that page `page` of `list` starts at `cursor`. */
export function rememberCursor(list: string, page: number, cursor: string): void {
  const trails = load()
  const trail = trails[list] ?? {}
  if (trail[page] === cursor) return
  trail[page] = cursor
  const pages = Object.keys(trail)
  if (pages.length > MAX_PAGES) {
    // Forget the pages furthest from this one.
    const farthest = pages.sort(
      (a, b) => Math.abs(Number(b) - page) - Math.abs(Number(a) - page),
    )[0]
    if (farthest !== undefined) delete trail[farthest]
  }
  trails[list] = trail
  save(trails)
}

/** The cursor page `page` of `list` starts at, if this tab was handed one. */
export function rememberedCursor(list: string, page: number): string | undefined {
  return load()[list]?.[page]
}

/** Forget every trail (tests; a new session). */
export function forgetCursors(): void {
  memory = {}
  storage()?.removeItem(STORAGE_KEY)
}
