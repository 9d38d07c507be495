/**
 * Form fields of a resource's dialog: zod rules with the limits the API enforces, and
 * the conversions between what an input holds (text) and what the API takes.
 */
import { z } from "zod"

const INT_MIN = -2_147_483_648
const INT_MAX = 2_147_483_647

/** Text the resource needs: not blank, at most `max` characters. */
export const requiredText = (message: string, max = 255) =>
  z.string().trim().min(1, message).max(max, `Use at most ${max} characters`)

/** Text that may be left empty (sent as null). */
export const optionalText = (max = 255) =>
  z.string().trim().max(max, `Use at most ${max} characters`)

/** A whole number typed as text; empty is none unless `required`. */
export const wholeNumber = (required = false) =>
  z
    .string()
    .trim()
    .refine((text) => !required || text !== "", "Enter a number")
    .refine((text) => text === "" || /^-?\d+$/.test(text), "Enter a whole number")
    .refine(
      (text) => text === "" || (Number(text) >= INT_MIN && Number(text) <= INT_MAX),
      "That number is too large",
    )

/** A decimal number typed as text; empty is none unless `required`. */
export const decimalNumber = (required = false) =>
  z
    .string()
    .trim()
    .refine((text) => !required || text !== "", "Enter a number")
    .refine((text) => text === "" || Number.isFinite(Number(text)), "Enter a number")

/** A date (`YYYY-MM-DD`) or date and time (`datetime-local`) input's value. */
export const dateInput = (required = false) =>
  z.string().refine((text) => !required || text !== "", "Pick a date")

/** What a number input holds for an API value. */
export const numberText = (value: number | null | undefined): string =>
  value === null || value === undefined ? "" : String(value)

/** An API value for a number input's text: empty is null. */
export const toNumber = (text: string): number | null => (text.trim() === "" ? null : Number(text))

/** A `datetime-local` input's value for an API date-time, in the browser's time zone. */
export const localDateTime = (iso: string | null | undefined): string => {
  if (!iso) return ""
  const date = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, "0")
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`
}

/** An API date-time (with its offset) for a `datetime-local` input's value. */
export const toDateTime = (local: string): string | null =>
  local === "" ? null : new Date(local).toISOString()

/** An API date for a date input's value: empty is null. */
export const toDate = (text: string): string | null => (text === "" ? null : text)
