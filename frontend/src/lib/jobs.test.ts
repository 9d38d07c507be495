import { describe, expect, it } from "vitest"
import { describeArgs, isUnfinished, kindLabel, nextTry } from "./jobs"
import { formatDateTime } from "./utils"

describe("a job's arguments", () => {
  it("reads as key: value pairs by name, with ids shortened", () => {
    expect(
      describeArgs({
        to: "sam@example.com",
        user_id: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        template: "verify_email",
      }),
    ).toBe("template: verify_email · to: sam@example.com · user_id: 3fa85f64")
  })

  it("shows other values as JSON, and nothing for no arguments", () => {
    expect(describeArgs({ timestamp: 1_700_000_000, dry: false, ids: [1, 2] })).toBe(
      "dry: false · ids: [1,2] · timestamp: 1700000000",
    )
    expect(describeArgs({})).toBe("")
  })
})

describe("a job's next try", () => {
  it("is the scheduled time of a queued job, or now", () => {
    const at = "2026-03-01T10:30:00Z"
    expect(nextTry({ state: "todo", scheduled_at: at })).toBe(formatDateTime(at))
    expect(nextTry({ state: "todo", scheduled_at: null })).toBe("Now")
  })

  it("is none for a job that is running or ended", () => {
    for (const state of ["doing", "succeeded", "failed", "cancelled", "aborted"] as const) {
      expect(nextTry({ state, scheduled_at: "2026-03-01T10:30:00Z" })).toBeNull()
    }
  })
})

describe("jobs", () => {
  it("are unfinished while queued or running", () => {
    expect(isUnfinished({ state: "todo" })).toBe(true)
    expect(isUnfinished({ state: "doing" })).toBe(true)
    expect(isUnfinished({ state: "failed" })).toBe(false)
    expect(isUnfinished({ state: "succeeded" })).toBe(false)
  })

  it("name their kind, or show a kind the page does not know as it is", () => {
    expect(kindLabel("send_email")).toBe("Send email")
    expect(kindLabel("rebuild_index")).toBe("rebuild_index")
  })
})
