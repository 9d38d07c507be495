import { Zap } from "lucide-react"
import { cn } from "@/lib/utils"

export const PRODUCT_NAME = "FastAPI Admin"

export function Brand({ className }: { className?: string }) {
  return (
    <span className={cn("flex items-center gap-2.5 font-semibold tracking-tight", className)}>
      <span className="flex h-8 w-8 items-center justify-center rounded-lg bg-indigo-600 text-white shadow-sm">
        <Zap className="h-4.5 w-4.5" fill="currentColor" aria-hidden="true" />
      </span>
      <span className="text-zinc-900 dark:text-white">{PRODUCT_NAME}</span>
    </span>
  )
}
