-- Counts the status of every response, for bench/viral.py.
--
--   wrk -t2 -c16 -d10s --latency -s bench/wrk/expect.lua URL -- STATUS
--
-- STATUS is the one status expected (200 unless given). At the end it prints
--   status <code> <count>     one line per status seen, over all threads
--   unexpected <count>        responses with any other status
-- wrk's own "Non-2xx or 3xx responses" misses a 200 where a 304 was
-- expected, or a 302 where a 200 was; this does not.

-- The setup and done phases share one Lua state; each thread runs in its
-- own. setup() keeps every thread so that done() can read its counts.
threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("id", #threads) -- 1, 2, ...: a number of its own for each thread
end

function init(args)
   expected = tonumber(args[1]) or 200
   statuses = {}
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local totals, unexpected = {}, 0
   for _, thread in ipairs(threads) do
      local want = thread:get("expected")
      for status, count in pairs(thread:get("statuses")) do
         totals[status] = (totals[status] or 0) + count
         if status ~= want then
            unexpected = unexpected + count
         end
      end
   end
   for status, count in pairs(totals) do
      io.write(string.format("status %d %d\n", status, count))
   end
   io.write(string.format("unexpected %d\n", unexpected))
end
