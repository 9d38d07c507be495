import type { AuditEventType } from "@/client/types.gen"
import { EVENT_TYPES, EVENTS } from "./event-columns"

export function EventTypeFilter({
  value,
  onChange,
}: {
  value: AuditEventType | undefined
  onChange: (value: AuditEventType | undefined) => void
}) {
  return (
    <div>
      <label htmlFor="event-type" className="sr-only">
        Event type
      </label>
      <select
        id="event-type"
        value={value ?? ""}
        onChange={(event) => onChange((event.target.value || undefined) as AuditEventType)}
        className="h-10 rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"
      >
        <option value="">All events</option>
        {EVENT_TYPES.map((type) => (
          <option key={type} value={type}>
            {EVENTS[type].label}
          </option>
        ))}
      </select>
    </div>
  )
}
