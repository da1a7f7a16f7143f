-- Searches of the public list, each for different letters, for bench/viral.py.
--
--   wrk -t2 -c16 -d10s --latency -s bench/wrk/search.lua http://127.0.0.1:PORT/s/SLUG/signatories -- 200
--
-- Every request searches for three letters of its own (thread and count
-- decide them), so no page cache can answer it: this is what a search costs
-- when nobody made the same one in the last second. Prints expect.lua's lines.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "expect.lua") -- setup(), init(), response(), done()

local sent = 0

function request()
   sent = sent + 1
   local n = sent * 7 + id * 7919 -- a walk through the 17,576 three-letter words
   local word = ""
   for _ = 1, 3 do
      word = word .. string.char(97 + n % 26)
      n = math.floor(n / 26)
   end
   return wrk.format(nil, wrk.path .. "?q=" .. word)
end
