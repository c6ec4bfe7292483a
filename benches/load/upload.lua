-- wrk script: each request uploads the photo form in BENCH_UPLOAD_BODY (multipart, the
-- boundary below) to BENCH_UPLOAD_PATH, from a random /24 so the rate limits let it in.
local body
local boundary = "scanloopbenchboundary"

function init(args)
  local file = assert(io.open(os.getenv("BENCH_UPLOAD_BODY"), "rb"))
  body = file:read("*a")
  file:close()
  math.randomseed(os.time() + math.random(1000))
end

function request()
  return wrk.format("POST", os.getenv("BENCH_UPLOAD_PATH"), {
    ["Content-Type"] = "multipart/form-data; boundary=" .. boundary,
    ["User-Agent"] = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148",
    ["X-Forwarded-For"] = string.format("10.%d.%d.7", math.random(0, 255), math.random(0, 255)),
  }, body)
end
