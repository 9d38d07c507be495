import { type KeyboardEvent, type ReactNode, useId, useRef } from "react"
import { cn } from "@/lib/utils"

export interface TabsProps<T extends string> {
  label: string
  tabs: { value: T; label: string }[]
  value: T
  onChange: (value: T) => void
  /** The selected tab's panel. */
  children: ReactNode
  panelClassName?: string
}

/**
 * A tab list and the selected tab's panel (WAI-ARIA tabs, automatic activation): arrows,
 * Home and End move between tabs.
 */
export function Tabs<T extends string>({
  label,
  tabs,
  value,
  onChange,
  children,
  panelClassName,
}: TabsProps<T>) {
  const listRef = useRef<HTMLDivElement>(null)
  const baseId = useId()

  const onKeyDown = (event: KeyboardEvent) => {
    const index = tabs.findIndex((tab) => tab.value === value)
    const targets: Record<string, number> = {
      ArrowRight: (index + 1) % tabs.length,
      ArrowLeft: (index - 1 + tabs.length) % tabs.length,
      Home: 0,
      End: tabs.length - 1,
    }
    const next = targets[event.key]
    if (next === undefined) return
    event.preventDefault()
    const tab = tabs[next]
    if (!tab) return
    onChange(tab.value)
    listRef.current?.querySelectorAll<HTMLButtonElement>('[role="tab"]')[next]?.focus()
  }

  const tabId = (tab: T) => `${baseId}-tab-${tab}`
  const panelId = `${baseId}-panel`

  return (
    <>
      <div
        ref={listRef}
        role="tablist"
        aria-label={label}
        onKeyDown={onKeyDown}
        className="-mx-4 flex gap-1 overflow-x-auto border-b border-zinc-200 px-4 sm:mx-0 sm:px-0 dark:border-zinc-800"
      >
        {tabs.map((tab) => {
          const selected = tab.value === value
          return (
            <button
              key={tab.value}
              type="button"
              role="tab"
              id={tabId(tab.value)}
              aria-selected={selected}
              aria-controls={selected ? panelId : undefined}
              tabIndex={selected ? 0 : -1}
              onClick={() => onChange(tab.value)}
              className={cn(
                "-mb-px whitespace-nowrap border-b-2 px-2.5 py-2.5 text-sm sm:px-3 font-medium focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-indigo-500",
                selected
                  ? "border-indigo-600 text-indigo-700 dark:border-indigo-400 dark:text-indigo-300"
                  : "border-transparent text-zinc-600 hover:border-zinc-300 hover:text-zinc-900 dark:text-zinc-400 dark:hover:border-zinc-600 dark:hover:text-white",
              )}
            >
              {tab.label}
            </button>
          )
        })}
      </div>
      <div role="tabpanel" id={panelId} aria-labelledby={tabId(value)} className={panelClassName}>
        {children}
      </div>
    </>
  )
}
