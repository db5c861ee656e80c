-- Keep-alive requests mixed with "Connection: close": every EVERY-th request (default 4) asks
-- the server to close, which the appliance does (its FIN rides on the response) and wrk then
-- reconnects; so each connection carries a few keep-alive requests and ends on a close.
--
--   wrk -t1 -c8 -d2s -s bench/wrk/close_mix.lua http://198.18.0.2/ -- [EVERY]
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "tt_report.lua")

function init(args)
   every = tonumber(args[1]) or 4
   keep = wrk.format("GET", "/keep-alive")
   close = wrk.format("GET", "/close", {["Connection"] = "close"})
   n = 0
end

function request()
   n = n + 1
   if n % every == 0 then
      return close
   end
   return keep
end
