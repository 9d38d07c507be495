/** Background jobs as the jobs page shows them: names for states and kinds, and a job's facts. */
import type { JobKind, JobPublic, JobState } from "@/client/types.gen"
import { formatDateTime } from "./utils"

export type Tone = "gray" | "green" | "red" | "indigo" | "amber"

export const STATES: Record<JobState, { label: string; tone: Tone }> = {
  todo: { label: "Queued", tone: "indigo" },
  doing: { label: "Running", tone: "amber" },
  succeeded: { label: "Succeeded", tone: "green" },
  failed: { label: "Failed", tone: "red" },
  cancelled: { label: "Cancelled", tone: "gray" },
  aborted: { label: "Aborted", tone: "gray" },
}

export const JOB_STATES = Object.keys(STATES) as JobState[]

export const KINDS: Record<JobKind, string> = {
  send_email: "Send email",
  purge_expired: "Purge expired data",
}

export const JOB_KINDS = Object.keys(KINDS) as JobKind[]

export function kindLabel(kind: string): string {
  return KINDS[kind as JobKind] ?? kind
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

function shortValue(value: unknown): string {
  if (typeof value === "string") return UUID.test(value) ? value.slice(0, 8) : value
  return JSON.stringify(value)
}

/**
 * A job's arguments on one line, by name: "template: verify_email · to: sam@example.com".
 * Ids are shortened.
 */
export function describeArgs(args: JobPublic["args"]): string {
  return Object.entries(args)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}: ${shortValue(value)}`)
    .join(" · ")
}

/** When a queued job runs next: its scheduled time, or "Now" when it waits only for a worker. */
export function nextTry(job: Pick<JobPublic, "state" | "scheduled_at">): string | null {
  if (job.state !== "todo") return null
  return job.scheduled_at ? formatDateTime(job.scheduled_at) : "Now"
}

/** Whether the job may change while it is shown (so the page looks again a moment later). */
export function isUnfinished(job: Pick<JobPublic, "state">): boolean {
  return job.state === "todo" || job.state === "doing"
}
