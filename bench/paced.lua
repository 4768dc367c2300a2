-- wrk script for bench/run-http.sh's fixed rate: chat.lua's requests, each connection pausing a random,
-- exponentially distributed time (mean BENCH_PACE_MS) before each request. The connections' requests then
-- arrive independently of one another, as a steady rate's do (a Poisson process), instead of in step:
-- hey's -q workers all tick on the same schedule, so "1,000 req/s" from 20 of them is 50 bursts of 20 a
-- second, and its p99 times the draining of a burst (bench/README.md, run 18). The pause is not part of
-- a request's latency: wrk starts the clock when it writes the request.
-- BENCH_DIR  the directory of chat.lua; BENCH_PACE_MS  the mean pause, in milliseconds.
dofile(os.getenv("BENCH_DIR") .. "/chat.lua")

local pace = tonumber(os.getenv("BENCH_PACE_MS") or "")
if not pace or pace <= 0 then
  error("BENCH_PACE_MS must be a positive number of milliseconds")
end

local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("thread_number", threads)
end

function init(args)
  -- each thread has its own Lua state: seeded alike, their pauses would repeat one another
  math.randomseed(os.time() * 1000 + thread_number)
end

function delay()
  return -pace * math.log(1 - math.random())
end
