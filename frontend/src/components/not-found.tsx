import { Link } from "@tanstack/react-router"
import { buttonClasses } from "@/components/ui/button"
import { usePageTitle } from "@/hooks/use-page-title"
import { Brand } from "./brand"
import { PageMain } from "./layout/page-main"

export function NotFound() {
  usePageTitle("Page not found")
  return (
    <PageMain className="flex min-h-dvh flex-col items-center justify-center px-6 py-16 text-center">
      <Brand />
      <p className="mt-10 text-sm font-semibold text-indigo-600 dark:text-indigo-400">404</p>
      <h1 className="mt-2 text-3xl font-semibold tracking-tight text-zinc-900 sm:text-4xl dark:text-white">
        Page not found
      </h1>
      <p className="mt-3 max-w-md text-zinc-600 dark:text-zinc-400">
        The page you are looking for doesn't exist or has moved.
      </p>
      <Link to="/" className={buttonClasses("primary", "md", "mt-8")}>
        Back to the dashboard
      </Link>
    </PageMain>
  )
}
