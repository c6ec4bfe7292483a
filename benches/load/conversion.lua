-- wrk script: each request reports a new purchase (a unique order id) of a random bottle
-- from BENCH_CONV_TOKENS through POST /api/v1/conversions, keyed by the bottle's code
-- (scan to purchase).
-- BENCH_CONV_DELAY_MS paces each connection, so the rate is about connections / delay.
local tokens = {}
local counter = 0
local run = tostring(os.time())
local delay_ms = tonumber(os.getenv("BENCH_CONV_DELAY_MS") or "0")

function init(args)
  for line in io.lines(os.getenv("BENCH_CONV_TOKENS")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  math.randomseed(os.time() + math.random(1000))
end

function delay()
  return delay_ms
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"order_id":"B%s-%d","amount_cents":%d,"currency":"CNY","source":"bench","token":"%s"}',
    run, counter, 100 + math.random(9900), tokens[math.random(#tokens)])
  return wrk.format("POST", "/api/v1/conversions", {
    ["Authorization"] = "Bearer " .. os.getenv("BENCH_KEY"),
    ["Content-Type"] = "application/json",
  }, body)
end
