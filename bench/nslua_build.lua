-- Contender: this project's netns.build, one table describing the topology.
--   build/nslua bench/nslua_build.lua star|pairs|chain N [both]
--   build/nslua --keep bench/nslua_build.lua star|pairs|chain N build
-- The topology API names a switch's bridge after the switch: here the
-- bridge in sw is "sw", not "br0".  Hosts have lo up by default.  A host
-- with forward = "ipv4" has IPv4 forwarding on, as every contender's routers
-- do (forward = true would turn IPv6 forwarding on as well).
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local topo = dofile(here .. "/topo.lua")
local netns = require "netns"

local workload, n, phase = arg[1], tonumber(arg[2]), arg[3] or "both"
local spec = { prefix = "", hosts = {}, switches = {}, links = {}, routes = {} }

if workload == "star" then
  spec.switches[1] = "sw"
  for i = 1, n do
    spec.hosts["h" .. i] = {}
    spec.links[i] = { "h" .. i, "sw", names = { "eth0", "p" .. i }, addrs = { topo.star_cidr(i) } }
  end
elseif workload == "pairs" then
  for i = 1, n do
    spec.hosts["a" .. i], spec.hosts["b" .. i] = {}, {}
    spec.links[i] = { "a" .. i, "b" .. i, names = { "veth0", "veth1" },
                      addrs = { topo.pair_cidr(i, 1), topo.pair_cidr(i, 2) } }
  end
elseif workload == "chain" then
  for i = 1, n do
    spec.hosts["r" .. i] = { forward = "ipv4" }
    spec.routes["r" .. i] = topo.chain_routes(i, n)
  end
  for i = 1, n - 1 do
    spec.links[i] = { "r" .. i, "r" .. (i + 1), names = { "right", "left" },
                      addrs = { topo.chain_cidr(i, 1), topo.chain_cidr(i, 2) } }
  end
else
  error("netns.build has no " .. tostring(workload) .. " workload")
end

local t = netns.build(spec)
if phase ~= "build" then t:destroy() end
