#!/usr/bin/env nslua
-- A star: N hosts (10 unless given) on one switch, all in 10.0.0.0/16, and
-- every host pinged from every other, all at once.  Fails unless every
-- host reaches every other.  The topology is removed when the script ends.
--
--   nslua scripts/star.lua [N]
local netns = require "netns"

local function step(fmt, ...)
  print(("==> " .. fmt):format(...))
end

local n = math.tointeger(tonumber(arg[1] or "10"))
if not n or n < 2 or n > 254 * 256 then
  io.stderr:write(("usage: star.lua [N]: N is a number of hosts from 2 to %d, not %s\n"):format(
    254 * 256, arg[1]))
  os.exit(2)
end

-- Host i's address in 10.0.0.0/16: 10.0.0.1 to 10.0.0.254, then 10.0.1.1 ...
local function address(i)
  return ("10.0.%d.%d"):format((i - 1) // 254, (i - 1) % 254 + 1)
end

local t <close> = netns.topology { prefix = "star-" }

step("switch s1")
local s1 = t:switch "s1"

step("%d hosts, h1 .. h%d, each linked to s1", n, n)
for i = 1, n do
  local h = t:host("h" .. i)
  t:link(h, s1, { addrs = { address(i) .. "/16" } })
end
for _, l in ipairs(t:links()) do
  print(("    %s:%s %s  <->  %s:%s"):format(l.a, l.names[1], l.addrs[1], l.b, l.names[2]))
end

step("pingall: every host pings the %d others", n - 1)
local matrix, summary = t:pingall { timeout = 1 }
print(summary)

local missed = {}
for i = 1, n do
  local row = matrix["h" .. i]
  for j = 1, n do
    if j ~= i and not row[address(j)] then
      missed[#missed + 1] = ("h%d -> %s"):format(i, address(j))
    end
  end
end
if #missed > 0 then
  error(("%d of %d pings got no answer: %s"):format(#missed, n * (n - 1), table.concat(missed, ", ")), 0)
end
step("done: all %d hosts reach each other; the topology is removed as the script ends", n)
