-- Sends pre-signed Vapi deliveries, each one unique (a repeat would take the duplicate path).
-- The request file (written by webhook_bench.py): line 1 path, line 2 x-timestamp, line 3 the
-- body prefix shared by every request, then one "<hex signature> <body suffix>" per request.
-- Signing happens in Python beforehand, so wrk only concatenates strings per request.

local path, timestamp, prefix
local signatures, suffixes = {}, {}
local count, sent = 0, 0
wrapped = 0
local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   local file = assert(io.open(args[1], "rb"))
   path = file:read("*l")
   timestamp = file:read("*l")
   prefix = file:read("*l")
   for line in file:lines() do
      local signature, suffix = line:match("^(%x+) (.*)$")
      count = count + 1
      signatures[count] = signature
      suffixes[count] = suffix
   end
   file:close()
end

function request()
   sent = sent + 1
   if sent > count then
      wrapped = wrapped + 1
   end
   local i = ((sent - 1) % count) + 1
   return wrk.format("POST", path, {
      ["Content-Type"] = "application/json",
      ["x-timestamp"] = timestamp,
      ["x-signature"] = signatures[i],
   }, prefix .. suffixes[i])
end

function done(summary, latency, requests)
   local reused = 0
   for _, thread in ipairs(threads) do
      reused = reused + (thread:get("wrapped") or 0)
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
      '"socket_errors": %d, "status_errors": %d, "reused": %d}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
      e.connect + e.read + e.write + e.timeout, e.status, reused))
end
