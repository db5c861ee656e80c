-- Shared by the wrk scripts of bench/wrk (each loads it with dofile): counts every response
-- by kind in response(), and done() prints one line of totals for programs to read:
--
--   TT_WRK {"requests":N,"bytes":N,"duration_us":N,"errors":{"connect":N,"read":N,
--           "write":N,"status":N,"timeout":N},"responses":N,"non2xx":N,"close_responses":N,
--           "request_lengths":[N,...]}
--
-- requests, bytes and errors are wrk's own summary (status counts codes above 399);
-- responses, non2xx (any status outside 200-299) and close_responses (carrying
-- "Connection: close") are counted here, per thread, and summed.  request_lengths are the
-- byte lengths of the requests one write carries, in order, when the script sends the same
-- write every time (pipeline.lua, post.lua), else empty.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function response(status, headers, body)
   responses = (responses or 0) + 1
   if status < 200 or status > 299 then
      non2xx = (non2xx or 0) + 1
   end
   for name, value in pairs(headers) do
      if name:lower() == "connection" and value:lower() == "close" then
         close_responses = (close_responses or 0) + 1
      end
   end
end

local function sum(name)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + (thread:get(name) or 0)
   end
   return total
end

function done(summary, latency, requests)
   local e = summary.errors
   local lengths = threads[1] and threads[1]:get("request_lengths") or {}
   io.write(string.format(
      'TT_WRK {"requests":%d,"bytes":%d,"duration_us":%d,"errors":{"connect":%d,"read":%d,' ..
      '"write":%d,"status":%d,"timeout":%d},"responses":%d,"non2xx":%d,' ..
      '"close_responses":%d,"request_lengths":[%s]}\n',
      summary.requests, summary.bytes, summary.duration, e.connect, e.read, e.write, e.status,
      e.timeout, sum("responses"), sum("non2xx"), sum("close_responses"),
      table.concat(lengths, ",")))
end
