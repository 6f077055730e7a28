#!/usr/bin/env nslua
-- Two subnets joined by a router, described in one table: a1 and a2 on
-- switch sa (10.1.0.0/24), b1 and b2 on switch sb (10.2.0.0/24), and the
-- router r with a leg on each switch.  Every host's default route points at
-- r.  netns.build makes all of it or nothing; the hosts then ping across the
-- router both ways, and the script prints the topology as Graphviz DOT
-- (`nslua scripts/two-subnets.lua | sed -n '/^graph/,/^}/p' | dot -Tpng -o two.png`).
-- The topology is removed when the script ends.
local netns = require "netns"

local function step(fmt, ...)
  print(("==> " .. fmt):format(...))
end

step("build: hosts a1 a2 b1 b2, router r, switches sa and sb")
local t <close> = netns.build {
  prefix = "two-",
  hosts = {
    a1 = {}, a2 = {},
    b1 = {}, b2 = {},
    r = { forward = true },
  },
  switches = { "sa", "sb" },
  links = {
    { "a1", "sa", addrs = { "10.1.0.11/24" } },
    { "a2", "sa", addrs = { "10.1.0.12/24" } },
    { "r", "sa", addrs = { "10.1.0.1/24" } },
    { "r", "sb", addrs = { "10.2.0.1/24" } },
    { "b1", "sb", addrs = { "10.2.0.11/24" } },
    { "b2", "sb", addrs = { "10.2.0.12/24" } },
  },
  routes = {
    a1 = { { dst = "default", gateway = "10.1.0.1" } },
    a2 = { { dst = "default", gateway = "10.1.0.1" } },
    b1 = { { dst = "default", gateway = "10.2.0.1" } },
    b2 = { { dst = "default", gateway = "10.2.0.1" } },
  },
}
for _, l in ipairs(t:links()) do
  print(("    %s:%s %s  <->  %s:%s"):format(l.a, l.names[1], l.addrs[1], l.b, l.names[2]))
end

local addr = { a1 = "10.1.0.11", a2 = "10.1.0.12", b1 = "10.2.0.11", b2 = "10.2.0.12" }
local pairs_across = {
  { "a1", "b1" }, { "a1", "b2" }, { "a2", "b1" }, { "a2", "b2" },   -- 10.1 -> 10.2
  { "b1", "a1" }, { "b1", "a2" }, { "b2", "a1" }, { "b2", "a2" },   -- 10.2 -> 10.1
}
step("ping across the router, both ways")
for _, p in ipairs(pairs_across) do
  local from, to = p[1], p[2]
  local ok, rtt = t:ping(from, addr[to], { timeout = 2 })
  if not ok then error(("%s cannot reach %s (%s) through r"):format(from, to, addr[to]), 0) end
  print(("    %s -> %s %-10s %.3f ms"):format(from, to, addr[to], rtt))
end

step("the topology, as Graphviz DOT")
io.write(t:dot())
step("done: both subnets reach each other through r; the topology is removed as the script ends")
