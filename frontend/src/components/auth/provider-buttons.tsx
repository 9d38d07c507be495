import type { SignInProvider } from "@/client/types.gen"
import { buttonClasses } from "@/components/ui/button"
import { authorizeUrl } from "@/lib/sign-in"

/** "Continue with …": plain links, since the server sends the browser on to the provider. */
export function ProviderButtons({
  providers,
  next,
}: {
  providers: SignInProvider[]
  next?: string
}) {
  return (
    <div className="mt-6">
      <div className="flex items-center gap-3 text-xs text-zinc-500 dark:text-zinc-400">
        <span className="h-px flex-1 bg-zinc-200 dark:bg-zinc-800" />
        or
        <span className="h-px flex-1 bg-zinc-200 dark:bg-zinc-800" />
      </div>
      <ul className="mt-4 space-y-2">
        {providers.map((provider) => (
          <li key={provider.name}>
            <a
              href={authorizeUrl(provider.name, next)}
              className={buttonClasses("outline", "md", "w-full")}
            >
              Continue with {provider.display}
            </a>
          </li>
        ))}
      </ul>
    </div>
  )
}
