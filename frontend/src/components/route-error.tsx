import { type ErrorComponentProps, useRouter } from "@tanstack/react-router"
import { Button } from "@/components/ui/button"
import { errorMessage } from "@/lib/errors"
import { PageMain } from "./layout/page-main"

/** What a page shows when loading it failed: never a blank screen. */
export function RouteError({ error, reset }: ErrorComponentProps) {
  const router = useRouter()
  return (
    <PageMain>
      <div
        role="alert"
        className="flex min-h-[50vh] flex-col items-center justify-center px-6 text-center"
      >
        <h1 className="text-xl font-semibold text-zinc-900 dark:text-white">
          Something went wrong
        </h1>
        <p className="mt-2 max-w-md text-sm text-zinc-600 dark:text-zinc-400">
          {errorMessage(error)}
        </p>
        <Button
          className="mt-6"
          variant="outline"
          onClick={() => {
            reset()
            void router.invalidate()
          }}
        >
          Try again
        </Button>
      </div>
    </PageMain>
  )
}
