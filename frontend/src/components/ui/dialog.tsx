import { X } from "lucide-react"
import { type ReactNode, useEffect, useId, useRef } from "react"
import { cn } from "@/lib/utils"

export interface DialogProps {
  open: boolean
  onClose: () => void
  title: string
  description?: ReactNode
  children?: ReactNode
  /** Wider dialogs for forms with two columns. */
  size?: "sm" | "md" | "lg"
  /** A drawer that slides from the left edge (the phone navigation). */
  variant?: "center" | "drawer"
  /** Ignore Escape and outside clicks while something is saving. */
  busy?: boolean
  className?: string
}

/**
 * A modal dialog on the native <dialog>: the page behind is inert, focus stays inside,
 * Escape and a click on the backdrop close it, and focus returns where it was.
 */
export function Dialog({
  open,
  onClose,
  title,
  description,
  children,
  size = "md",
  variant = "center",
  busy = false,
  className,
}: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null)
  const titleId = useId()
  const descriptionId = useId()
  const returnFocus = useRef<HTMLElement | null>(null)
  const onCloseRef = useRef(onClose)
  onCloseRef.current = onClose
  const busyRef = useRef(busy)
  busyRef.current = busy

  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) {
      returnFocus.current = document.activeElement as HTMLElement | null
      dialog.showModal()
    } else if (!open && dialog.open) {
      dialog.close()
      returnFocus.current?.focus()
    }
  }, [open])

  useEffect(() => {
    const dialog = ref.current
    return () => {
      if (dialog?.open) {
        dialog.close()
        returnFocus.current?.focus()
      }
    }
  }, [])

  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={description ? descriptionId : undefined}
      onCancel={(event) => {
        event.preventDefault()
        if (!busyRef.current) onCloseRef.current()
      }}
      onMouseDown={(event) => {
        // A press on the backdrop lands on the <dialog> element itself.
        if (event.target === ref.current && !busyRef.current) onCloseRef.current()
      }}
      className={cn(
        "m-auto bg-transparent p-0 text-zinc-900 backdrop:bg-zinc-950/60 backdrop:backdrop-blur-[2px] dark:text-zinc-100",
        variant === "drawer" ? "ml-0 h-dvh max-h-dvh w-72 max-w-[85vw]" : "w-[calc(100%-2rem)]",
        variant === "center" && { sm: "max-w-sm", md: "max-w-lg", lg: "max-w-2xl" }[size],
      )}
    >
      {open && (
        <div
          className={cn(
            "relative bg-white shadow-xl ring-1 ring-zinc-950/5 dark:bg-zinc-900 dark:ring-white/10",
            variant === "drawer" ? "flex h-full flex-col overflow-y-auto" : "rounded-2xl p-6",
            className,
          )}
        >
          <div
            className={cn(variant === "drawer" && "flex items-center justify-between px-4 pt-4")}
          >
            <h2
              id={titleId}
              className={cn(
                "pr-8 text-lg font-semibold tracking-tight",
                variant === "drawer" && "sr-only",
              )}
            >
              {title}
            </h2>
            {description && (
              <div id={descriptionId} className="mt-1.5 text-sm text-zinc-600 dark:text-zinc-400">
                {description}
              </div>
            )}
          </div>
          <div className={cn(variant === "center" ? "mt-5" : "flex flex-1 flex-col")}>
            {children}
          </div>
          <button
            type="button"
            onClick={() => !busy && onClose()}
            className="absolute top-4 right-4 rounded-md p-1.5 text-zinc-500 hover:bg-zinc-100 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-indigo-500 dark:text-zinc-400 dark:hover:bg-zinc-800 dark:hover:text-white"
            aria-label="Close"
          >
            <X className="h-4 w-4" aria-hidden="true" />
          </button>
        </div>
      )}
    </dialog>
  )
}

export function DialogFooter({ children }: { children: ReactNode }) {
  return (
    <div className="mt-6 flex flex-col-reverse gap-2 sm:flex-row sm:justify-end">{children}</div>
  )
}
