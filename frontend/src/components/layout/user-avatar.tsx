import { cn, initials } from "@/lib/utils"

export function UserAvatar({
  name,
  email,
  className,
}: {
  name?: string | null
  email: string
  className?: string
}) {
  return (
    <span
      aria-hidden="true"
      className={cn(
        "flex h-8 w-8 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700 dark:bg-indigo-500/20 dark:text-indigo-300",
        className,
      )}
    >
      {initials(name, email)}
    </span>
  )
}
