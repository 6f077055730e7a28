#!/usr/bin/env nslua
-- The classic walkthrough: two namespaces joined by a veth pair, a ping
-- across, and what each side then knows.  Everything is removed at the end,
-- also when a step fails.
local netns = require "netns"

local function step(fmt, ...)
  print(("==> " .. fmt):format(...))
end

local function show_links(ns)
  for _, l in ipairs(ns:links()) do
    print(("    %d: %-8s %-4s mtu %-5d %-17s <%s>"):format(l.ifindex, l.ifname, l.operstate,
      l.mtu, l.address or "", table.concat(l.flags, ",")))
  end
end

local function show_addrs(ns)
  for _, a in ipairs(ns:addrs()) do
    print(("    %-8s %-6s %-28s scope %s"):format(a.ifname, a.family, a.cidr, a.scope))
  end
end

local red, blue
local ok, err = pcall(function()
  step("netns add red; netns add blue")
  red, blue = netns.add "red", netns.add "blue"

  step("link add veth0 (in red) type veth peer veth1 (in blue)")
  local veth0, veth1 = red:veth("veth0", "veth1", { peer_ns = blue })

  step("addresses: veth0 192.168.10.1/24 (red), veth1 192.168.10.2/24 (blue)")
  veth0:addr_add "192.168.10.1/24"
  veth1:addr_add "192.168.10.2/24"

  step("links up: lo and veth0 in red, lo and veth1 in blue")
  red:link_set("lo", { up = true })
  blue:link_set("lo", { up = true })
  veth0:up()
  veth1:up()

  step("ping -c 3 192.168.10.2, from red")
  local pinged = red:exec { "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.168.10.2" }
  assert(pinged, "the ping from red to blue did not cross")

  for _, ns in ipairs { red, blue } do
    step("%s: links", ns.name)
    show_links(ns)
    step("%s: addresses", ns.name)
    show_addrs(ns)
  end

  step("blue: neighbours (what 'ip netns exec blue arp' shows)")
  local red_mac = veth0.address
  local seen = false
  for _, n in ipairs(blue:neighbors { family = "inet" }) do
    print(("    %-15s dev %-6s lladdr %-17s %s"):format(n.dst, n.dev, n.lladdr or "-",
      table.concat(n.state, ",")))
    seen = seen or (n.dst == "192.168.10.1" and n.lladdr == red_mac)
  end
  assert(seen, "blue does not know red's MAC " .. red_mac)
end)

step("netns del red; netns del blue")
for _, ns in ipairs { red, blue } do
  if ns then ns:delete() end
end
assert(#netns.list() == 0, "namespaces left behind")
if not ok then error(err, 0) end
step("done: the ping crossed and nothing is left")
