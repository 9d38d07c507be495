import type { JobKind, JobState } from "@/client/types.gen"
import { JOB_KINDS, JOB_STATES, KINDS, STATES } from "@/lib/jobs"

export interface JobFilter {
  state?: JobState
  kind?: JobKind
}

const selectClasses =
  "h-10 rounded-lg border border-zinc-300 bg-white px-3 text-sm text-zinc-900 shadow-sm focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-500/40 dark:border-zinc-700 dark:bg-zinc-900 dark:text-zinc-100"

/** The state and kind the jobs list is narrowed to. */
export function JobFilters({
  value,
  onChange,
}: {
  value: JobFilter
  onChange: (value: JobFilter) => void
}) {
  return (
    <div className="flex flex-wrap gap-2">
      <div>
        <label htmlFor="job-state" className="sr-only">
          State
        </label>
        <select
          id="job-state"
          value={value.state ?? ""}
          onChange={(event) =>
            onChange({ ...value, state: (event.target.value || undefined) as JobState })
          }
          className={selectClasses}
        >
          <option value="">All states</option>
          {JOB_STATES.map((state) => (
            <option key={state} value={state}>
              {STATES[state].label}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label htmlFor="job-kind" className="sr-only">
          Kind
        </label>
        <select
          id="job-kind"
          value={value.kind ?? ""}
          onChange={(event) =>
            onChange({ ...value, kind: (event.target.value || undefined) as JobKind })
          }
          className={selectClasses}
        >
          <option value="">All kinds</option>
          {JOB_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {KINDS[kind]}
            </option>
          ))}
        </select>
      </div>
    </div>
  )
}
