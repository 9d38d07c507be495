import type { ReactNode } from "react"
import { Brand } from "@/components/brand"

/** The frame of the logged-out pages: brand, a card with the form, links below. */
export function AuthLayout({
  title,
  subtitle,
  children,
  footer,
}: {
  title: string
  subtitle?: ReactNode
  children: ReactNode
  footer?: ReactNode
}) {
  return (
    <main className="flex min-h-dvh flex-col items-center justify-center bg-gradient-to-b from-indigo-50/80 to-zinc-50 px-4 py-12 dark:from-indigo-950/30 dark:to-zinc-950">
      <div className="w-full max-w-sm">
        <div className="flex justify-center">
          <Brand className="text-lg" />
        </div>
        <div className="mt-8 rounded-2xl border border-zinc-200 bg-white p-6 shadow-sm sm:p-8 dark:border-zinc-800 dark:bg-zinc-900">
          <h1 className="text-xl font-semibold tracking-tight text-zinc-900 dark:text-white">
            {title}
          </h1>
          {subtitle && (
            <p className="mt-1.5 text-sm text-zinc-600 dark:text-zinc-400">{subtitle}</p>
          )}
          <div className="mt-6">{children}</div>
        </div>
        {footer && (
          <div className="mt-6 text-center text-sm text-zinc-600 dark:text-zinc-400">{footer}</div>
        )}
      </div>
    </main>
  )
}

export const linkClasses =
  "font-medium text-indigo-600 hover:text-indigo-500 dark:text-indigo-400 dark:hover:text-indigo-300"
