-- Load for benchmarks/authorize.py, read from the environment:
--   BENCH_MODE       "authorize" (reserve, then commit what was reserved), "rated" (the same
--                    in units: reserve by account and destination, commit units) or "get"
--   BENCH_TOKEN      bearer token sent on every request
--   BENCH_CUSTOMERS  comma-separated customer ids; each reserve picks one at random
--   BENCH_ACCOUNTS   comma-separated account identifiers (digits), for "rated"
--   BENCH_DESTINATIONS  comma-separated destinations (digits), for "rated"
--   BENCH_SERVICE    the service named in reserves ("voice")
-- Every granted reservation (201) is committed by a later request of the same wrk thread, on
-- whichever of its connections is free first. done() prints one line starting with
-- "AUTHORIZE_BENCH" that the Python driver parses.

local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

function init(args)
  mode = os.getenv("BENCH_MODE") or "authorize"
  reserves, commits, failures = 0, 0, 0
  pending = {}
  customers = {}
  for id in string.gmatch(os.getenv("BENCH_CUSTOMERS") or "", "%d+") do
    table.insert(customers, id)
  end
  accounts = {}
  for id in string.gmatch(os.getenv("BENCH_ACCOUNTS") or "", "%d+") do
    table.insert(accounts, id)
  end
  destinations = {}
  for id in string.gmatch(os.getenv("BENCH_DESTINATIONS") or "", "%d+") do
    table.insert(destinations, id)
  end
  math.randomseed(os.time() * 100 + thread_id)
  counter = 0
  wrk.headers["Authorization"] = "Bearer " .. (os.getenv("BENCH_TOKEN") or "")
  wrk.headers["Content-Type"] = "application/json"
  reserve_body = '{"amount": "1.00", "service": "' .. (os.getenv("BENCH_SERVICE") or "voice")
    .. '", "session_id": "bench-' .. thread_id .. '-'
  commit_body = '{"amount": "0.42"}'
  if mode == "rated" then
    reserve_body = '{"units": 3600, "service": "' .. (os.getenv("BENCH_SERVICE") or "voice")
      .. '", "session_id": "bench-' .. thread_id .. '-'
    commit_body = '{"units": 187}'
  end
end

function request()
  if mode == "get" then
    return wrk.format("GET")
  end
  local auth_id = table.remove(pending)
  if auth_id then
    return wrk.format("POST", "/api/v1/authorizations/" .. auth_id .. "/commit", nil, commit_body)
  end
  counter = counter + 1
  if mode == "rated" then
    return wrk.format(
      "POST", "/api/v1/authorizations", nil,
      reserve_body .. counter .. '", "account": "+' .. accounts[math.random(#accounts)]
        .. '", "destination": "+' .. destinations[math.random(#destinations)] .. '"}'
    )
  end
  local customer = customers[math.random(#customers)]
  return wrk.format(
    "POST", "/api/v1/customers/" .. customer .. "/authorizations", nil,
    reserve_body .. counter .. '"}'
  )
end

function response(status, headers, body)
  if mode == "get" then
    if status == 200 then commits = commits + 1 else failures = failures + 1 end
    return
  end
  if status == 201 then
    reserves = reserves + 1
    local auth_id = string.match(body, '"id":%s*(%d+)')
    if auth_id then table.insert(pending, auth_id) else failures = failures + 1 end
  elseif status == 200 then
    commits = commits + 1
  else
    failures = failures + 1
    if failures <= 3 then
      io.stderr:write("unexpected status " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local r, c, f = 0, 0, 0
  for _, thread in ipairs(threads) do
    r = r + thread:get("reserves")
    c = c + thread:get("commits")
    f = f + thread:get("failures")
  end
  local e = summary.errors
  io.write(string.format(
    "AUTHORIZE_BENCH duration_us=%d requests=%d reserves=%d commits=%d failures=%d "
      .. "socket_errors=%d p50_us=%d p90_us=%d p99_us=%d max_us=%d\n",
    summary.duration, summary.requests, r, c, f,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max
  ))
end
