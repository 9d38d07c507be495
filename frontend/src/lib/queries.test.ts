import { QueryClient, QueryObserver } from "@tanstack/react-query"
import { describe, expect, it } from "vitest"
import { currentUserQuery, forgetAccountData, providersQuery } from "./queries"

describe("forgetAccountData", () => {
  it("forgets the account's queries and keeps the sign-in providers", () => {
    const queryClient = new QueryClient()
    queryClient.setQueryData(providersQuery.queryKey, [])
    queryClient.setQueryData(["currentUser"], { email: "someone@example.com" } as never)
    queryClient.setQueryData(["items", "team", { page: 1 }], { data: [], count: 0 })

    forgetAccountData(queryClient)

    expect(
      queryClient
        .getQueryCache()
        .getAll()
        .map((query) => query.queryKey),
    ).toEqual([["providers"]])
    expect(queryClient.getQueryData(currentUserQuery.queryKey)).toBeUndefined()
  })

  it("lets a providers request the login page has under way finish", async () => {
    const queryClient = new QueryClient()
    let answer: (providers: { name: string; display: string }[]) => void = () => {}
    const observer = new QueryObserver(queryClient, {
      queryKey: providersQuery.queryKey,
      queryFn: () => new Promise((resolve) => (answer = resolve)),
    })
    const seen: unknown[] = []
    const unsubscribe = observer.subscribe((result) => seen.push(result.data))

    forgetAccountData(queryClient)
    answer([{ name: "github", display: "GitHub" }])

    await expect
      .poll(() => observer.getCurrentResult().data)
      .toEqual([{ name: "github", display: "GitHub" }])
    expect(seen.at(-1)).toEqual([{ name: "github", display: "GitHub" }])
    unsubscribe()
  })
})
