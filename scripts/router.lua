#!/usr/bin/env nslua
-- Two subnets joined by a router: h1 sits on 10.1.0.0/24 (fd01::/64), h2 on
-- 10.2.0.0/24 (fd02::/64), and the namespace "router" has a leg in each and
-- forwards between them.  Each host's default route points at the router;
-- a ping from h1 to h2 crosses both hops.  Everything is removed at the
-- end, also when a step fails.
local netns = require "netns"

local function step(fmt, ...)
  print(("==> " .. fmt):format(...))
end

-- A route record prints as `ip route` shows it.
local function show_routes(ns)
  for _, r in ipairs(ns:routes()) do
    print("    " .. tostring(r))
  end
end

-- Pings @addr from @ns; returns the summary line and the TTL of the replies.
local function ping(ns, addr)
  local out = ns:output { "ping", "-c", "3", "-i", "0.2", "-W", "2", addr }
  local summary = out:match("(%d+ packets transmitted[^\n]*)")
  return summary, tonumber(out:match("ttl=(%d+)")), out
end

local h1, router, h2
local ok, err = pcall(function()
  step("netns add h1; netns add router; netns add h2")
  h1, router, h2 = netns.add "h1", netns.add "router", netns.add "h2"
  for _, ns in ipairs { h1, router, h2 } do
    ns:link_set("lo", { up = true })
    -- IPv6 addresses usable at once: no duplicate address detection.
    ns:sysctl("net.ipv6.conf.default.accept_dad", 0)
  end

  step("link add eth0 (in h1) type veth peer eth1 (in router)")
  local h1_eth0, r_eth1 = h1:veth("eth0", "eth1", { peer_ns = router, up = true })
  step("link add eth0 (in h2) type veth peer eth2 (in router)")
  local h2_eth0, r_eth2 = h2:veth("eth0", "eth2", { peer_ns = router, up = true })

  step("addresses: h1 10.1.0.2/24 fd01::2/64, router 10.1.0.1/24 fd01::1/64 (eth1)")
  step("           h2 10.2.0.2/24 fd02::2/64, router 10.2.0.1/24 fd02::1/64 (eth2)")
  for _, a in ipairs {
    { h1_eth0, "10.1.0.2/24", "fd01::2/64" }, { r_eth1, "10.1.0.1/24", "fd01::1/64" },
    { h2_eth0, "10.2.0.2/24", "fd02::2/64" }, { r_eth2, "10.2.0.1/24", "fd02::1/64" },
  } do
    a[1]:addr_add(a[2])
    a[1]:addr_add(a[3], { nodad = true })
  end

  step("router: sysctl net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1")
  router:sysctl("net.ipv4.ip_forward", 1)
  router:sysctl("net.ipv6.conf.all.forwarding", 1)

  step("h1: route add default via 10.1.0.1; route add default via fd01::1")
  h1:route_add { dst = "default", gateway = "10.1.0.1" }
  h1:route_add { dst = "default", gateway = "fd01::1" }
  step("h2: route add default via 10.2.0.1; route add default via fd02::1")
  h2:route_add { dst = "default", gateway = "10.2.0.1" }
  h2:route_add { dst = "default", gateway = "fd02::1" }

  for _, ns in ipairs { h1, router, h2 } do
    step("%s: routes", ns.name)
    show_routes(ns)
  end

  for _, p in ipairs { { h1, "10.2.0.2" }, { h1, "fd02::2" }, { h2, "10.1.0.2" }, { h2, "fd01::2" } } do
    local from, addr = p[1], p[2]
    step("%s: ping -c 3 %s", from.name, addr)
    local summary, ttl = ping(from, addr)
    print("    " .. summary)
    assert(summary:match(" 3 received"), ("%s could not reach %s: %s"):format(from.name, addr, summary))
    -- Replies start with 64 hops to live; the router takes one.
    print(("    replies came back with ttl %d: one router in between"):format(ttl))
    assert(ttl == 63, ("replies from %s crossed %d routers, not 1"):format(addr, 64 - ttl))
  end
end)

step("netns del h2; netns del router; netns del h1")
for _, ns in ipairs { h2, router, h1 } do
  if ns then ns:delete() end
end
for _, name in ipairs { "h1", "router", "h2" } do
  assert(not netns.exists(name), "namespace " .. name .. " left behind")
end
if not ok then error(err, 0) end
step("done: h1 and h2 reached each other through the router, and nothing is left")
