import { useSuspenseQuery } from "@tanstack/react-query"
import { currentUserQuery } from "@/lib/queries"

/** The logged-in user (loaded before any page of the app renders). */
export function useCurrentUser() {
  return useSuspenseQuery(currentUserQuery).data
}
