-- HTTP/1.1 pipelining: every write carries DEPTH GET requests (default 8) and the next write
-- waits for all DEPTH responses.
--
--   wrk -t1 -c4 -d2s -s bench/wrk/pipeline.lua http://198.18.0.2/ -- [DEPTH]
--
-- The appliance queues repeated answers as one extent of its send queue, so any realistic
-- depth is answered at once (tests/integration/test_wrk.py runs 8 and 32).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "tt_report.lua")

function init(args)
   local depth = tonumber(args[1]) or 8
   local r = {}
   request_lengths = {}
   for i = 1, depth do
      r[i] = wrk.format("GET", "/pipeline/" .. i)
      request_lengths[i] = #r[i]
   end
   batch = table.concat(r)
end

function request()
   return batch
end
