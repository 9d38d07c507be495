import type { LucideIcon } from "lucide-react"
import {
  type KeyboardEvent,
  type ReactNode,
  useCallback,
  useEffect,
  useId,
  useLayoutEffect,
  useRef,
  useState,
} from "react"
import { cn } from "@/lib/utils"

export interface MenuItem {
  label: string
  icon?: LucideIcon
  onSelect: () => void
  tone?: "default" | "danger"
  disabled?: boolean
}

export interface MenuProps {
  /** The trigger's accessible name (after the trigger's own text, when it has some). */
  label: string
  /** What the trigger shows (an icon, an avatar); `label` is used when absent. */
  trigger?: ReactNode
  /**
   * The trigger shows text (a name): its accessible name is that text followed by
   * `label`, so it starts with what people see and voice control can say it.
   */
  triggerHasText?: boolean
  items: MenuItem[]
  align?: "start" | "end"
  /** Open upwards (a menu at the bottom of the sidebar). */
  side?: "bottom" | "top"
  triggerClassName?: string
}

interface Position {
  top?: number
  bottom?: number
  left?: number
  right?: number
}

/**
 * A menu button (WAI-ARIA pattern): Enter, Space or Arrow Down open it on the first
 * item, Arrow Up on the last; arrows, Home and End move; Escape closes it and puts
 * focus back on the button. Positioned fixed so scrolling tables do not clip it.
 */
export function Menu({
  label,
  trigger,
  triggerHasText = false,
  items,
  align = "end",
  side = "bottom",
  triggerClassName,
}: MenuProps) {
  const [open, setOpen] = useState(false)
  const [position, setPosition] = useState<Position>({})
  const focusIndex = useRef(0)
  const buttonRef = useRef<HTMLButtonElement>(null)
  const menuRef = useRef<HTMLDivElement>(null)
  const buttonId = useId()
  const menuId = useId()

  const enabledIndexes = items.flatMap((item, index) => (item.disabled ? [] : [index]))

  const close = useCallback((restoreFocus: boolean) => {
    setOpen(false)
    if (restoreFocus) buttonRef.current?.focus()
  }, [])

  const openAt = (first: "first" | "last") => {
    const rect = buttonRef.current?.getBoundingClientRect()
    if (rect) {
      const vertical =
        side === "bottom" ? { top: rect.bottom + 6 } : { bottom: window.innerHeight - rect.top + 6 }
      const horizontal =
        align === "end" ? { right: window.innerWidth - rect.right } : { left: rect.left }
      setPosition({ ...vertical, ...horizontal })
    }
    focusIndex.current = (first === "first" ? enabledIndexes[0] : enabledIndexes.at(-1)) ?? 0
    setOpen(true)
  }

  useLayoutEffect(() => {
    if (!open) return
    const buttons = menuRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')
    // The menu is placed in sight: focusing an item must not scroll the page.
    buttons?.[focusIndex.current]?.focus({ preventScroll: true })
  }, [open])

  // A menu that would run past the bottom of the window (a row's near the bottom of a
  // list) opens upwards instead, where there is more room: it is fixed, so the page
  // could not be scrolled to it. Measured before it is painted.
  useLayoutEffect(() => {
    if (!open || side !== "bottom") return
    const rect = buttonRef.current?.getBoundingClientRect()
    const height = menuRef.current?.offsetHeight ?? 0
    if (!rect) return
    const roomBelow = window.innerHeight - rect.bottom - 6
    const roomAbove = rect.top - 6
    if (height > roomBelow && roomAbove > roomBelow) {
      setPosition(({ top: _top, ...rest }) => ({
        ...rest,
        bottom: window.innerHeight - rect.top + 6,
      }))
    }
  }, [open, side])

  useEffect(() => {
    if (!open) return
    const onPointerDown = (event: PointerEvent) => {
      const target = event.target as Node
      if (!menuRef.current?.contains(target) && !buttonRef.current?.contains(target)) close(false)
    }
    // The menu is fixed where the button was: it closes when the window is resized,
    // or when a scroll moves the button away. A scroll event that arrives late, for
    // the scroll that brought the button into view just before the click, or a scroll
    // elsewhere on the page, leaves the button where it was and the menu open.
    const openedAt = buttonRef.current?.getBoundingClientRect()
    const onResize = () => close(false)
    const onScroll = () => {
      const now = buttonRef.current?.getBoundingClientRect()
      if (!openedAt || !now || now.top !== openedAt.top || now.left !== openedAt.left) {
        close(false)
      }
    }
    document.addEventListener("pointerdown", onPointerDown)
    window.addEventListener("resize", onResize)
    window.addEventListener("scroll", onScroll, true)
    return () => {
      document.removeEventListener("pointerdown", onPointerDown)
      window.removeEventListener("resize", onResize)
      window.removeEventListener("scroll", onScroll, true)
    }
  }, [open, close])

  const move = (delta: number | "first" | "last") => {
    const buttons = menuRef.current?.querySelectorAll<HTMLButtonElement>('[role="menuitem"]')
    if (!buttons || enabledIndexes.length === 0) return
    const current = enabledIndexes.indexOf(focusIndex.current)
    let next: number
    if (delta === "first") next = 0
    else if (delta === "last") next = enabledIndexes.length - 1
    else next = (current + delta + enabledIndexes.length) % enabledIndexes.length
    focusIndex.current = enabledIndexes[next] ?? 0
    buttons[focusIndex.current]?.focus({ preventScroll: true })
  }

  const onMenuKeyDown = (event: KeyboardEvent) => {
    switch (event.key) {
      case "ArrowDown":
        move(1)
        break
      case "ArrowUp":
        move(-1)
        break
      case "Home":
        move("first")
        break
      case "End":
        move("last")
        break
      case "Escape":
        close(true)
        break
      case "Tab":
        close(false)
        return
      default:
        return
    }
    event.preventDefault()
  }

  const onButtonKeyDown = (event: KeyboardEvent) => {
    if (event.key === "ArrowDown" || event.key === "Enter" || event.key === " ") {
      event.preventDefault()
      openAt("first")
    } else if (event.key === "ArrowUp") {
      event.preventDefault()
      openAt("last")
    }
  }

  return (
    <>
      <button
        ref={buttonRef}
        id={buttonId}
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        aria-label={trigger && !triggerHasText ? label : undefined}
        onClick={() => (open ? close(false) : openAt("first"))}
        onKeyDown={onButtonKeyDown}
        className={cn(
          "focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500",
          triggerClassName,
        )}
      >
        {trigger ?? label}
        {trigger && triggerHasText && <span className="sr-only">{label}</span>}
      </button>
      {open && (
        <div
          ref={menuRef}
          id={menuId}
          role="menu"
          aria-labelledby={buttonId}
          tabIndex={-1}
          onKeyDown={onMenuKeyDown}
          style={position}
          className="fixed z-50 min-w-44 overflow-hidden rounded-xl border border-zinc-200 bg-white p-1 shadow-lg ring-1 ring-zinc-950/5 dark:border-zinc-700 dark:bg-zinc-900"
        >
          {items.map((item, index) => {
            const Icon = item.icon
            return (
              <button
                key={item.label}
                type="button"
                role="menuitem"
                tabIndex={-1}
                disabled={item.disabled}
                aria-disabled={item.disabled || undefined}
                onMouseEnter={(event) => {
                  focusIndex.current = index
                  event.currentTarget.focus()
                }}
                onClick={() => {
                  close(true)
                  item.onSelect()
                }}
                className={cn(
                  "flex w-full items-center gap-2.5 rounded-lg px-2.5 py-2 text-left text-sm outline-none",
                  "focus:bg-zinc-100 dark:focus:bg-zinc-800 disabled:opacity-40",
                  item.tone === "danger"
                    ? "text-red-600 dark:text-red-400"
                    : "text-zinc-700 dark:text-zinc-200",
                )}
              >
                {Icon && <Icon className="h-4 w-4 shrink-0" aria-hidden="true" />}
                {item.label}
              </button>
            )
          })}
        </div>
      )}
    </>
  )
}
