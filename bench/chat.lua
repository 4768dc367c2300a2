-- wrk script for bench/run-http.sh: POSTs one chat completion per request.
-- BENCH_BODY  the JSON body; BENCH_BEARER  the bearer value (the model key for the direct and proxy
-- targets, an access token for the gateway); BENCH_EXTRA_HEADER optional "Name: value".
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_BEARER")
local extra = os.getenv("BENCH_EXTRA_HEADER")
if extra and extra ~= "" then
  local name, value = extra:match("^([^:]+):%s*(.*)$")
  wrk.headers[name] = value
end

-- One machine-readable line for the table: requests, req/s, p50 ms, p90 ms, p99 ms, non-2xx/3xx
-- answers, socket errors.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH_RESULT %d %.1f %.3f %.3f %.3f %d %d\n",
    summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    e.status, e.connect + e.read + e.write + e.timeout))
end
