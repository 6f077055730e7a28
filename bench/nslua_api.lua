-- Contender: this project's imperative API, written as a user would write it.
--   build/nslua bench/nslua_api.lua star|pairs|chain N [build|teardown|both]
--   build/nslua bench/nslua_api.lua dump|exec NAME COUNT
local here = arg[0]:match("^(.*)/[^/]*$") or "."
local topo = dofile(here .. "/topo.lua")
local netns = require "netns"

local workload, n, phase = arg[1], tonumber(arg[2]), arg[3] or "both"
local build, teardown = phase ~= "teardown", phase ~= "build"

-- The builds make every namespace first, then the links, as the floor does:
-- the same kernel work in the same order, so that the difference is the
-- library's.  (Made just before its link, each namespace costs the kernel
-- more at star-1000; see bench/README.md.)
if workload == "star" then
  if build then
    local sw = netns.add "sw"
    sw:bridge("br0", { up = true })
    local hosts = {}
    for i = 1, n do hosts[i] = netns.add("h" .. i) end
    for i, h in ipairs(hosts) do
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
    local as, bs = {}, {}
    for i = 1, n do as[i], bs[i] = netns.add("a" .. i), netns.add("b" .. i) end
    for i = 1, n do
      local a, b = as[i], bs[i]
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
  if build then
    local routers = {}
    for i = 1, n do
      routers[i] = netns.add("r" .. i)
      routers[i]:sysctl("net.ipv4.ip_forward", 1)
    end
    -- Router i's link to the next one, then its routes: its left link came
    -- with router i-1.
    for i, r in ipairs(routers) do
      r:link_set("lo", { up = true })
      if i < n then
        r:veth("right", "left", { peer_ns = routers[i + 1], up = true })
        r:addr_add("right", topo.chain_cidr(i, 1))
        routers[i + 1]:addr_add("left", topo.chain_cidr(i, 2))
      end
      for _, route in ipairs(topo.chain_routes(i, n)) do r:route_add(route) end
      r:close()
    end
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
