-- Contender: this project's imperative API, written as a user would write it.
--   build/nslua bench/nslua_api.lua star|pairs|chain N [build|teardown|both]
--   build/nslua bench/nslua_api.lua dump|exec NAME COUNT
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local topo = dofile(here .. "/topo.lua")
local netns = require "netns"

local workload, n, phase = arg[1], tonumber(arg[2]), arg[3] or "both"
local build, teardown = phase ~= "teardown", phase ~= "build"

if workload == "star" then
  if build then
    local sw = netns.add "sw"
    sw:bridge("br0", { up = true })
    for i = 1, n do
      local h = netns.add("h" .. i)
      sw:veth("p" .. i, "eth0", { peer_ns = h, master = "br0", up = true })
      h:addr_add("eth0", topo.star_cidr(i))
      h:link_set("lo", { up = true })
      h:close()
    end
    sw:close()
  end
  if teardown then
    for _, name in ipairs(topo.names("star", n)) do netns.delete(name) end
  end

elseif workload == "pairs" then
  if build then
    for i = 1, n do
      local a, b = netns.add("a" .. i), netns.add("b" .. i)
      a:veth("veth0", "veth1", { peer_ns = b, up = true })
      a:addr_add("veth0", topo.pair_cidr(i, 1))
      b:addr_add("veth1", topo.pair_cidr(i, 2))
      a:link_set("lo", { up = true })
      b:link_set("lo", { up = true })
      a:close(); b:close()
    end
  end
  if teardown then
    for _, name in ipairs(topo.names("pairs", n)) do netns.delete(name) end
  end

elseif workload == "chain" then
  -- One router after the other; a router's routes once its right link is
  -- there, so that no more than two handles are open at a time.
  local function routes(r, i)
    for _, route in ipairs(topo.chain_routes(i, n)) do r:route_add(route) end
    r:close()
  end
  if build then
    local prev
    for i = 1, n do
      local r = netns.add("r" .. i)
      r:sysctl("net.ipv4.ip_forward", 1)
      r:link_set("lo", { up = true })
      if prev then
        prev:veth("right", "left", { peer_ns = r, up = true })
        prev:addr_add("right", topo.chain_cidr(i - 1, 1))
        r:addr_add("left", topo.chain_cidr(i - 1, 2))
        routes(prev, i - 1)
      end
      prev = r
    end
    routes(prev, n)
  end
  if teardown then
    for _, name in ipairs(topo.names("chain", n)) do netns.delete(name) end
  end

elseif workload == "dump" then
  local ns, count, links, addrs = netns.open(arg[2]), tonumber(arg[3]), 0, 0
  for _ = 1, count do
    links = links + #ns:links()
    addrs = addrs + #ns:addrs()
  end
  print(("%d links, %d addresses per dump"):format(links // count, addrs // count))

elseif workload == "exec" then
  local ns, count = netns.open(arg[2]), tonumber(arg[3])
  local argv = { "/bin/true" }
  for _ = 1, count do assert(ns:exec(argv)) end

else
  error("unknown workload " .. tostring(workload))
end
