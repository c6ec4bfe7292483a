-- wrk script: each request scans a random token from tokens.txt with a random phone agent.
local tokens = {}
local agents = {
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.47(0x18002f2f) NetType/WIFI Language/zh_CN",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MicroMessenger/8.0.47",
}
local forwarded = { "81.2.69.142", "89.160.20.128", "216.160.83.56", "175.16.199.7", "203.0.113.9" }

function init(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  math.randomseed(os.time() + math.random(1000))
end

function request()
  local token = tokens[math.random(#tokens)]
  return wrk.format("GET", "/s/" .. token, {
    ["User-Agent"] = agents[math.random(#agents)],
    ["X-Forwarded-For"] = forwarded[math.random(#forwarded)],
    ["Accept-Language"] = "zh-CN,zh;q=0.9",
  })
end
