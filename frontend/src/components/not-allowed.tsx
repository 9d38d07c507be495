import { Link } from "@tanstack/react-router"
import { ShieldAlert } from "lucide-react"
import { buttonClasses } from "@/components/ui/button"

/** A page the user may not see (403): they stay logged in. */
export function NotAllowed() {
  return (
    <div
      role="alert"
      className="flex min-h-[50vh] flex-col items-center justify-center text-center"
    >
      <div className="flex h-12 w-12 items-center justify-center rounded-full bg-amber-50 text-amber-600 dark:bg-amber-500/10 dark:text-amber-400">
        <ShieldAlert className="h-6 w-6" aria-hidden="true" />
      </div>
      <h1 className="mt-4 text-xl font-semibold text-zinc-900 dark:text-white">Not allowed</h1>
      <p className="mt-2 max-w-sm text-sm text-zinc-600 dark:text-zinc-400">
        You don't have permission to see this page. Ask a superuser if you think you should.
      </p>
      <Link to="/" className={buttonClasses("outline", "md", "mt-6")}>
        Back to the dashboard
      </Link>
    </div>
  )
}
