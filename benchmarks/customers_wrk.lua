-- POST /api/v1/customers with a new, unique customer name on every request.
-- Parameters come from the environment: BENCH_TOKEN, BENCH_PREFIX, BENCH_MODEL_ID.

local next_thread = 0

function setup(thread)
  next_thread = next_thread + 1
  thread:set("thread_id", next_thread)
end

function init(args)
  counter = 0
  prefix = os.getenv("BENCH_PREFIX") .. " " .. thread_id .. "-"
  model_id = os.getenv("BENCH_MODEL_ID")
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  counter = counter + 1
  local body = '{"name": "' .. prefix .. counter .. '", "balance_control": "postpaid", '
    .. '"currency": "USD", "credit_limit": "500.00", "business_model_id": ' .. model_id .. ', '
    .. '"billing_period": "monthly", "billing_timezone": "Europe/Prague", '
    .. '"email": "billing@example.com"}'
  return wrk.format(nil, nil, nil, body)
end
