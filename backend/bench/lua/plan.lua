-- wrk script: replays a request plan and reports percentiles and errors as JSON.
--
-- Usage: wrk ... -s plan.lua <url> -- <plan file>
-- The plan has one request a line, five tab-separated fields ("-" for none):
--   METHOD  PATH  BEARER_TOKEN  CONTENT_TYPE  BODY
-- A body may hold {seq}: each request then gets its thread's number and a counter
-- there, so no two requests of a run send the same body (sign-ups, say).
-- Each thread walks the plan round-robin from its own offset. Any answer that is not
-- 2xx counts as an error, as do wrk's socket errors (connect, read, write, timeout).
-- The done hook prints one line: BENCH_RESULT {json}.

local threads = {}

function setup(thread)
  thread:set("thread_number", #threads)
  table.insert(threads, thread)
end

function init(args)
  plan = {}
  for line in io.lines(args[1]) do
    local method, path, token, content_type, body =
      line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    if method then
      local headers = {}
      if token ~= "-" then headers["Authorization"] = "Bearer " .. token end
      if content_type ~= "-" then headers["Content-Type"] = content_type end
      if body == "-" then body = nil end
      if body and body:find("{seq}", 1, true) then
        table.insert(plan, {method = method, path = path, headers = headers, body = body})
      else
        table.insert(plan, wrk.format(method, path, headers, body))
      end
    end
  end
  if #plan == 0 then error("empty plan: " .. args[1]) end
  position = (thread_number * 7) % #plan
  non2xx = 0
end

function request()
  position = position % #plan + 1
  local entry = plan[position]
  if type(entry) == "table" then
    sequence = (sequence or 0) + 1
    local seq = thread_number .. "-" .. sequence
    local body = entry.body:gsub("{seq}", function() return seq end)
    return wrk.format(entry.method, entry.path, entry.headers, body)
  end
  return entry
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, ' ..
    '"p99_us": %d, "max_us": %d, "mean_us": %.1f, "non2xx": %d, "connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean, non2xx_total,
    errors.connect, errors.read, errors.write, errors.timeout))
end
