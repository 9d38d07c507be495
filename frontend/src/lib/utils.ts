import { type ClassValue, clsx } from "clsx"

export function cn(...classes: ClassValue[]): string {
  return clsx(classes)
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" })
const dateTimeFormat = new Intl.DateTimeFormat(undefined, {
  dateStyle: "medium",
  timeStyle: "short",
})

export function formatDate(iso: string): string {
  return dateFormat.format(new Date(iso))
}

export function formatDateTime(iso: string): string {
  return dateTimeFormat.format(new Date(iso))
}

export function initials(name: string | null | undefined, email: string): string {
  const source = name?.trim() || email
  const parts = source.split(/[\s@._-]+/).filter(Boolean)
  return ((parts[0]?.[0] ?? "?") + (name?.trim() ? (parts[1]?.[0] ?? "") : "")).toUpperCase()
}

/** Page numbers to show around the current one, with null for a gap. */
export function pageWindow(current: number, total: number): (number | null)[] {
  if (total <= 7) return Array.from({ length: total }, (_, i) => i + 1)
  const pages = new Set([1, total, current - 1, current, current + 1])
  if (current <= 3) for (const p of [2, 3, 4]) pages.add(p)
  if (current >= total - 2) for (const p of [total - 3, total - 2, total - 1]) pages.add(p)
  const sorted = [...pages].filter((p) => p >= 1 && p <= total).sort((a, b) => a - b)
  const result: (number | null)[] = []
  for (const [index, page] of sorted.entries()) {
    const previous = sorted[index - 1]
    if (previous !== undefined && page - previous > 1) result.push(null)
    result.push(page)
  }
  return result
}
