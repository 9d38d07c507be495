import { beforeEach, describe, expect, it, vi } from "vitest"
import { forgetCursors, rememberCursor, rememberedCursor } from "./cursor-trail"

describe("cursor trail", () => {
  beforeEach(() => forgetCursors())

  it("remembers where each page of each list starts", () => {
    rememberCursor("items", 21, "c21")
    rememberCursor("items", 22, "c22")
    rememberCursor("users", 21, "u21")
    expect(rememberedCursor("items", 21)).toBe("c21")
    expect(rememberedCursor("items", 22)).toBe("c22")
    expect(rememberedCursor("users", 21)).toBe("u21")
    expect(rememberedCursor("users", 22)).toBeUndefined()
  })

  it("survives a reload of the tab", async () => {
    rememberCursor("items", 21, "c21")
    vi.resetModules()
    const reloaded = await import("./cursor-trail")
    expect(reloaded.rememberedCursor("items", 21)).toBe("c21")
  })

  it("keeps a thousand pages per list, forgetting the farthest", () => {
    for (let page = 1; page <= 1001; page += 1) rememberCursor("items", page, `c${page}`)
    expect(rememberedCursor("items", 1)).toBeUndefined()
    expect(rememberedCursor("items", 2)).toBe("c2")
    expect(rememberedCursor("items", 1001)).toBe("c1001")
  })
})
