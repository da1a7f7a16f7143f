-- Sign-on POSTs, each with an address of its own, for bench/viral.py.
--
--   wrk -t2 -c16 -d10s --latency -s bench/wrk/sign.lua http://127.0.0.1:PORT/s/SLUG/sign -- ORIGIN [PREFIX]
--
-- ORIGIN is the site's origin (http://127.0.0.1:PORT), sent as the Origin
-- header as a browser would. Every request signs for a new organisation with
-- the address PREFIX<thread>-<n>@example.org (PREFIX: "bench-"), so that
-- runs on one database each sign with their own; 303 is the expected answer.
-- At the end it prints expect.lua's lines, then
--   sent <count>              requests written, answered or not
-- (a request still in flight when wrk stops may be stored yet never answered).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "expect.lua") -- setup(), response(), and the status counts in done()

local count_statuses = init
local print_statuses = done

-- 0 -> "a", 25 -> "z", 26 -> "ba": numbers as letters, since the form wants
-- names of letters.
local function letters(n)
   local s = ""
   repeat
      s = string.char(97 + n % 26) .. s
      n = math.floor(n / 26)
   until n == 0
   return s
end

local function encode(s)
   return (s:gsub("[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function init(args)
   count_statuses({ "303" })
   wrk.method = "POST"
   wrk.headers["Origin"] = args[1]
   wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
   prefix = args[2] or "bench-"
   sent = 0
end

function request()
   sent = sent + 1
   local form = {
      "org_name=" .. encode("Viral Bench Collective " .. letters(id):upper() .. " " .. letters(sent)),
      "org_type=union",
      "country=DE",
      "contact_name=" .. encode("Bench Contact"),
      "contact_email=" .. encode(string.format("%s%d-%d@example.org", prefix, id, sent)),
      "listing=listed",
      "consent=y",
   }
   return wrk.format(nil, nil, nil, table.concat(form, "&"))
end

function done(summary, latency, requests)
   print_statuses(summary, latency, requests)
   local total = 0
   for _, thread in ipairs(threads) do
      total = total + thread:get("sent")
   end
   io.write(string.format("sent %d\n", total))
end
