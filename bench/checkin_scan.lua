-- wrk script for bench/checkin_scan.py: POST /api/v1/events/<slug>/scans, one ticket token a request.
--
--   wrk -t2 -c32 -d12s --latency -s bench/checkin_scan.lua http://127.0.0.1:PORT \
--       -- <path> <bearer token> <checkpoint id> <tokens file> <mode> <nonce prefix> <threads>
--
-- mode "first": every token once (thread i takes lines i, i+threads, …). A thread that has all the
--   answers for its tokens stops; a request it must send meanwhile (its connections ask for the
--   next one as each answer comes) repeats its last token and is counted in "beyond".
-- mode "again": the tokens over and over (all already checked in: duplicate scans).
-- mode "junk": a code that is no ticket (warming the workers up; stores "unknown" scans only).
-- mode "anonymous": the same requests without the Authorization header (401, no SQL: the app's floor).
-- Every request has a nonce of its own: <prefix>-<thread>-<n>.
-- done() prints one line "BENCH {json}" that the Python side reads.

local threads = {}
local counter = 0

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

function init(args)
   path, bearer, checkpoint, file, mode, prefix = args[1], args[2], tonumber(args[3]), args[4], args[5], args[6]
   local nthreads = tonumber(args[7])
   tokens = {}
   local i = 0
   for line in io.lines(file) do
      if i % nthreads == id then
         table.insert(tokens, line)
      end
      i = i + 1
   end
   sent, beyond, answered, statuses, results = 0, 0, 0, {}, {}
   headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. bearer}
   if mode == "anonymous" then  -- no token: the app answers 401 without any SQL (its own floor)
      headers["Authorization"] = nil
   end
end

function request()
   local code
   counter = counter + 1
   if mode == "junk" or mode == "anonymous" then
      code = "WARMUP" .. counter
   elseif mode == "again" then
      code = tokens[(counter - 1) % #tokens + 1]
   elseif counter <= #tokens then
      code = tokens[counter]
   else
      beyond = beyond + 1
      code = tokens[#tokens]
   end
   sent = math.min(counter, #tokens)  -- distinct tokens sent
   local nonce = string.format("%s-%d-%d", prefix, id, counter)
   local body = string.format('{"checkpoint_id":%d,"code":"%s","nonce":"%s","direction":"in","source":"scan"}', checkpoint, code, nonce)
   return wrk.format("POST", path, headers, body)
end

function response(status, resp_headers, body)
   statuses[status] = (statuses[status] or 0) + 1
   local result = string.match(body, '"result":%s*"([a-z_]+)"') or "none"
   results[result] = (results[result] or 0) + 1
   answered = answered + 1
   if mode == "first" and answered >= #tokens then
      wrk.thread:stop()
   end
end

local function merge(into, from)
   for k, v in pairs(from or {}) do
      into[tostring(k)] = (into[tostring(k)] or 0) + v
   end
end

function done(summary, latency, requests)
   local all_statuses, all_results, all_sent, all_beyond = {}, {}, 0, 0
   for _, thread in ipairs(threads) do
      merge(all_statuses, thread:get("statuses"))
      merge(all_results, thread:get("results"))
      all_sent = all_sent + (thread:get("sent") or 0)
      all_beyond = all_beyond + (thread:get("beyond") or 0)
   end
   local function object(t)
      local parts = {}
      for k, v in pairs(t) do
         table.insert(parts, string.format('"%s":%d', k, v))
      end
      return "{" .. table.concat(parts, ",") .. "}"
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
         .. '"sent":%d,"beyond":%d,"statuses":%s,"results":%s}\n',
      summary.requests, summary.duration, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, e.connect, e.read, e.write, e.status, e.timeout,
      all_sent, all_beyond, object(all_statuses), object(all_results)))
end
