-- POST requests with bodies: every write carries one body framed by Content-Length and the
-- same body in chunked transfer coding (two chunks, then the last-chunk and an empty
-- trailer), pipelined; SIZE is the body's bytes (default 300).
--
--   wrk -t1 -c4 -d2s -s bench/wrk/post.lua http://198.18.0.2/ -- [SIZE]
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "tt_report.lua")

local function chunked(body)
   local half = math.floor(#body / 2)
   local first, second = body:sub(1, half), body:sub(half + 1)
   return string.format("%x\r\n%s\r\n%x;ext=1\r\n%s\r\n0\r\n\r\n", #first, first, #second,
                        second)
end

function init(args)
   local size = tonumber(args[1]) or 300
   local body = string.rep("0123456789abcdef", math.ceil(size / 16)):sub(1, size)
   -- wrk.format adds Content-Length when given a body.
   local by_length = wrk.format("POST", "/upload/length",
                                {["Content-Type"] = "application/octet-stream"}, body)
   local by_chunks = wrk.format("POST", "/upload/chunked",
                                {["Transfer-Encoding"] = "chunked"}) .. chunked(body)
   request_lengths = {#by_length, #by_chunks}
   pair = by_length .. by_chunks
end

function request()
   return pair
end
