import { useMutation, useQueryClient } from "@tanstack/react-query"
import { createFileRoute, useNavigate } from "@tanstack/react-router"
import { Workflow } from "lucide-react"
import { jobsRetryJob } from "@/client/sdk.gen"
import type { JobKind, JobPublic, JobState, JobsPublic } from "@/client/types.gen"
import { jobColumns } from "@/components/jobs/job-columns"
import { type JobFilter, JobFilters } from "@/components/jobs/job-filters"
import { ListPage } from "@/components/list/list-page"
import { NotAllowed } from "@/components/not-allowed"
import { EmptyState } from "@/components/ui/card"
import { useCurrentUser } from "@/hooks/use-current-user"
import { useListPage } from "@/hooks/use-list-page"
import { usePageTitle } from "@/hooks/use-page-title"
import { isApiError } from "@/lib/errors"
import { JOB_KINDS, JOB_STATES } from "@/lib/jobs"
import { type ListSearch, type PagePosition, parseListSearch } from "@/lib/paging"
import { jobsQuery } from "@/lib/queries"
import { toast } from "@/lib/toast"

export const Route = createFileRoute("/_app/jobs")({
  validateSearch: (search: Record<string, unknown>): ListSearch & JobFilter => ({
    ...parseListSearch(search),
    ...(JOB_STATES.includes(search.state as JobState) ? { state: search.state as JobState } : {}),
    ...(JOB_KINDS.includes(search.kind as JobKind) ? { kind: search.kind as JobKind } : {}),
  }),
  component: JobsPage,
})

function JobsPage() {
  usePageTitle("Jobs")
  const user = useCurrentUser()
  if (!user.is_superuser) return <NotAllowed />
  return <JobList />
}

/** Run a failed job again: the row shows the server's answer, then the list is read again. */
function useRetryJob() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: async (job: JobPublic) =>
      (await jobsRetryJob({ path: { job_id: job.id }, throwOnError: true })).data,
    onSuccess: (retried) => {
      toast.success("Job queued again", `Job #${retried.id} will run again in a moment.`)
      queryClient.setQueriesData<JobsPublic>({ queryKey: ["jobs"] }, (page) =>
        page
          ? { ...page, data: page.data.map((job) => (job.id === retried.id ? retried : job)) }
          : page,
      )
    },
    // After a refusal too (409: it was retried meanwhile), the row was out of date.
    onSettled: () => queryClient.invalidateQueries({ queryKey: ["jobs"] }),
  })
}

function JobList() {
  const { state, kind } = Route.useSearch()
  const navigate = useNavigate({ from: Route.fullPath })
  const list = useListPage((position: PagePosition) => jobsQuery(position, { state, kind }))
  const retry = useRetryJob()

  if (isApiError(list.error, 403)) return <NotAllowed />

  const filtered = state !== undefined || kind !== undefined
  return (
    <ListPage
      title="Jobs"
      description="Work done in the background (emails, clean-up), newest first. A job that failed can be run again."
      actions={
        <JobFilters
          value={{ state, kind }}
          onChange={(next) =>
            void navigate({
              search: {
                ...(next.state ? { state: next.state } : {}),
                ...(next.kind ? { kind: next.kind } : {}),
              },
            })
          }
        />
      }
      list={list}
      noun="jobs"
      columns={jobColumns({
        onRetry: (job) => retry.mutate(job),
        isRetrying: (job) => retry.isPending && retry.variables?.id === job.id,
      })}
      rowKey={(job) => String(job.id)}
      empty={
        <EmptyState
          icon={<Workflow className="h-6 w-6" aria-hidden="true" />}
          title="No jobs"
          description={filtered ? "No job matches these filters." : "Nothing has been queued yet."}
        />
      }
    />
  )
}
