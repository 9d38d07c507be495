import type { ReactNode } from "react"
import { Card } from "@/components/ui/card"

export function SettingsSection({
  title,
  description,
  children,
}: {
  title: string
  description: string
  children: ReactNode
}) {
  return (
    <Card className="p-5 sm:p-6">
      <div className="grid gap-6 md:grid-cols-3">
        <div>
          <h2 className="text-base font-semibold text-zinc-900 dark:text-white">{title}</h2>
          <p className="mt-1 text-sm text-zinc-600 dark:text-zinc-400">{description}</p>
        </div>
        <div className="md:col-span-2">{children}</div>
      </div>
    </Card>
  )
}
