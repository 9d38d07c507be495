import { RotateCcw } from "lucide-react"
import type { JobPublic } from "@/client/types.gen"
import type { Column } from "@/components/list/data-table"
import { Badge } from "@/components/ui/badge"
import { Button } from "@/components/ui/button"
import { describeArgs, kindLabel, nextTry, STATES } from "@/lib/jobs"
import { formatDateTime } from "@/lib/utils"

const muted = "whitespace-nowrap text-zinc-500 dark:text-zinc-400"
const none = <span className="text-zinc-400 dark:text-zinc-500">—</span>

function StateBadge({ job }: { job: JobPublic }) {
  const state = STATES[job.state] ?? { label: job.state, tone: "gray" as const }
  return (
    <Badge tone={state.tone} dot={job.state === "failed"}>
      {state.label}
    </Badge>
  )
}

/** The kind, and beneath it the job's arguments on one line (all of them on hover). */
function KindCell({ job }: { job: JobPublic }) {
  const args = describeArgs(job.args)
  return (
    <>
      <p className="font-medium text-zinc-900 dark:text-zinc-100">{kindLabel(job.kind)}</p>
      {args && (
        <p
          className="mt-1 truncate text-xs text-zinc-500 dark:text-zinc-400"
          title={JSON.stringify(job.args, null, 1)}
        >
          {args}
        </p>
      )}
    </>
  )
}

export interface JobActions {
  onRetry: (job: JobPublic) => void
  /** The job whose retry is on its way. */
  isRetrying: (job: JobPublic) => boolean
}

/** The jobs list's columns (the arguments under the kind); a failed job has a Retry button. */
export function jobColumns({ onRetry, isRetrying }: JobActions): Column<JobPublic>[] {
  return [
    {
      header: "Job",
      className: "whitespace-nowrap font-mono text-xs text-zinc-700 dark:text-zinc-300",
      cell: (job) => `#${job.id}`,
    },
    { header: "Kind", className: "w-full max-w-0", cell: (job) => <KindCell job={job} /> },
    { header: "State", cell: (job) => <StateBadge job={job} /> },
    {
      header: "Tries",
      from: "sm",
      className: "whitespace-nowrap tabular-nums text-zinc-700 dark:text-zinc-300",
      cell: (job) => job.attempts,
    },
    {
      header: "Created",
      from: "md",
      className: muted,
      cell: (job) => <time dateTime={job.created_at}>{formatDateTime(job.created_at)}</time>,
    },
    {
      header: "Next try",
      from: "lg",
      headerClassName: "whitespace-nowrap",
      className: muted,
      cell: (job) => {
        const when = nextTry(job)
        if (!when) return none
        return job.scheduled_at ? <time dateTime={job.scheduled_at}>{when}</time> : when
      },
    },
    {
      header: "Retry",
      hideHeader: true,
      className: "py-2 text-right",
      cell: (job) =>
        job.state === "failed" && (
          <Button
            variant="outline"
            size="sm"
            aria-label={`Retry job ${job.id}`}
            loading={isRetrying(job)}
            onClick={() => onRetry(job)}
          >
            {!isRetrying(job) && <RotateCcw className="h-3.5 w-3.5" aria-hidden="true" />}
            <span className="hidden sm:inline">Retry</span>
          </Button>
        ),
    },
  ]
}
