import { cn, initials } from "@/lib/utils"

export function UserAvatar({
  name,
  email,
  className,
  decorative = true,
}: {
  name?: string | null
  email: string
  className?: string
  /** Hidden from screen readers (the name is next to it); else its initials are read. */
  decorative?: boolean
}) {
  return (
    <span
      aria-hidden={decorative || undefined}
      className={cn(
        "flex h-8 w-8 shrink-0 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700 dark:bg-indigo-500/20 dark:text-indigo-300",
        className,
      )}
    >
      {initials(name, email)}
    </span>
  )
}
