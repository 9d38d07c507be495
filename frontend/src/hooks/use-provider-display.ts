import { useQuery } from "@tanstack/react-query"
import { providersQuery } from "@/lib/queries"

/** A sign-in provider's name as the login page shows it ("GitHub" for `github`); the
 * configured name while the list loads, or for a provider no longer configured. */
export function useProviderDisplay(): (name: string) => string {
  const providers = useQuery(providersQuery)
  return (name) => providers.data?.find((provider) => provider.name === name)?.display ?? name
}
