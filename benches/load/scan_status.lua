-- scan.lua, and counts answers by status; done() prints one line:
-- "requests p50_ms p99_ms max_ms status=count ..." for batch.sh to read.
dofile("benches/load/scan.lua")

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do parts[#parts + 1] = status .. "=" .. n end
  table.sort(parts)
  io.write(string.format("RESULT %d %.2f %.2f %.2f %s\n", summary.requests,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    table.concat(parts, " ")))
end
