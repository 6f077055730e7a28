#!/usr/bin/env nslua
-- A chain: N routers (4 unless given) in a line, r1 - r2 - ... - rN, with a
-- /30 between each pair of neighbours: the link from ri to ri+1 is
-- 10.0.i.0/30, ri holding 10.0.i.1 and ri+1 holding 10.0.i.2.  Every router
-- forwards, and gets a static route to each subnet it is not on, through the
-- neighbour on that subnet's side.  Fails unless r1 and rN reach each other
-- across every hop.  The topology is removed when the script ends.
--
--   nslua scripts/chain.lua [N]
local netns = require "netns"

local function step(fmt, ...)
  print(("==> " .. fmt):format(...))
end

local n = math.tointeger(tonumber(arg[1] or "4"))
if not n or n < 2 or n > 255 then
  io.stderr:write(("usage: chain.lua [N]: N is a number of routers from 2 to 255, not %s\n"):format(arg[1]))
  os.exit(2)
end

-- The subnet between ri and ri+1, and the address of either end on it.
local function subnet(i) return ("10.0.%d.0/30"):format(i) end
local function left(i) return ("10.0.%d.1"):format(i) end    -- ri's end
local function right(i) return ("10.0.%d.2"):format(i) end   -- ri+1's end

local t <close> = netns.topology { prefix = "chain-" }

step("%d routers, r1 .. r%d, forwarding", n, n)
local r = {}
for i = 1, n do
  r[i] = t:host("r" .. i, { forward = true })
end

step("%d links, a /30 each", n - 1)
for i = 1, n - 1 do
  t:link(r[i], r[i + 1], { addrs = { left(i) .. "/30", right(i) .. "/30" } })
  print(("    r%d %s  <->  r%d %s  (%s)"):format(i, left(i), i + 1, right(i), subnet(i)))
end

step("static routes: each router to every subnet it is not on")
for i = 1, n do
  -- subnets 1 .. i-2 lie to the left, through ri-1; i+1 .. n-1 to the right, through ri+1
  for j = 1, i - 2 do
    r[i]:route_add { dst = subnet(j), gateway = left(i - 1) }
  end
  for j = i + 1, n - 1 do
    r[i]:route_add { dst = subnet(j), gateway = right(i) }
  end
end

for i = 1, n do
  step("r%d: routes", i)
  for _, route in ipairs(r[i]:routes { family = "inet" }) do
    print(("    %-14s %s"):format(route.dst,
      route.gateway and ("via " .. route.gateway .. " dev " .. route.dev) or ("dev " .. route.dev)))
  end
end

-- r1 to rN's far end and back; the replies take the routes the other way.
local far, near = right(n - 1), left(1)
for _, p in ipairs { { 1, far }, { n, near } } do
  local from, addr = p[1], p[2]
  step("r%d: ping %s, across %d hop%s", from, addr, n - 1, n == 2 and "" or "s")
  local ok, rtt = t:ping(r[from], addr, { timeout = 2 })
  if not ok then error(("r%d cannot reach %s"):format(from, addr), 0) end
  print(("    answered in %.3f ms"):format(rtt))
end
step("done: r1 and r%d reach each other; the topology is removed as the script ends", n)
