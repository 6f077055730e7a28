#!/usr/bin/env nslua
-- A small lab: two hosts on a switch, a router beside h1, a default route,
-- a ping, and every host checked against every other.  Run with
-- `nslua --graph lab.dot scripts/lab.lua` to keep a picture of it.
local netns = require "netns"

local t <close> = netns.topology { prefix = "lab-" }
local h1, h2 = t:host "h1", t:host "h2"
local r = t:host("r", { forward = true })
local s = t:switch "s1"
t:link(h1, s, { addrs = { "10.0.0.1/24" } })
t:link(h2, s, { addrs = { "10.0.0.2/24" } })
t:link(h1, r, { addrs = { "10.1.0.1/24", "10.1.0.2/24" } })
h2:route_add { dst = "default", gateway = "10.0.0.1" }

print("==> " .. tostring(t))
for _, l in ipairs(t:links()) do
  print(("    %s:%s %s  <->  %s:%s %s"):format(l.a, l.names[1], l.addrs[1] or "",
    l.b, l.names[2], l.addrs[2] or ""))
end

local ok, rtt = t:ping(h2, "10.0.0.1")
assert(ok, "h2 cannot reach h1")
print(("==> h2 -> 10.0.0.1: %.3f ms"):format(rtt))

local _, summary = t:pingall { timeout = 0.5 }
print("==> pingall")
print(summary)
print("==> the topology is removed when the script ends")
