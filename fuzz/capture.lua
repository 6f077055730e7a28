-- Builds a namespace with something of every kind the decoders read, then
-- has fuzz/capture.c save the kernel's replies as seeds.  Run it inside the
-- sandbox: `make fuzz-seeds` (spec/sandbox build/nslua fuzz/capture.lua TOOL DIR).
local netns = require "netns"

local tool, dir = arg[1], arg[2]
assert(tool and dir, "usage: capture.lua CAPTURE-TOOL CORPUS-DIR")

local ns <close> = netns.new()
local _, peer = ns:veth("v0", "v1", { up = true })
ns:bridge("br0", { up = true })
peer:set { master = "br0" }
ns:link_add { name = "vx0", kind = "vxlan", id = 42, port = 4789, remote = "10.9.9.9", link = "v0" }
ns:link_add { name = "mv0", kind = "macvlan", link = "v0", mode = "bridge" }
ns:link_set("lo", { up = true })
ns:addr_add("v0", "10.0.0.1/24")
ns:addr_add("v0", "fd00::1/64", { nodad = true })
ns:addr_add("br0", "10.1.0.1/24", { label = "br0:a" })
ns:addr_add("br0", "fd01::1/64", { nodad = true })
ns:route_add { dst = "10.5.0.0/16", nexthops = {
  { gateway = "10.0.0.2", dev = "v0", weight = 2 },
  { gateway = "10.1.0.2", dev = "br0" },
} }
ns:route_add { dst = "fd05::/64", nexthops = {
  { gateway = "fd00::2", dev = "v0" }, { gateway = "fd01::2", dev = "br0" },
} }
ns:route_add { dst = "10.6.0.0/24", gateway = "10.0.0.2", metric = 50 }
ns:route_add { dst = "10.7.0.0/24", type = "blackhole" }
ns:neigh_add { dst = "10.0.0.2", lladdr = "02:00:00:00:00:02", dev = "v0" }
ns:neigh_add { dst = "fd00::2", lladdr = "02:00:00:00:00:03", dev = "v0" }
ns:neigh_add { dst = "10.1.0.2", lladdr = "02:00:00:00:00:04", dev = "br0", state = "stale" }

ns:rule_add { from = "10.0.0.0/24", to = "10.5.0.0/16", table = 100, priority = 100 }
ns:rule_add { fwmark = "0x10/0xff", iif = "v0", table = 200, priority = 110 }
ns:rule_add { ["not"] = true, from = "fd00::/64", action = "prohibit", priority = 120 }
ns:rule_add { ipproto = "tcp", dport = { 80, 90 }, sport = 1000, table = 7, priority = 130 }
ns:rule_add { oif = "br0", action = "goto", ["goto"] = 32766, priority = 140 }

assert(ns:exec { tool, dir }, "capture failed")
