import {
  forwardRef,
  type InputHTMLAttributes,
  type ReactNode,
  type TextareaHTMLAttributes,
  useId,
} from "react"
import { cn } from "@/lib/utils"

const controlClasses = cn(
  "block w-full rounded-lg border bg-white px-3 text-sm text-zinc-900 shadow-sm placeholder:text-zinc-400",
  "focus:outline-none focus:ring-2 focus:ring-indigo-500/40 focus:border-indigo-500",
  "dark:bg-zinc-900 dark:text-zinc-100 dark:placeholder:text-zinc-500",
  "disabled:cursor-not-allowed disabled:opacity-60",
)

function borderFor(invalid: boolean) {
  return invalid
    ? "border-red-500 focus:border-red-500 focus:ring-red-500/30 dark:border-red-500"
    : "border-zinc-300 dark:border-zinc-700"
}

interface FieldProps {
  label: string
  error?: string
  hint?: ReactNode
  /** Label text only for assistive tech (e.g. a search box with a visible icon). */
  hideLabel?: boolean
  /** Shown inside the input at its end (e.g. a "show password" button). */
  trailing?: ReactNode
}

export type InputFieldProps = FieldProps & InputHTMLAttributes<HTMLInputElement>

/** A labelled input; its hint and error are announced with it. */
export const InputField = forwardRef<HTMLInputElement, InputFieldProps>(function InputField(
  { label, error, hint, hideLabel, trailing, id, className, required, ...props },
  ref,
) {
  const generated = useId()
  const inputId = id ?? generated
  const hintId = `${inputId}-hint`
  const errorId = `${inputId}-error`
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ")
  return (
    <div className={className}>
      <div className={cn("mb-1.5 flex gap-0.5 text-sm font-medium", hideLabel && "sr-only")}>
        <label htmlFor={inputId} className="text-zinc-800 dark:text-zinc-200">
          {label}
        </label>
        {required && (
          <span className="text-red-600 dark:text-red-400" aria-hidden="true">
            *
          </span>
        )}
      </div>
      <div className="relative">
        <input
          ref={ref}
          id={inputId}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy || undefined}
          aria-required={required || undefined}
          className={cn(controlClasses, "h-10", trailing && "pr-11", borderFor(Boolean(error)))}
          {...props}
        />
        {trailing && (
          <div className="absolute inset-y-0 right-0 flex items-center pr-1.5">{trailing}</div>
        )}
      </div>
      {hint && !error && (
        <p id={hintId} className="mt-1.5 text-xs text-zinc-500 dark:text-zinc-400">
          {hint}
        </p>
      )}
      <FieldError id={errorId} message={error} />
    </div>
  )
})

export type TextareaFieldProps = FieldProps & TextareaHTMLAttributes<HTMLTextAreaElement>

export const TextareaField = forwardRef<HTMLTextAreaElement, TextareaFieldProps>(
  function TextareaField({ label, error, hint, id, className, ...props }, ref) {
    const generated = useId()
    const inputId = id ?? generated
    const hintId = `${inputId}-hint`
    const errorId = `${inputId}-error`
    const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(" ")
    return (
      <div className={className}>
        <label
          htmlFor={inputId}
          className="mb-1.5 block text-sm font-medium text-zinc-800 dark:text-zinc-200"
        >
          {label}
        </label>
        <textarea
          ref={ref}
          id={inputId}
          rows={3}
          aria-invalid={error ? true : undefined}
          aria-describedby={describedBy || undefined}
          className={cn(controlClasses, "resize-y py-2", borderFor(Boolean(error)))}
          {...props}
        />
        {hint && !error && (
          <p id={hintId} className="mt-1.5 text-xs text-zinc-500 dark:text-zinc-400">
            {hint}
          </p>
        )}
        <FieldError id={errorId} message={error} />
      </div>
    )
  },
)

export function FieldError({ id, message }: { id: string; message?: string }) {
  if (!message) return null
  return (
    <p id={id} className="mt-1.5 text-xs font-medium text-red-600 dark:text-red-400">
      {message}
    </p>
  )
}

export type CheckboxFieldProps = Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & {
  label: string
  description?: string
}

/** A checkbox with a label and an optional description, all clickable. */
export const CheckboxField = forwardRef<HTMLInputElement, CheckboxFieldProps>(
  function CheckboxField({ label, description, id, className, ...props }, ref) {
    const generated = useId()
    const inputId = id ?? generated
    return (
      <div className={cn("flex items-start gap-3", className)}>
        <input
          ref={ref}
          id={inputId}
          type="checkbox"
          aria-describedby={description ? `${inputId}-description` : undefined}
          className="mt-0.5 h-4 w-4 shrink-0 rounded border-zinc-300 accent-indigo-600 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500 dark:border-zinc-600"
          {...props}
        />
        <div className="text-sm">
          <label htmlFor={inputId} className="font-medium text-zinc-800 dark:text-zinc-200">
            {label}
          </label>
          {description && (
            <p id={`${inputId}-description`} className="text-zinc-500 dark:text-zinc-400">
              {description}
            </p>
          )}
        </div>
      </div>
    )
  },
)

/** A message about the whole form (e.g. the server said no), announced when it appears. */
export function FormAlert({
  message,
  tone = "error",
}: {
  message?: string | null
  tone?: "error" | "success" | "info"
}) {
  if (!message) return null
  const tones = {
    error:
      "border-red-200 bg-red-50 text-red-800 dark:border-red-900/60 dark:bg-red-950/50 dark:text-red-200",
    success:
      "border-emerald-200 bg-emerald-50 text-emerald-800 dark:border-emerald-900/60 dark:bg-emerald-950/50 dark:text-emerald-200",
    info: "border-indigo-200 bg-indigo-50 text-indigo-800 dark:border-indigo-900/60 dark:bg-indigo-950/50 dark:text-indigo-200",
  }
  return (
    <div
      role={tone === "error" ? "alert" : "status"}
      className={cn("rounded-lg border px-3 py-2.5 text-sm", tones[tone])}
    >
      {message}
    </div>
  )
}
