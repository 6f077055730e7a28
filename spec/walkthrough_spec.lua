-- The classic two-namespace walkthrough, end to end, the way one would do it
-- with `ip netns add red; ip netns add blue; ip link add veth0 netns red type
-- veth peer name veth1 netns blue; ...`, each step checked with iproute2.

local netns = require "netns"
local H = require "helper"


-- Open descriptors of this process.
local fds = H.fd_count

-- Names printed by `ip netns list`, sorted.
local function ip_netns_list()
  local out, ok = H.sh("ip netns list 2>&1")
  assert(ok, out)
  local names = {}
  for line in out:gmatch("[^\n]+") do names[#names + 1] = line:match("^(%S+)") end
  table.sort(names)
  return names
end

local function contains(list, x)
  for _, v in ipairs(list) do
    if v == x then return true end
  end
  return false
end

local function has_flag(link, flag)
  return contains(link.flags or {}, flag)
end

-- `ip -j addr show dev DEV` in @ns: the addr_info entries.
local function ip_addr_info(ns, dev)
  local links = H.ip(ns, "addr show dev " .. dev)
  return links[1] and links[1].addr_info or {}
end

local seq = 0

describe("the two-namespace walkthrough", function()
  it("builds red and blue, pings across, reads the neighbour, and tears it all down", function()
    seq = seq + 1
    local suffix = ("%d-%d"):format(os.time() % 100000, seq)
    local RED, BLUE = "red-" .. suffix, "blue-" .. suffix
    local fd0, where, listed0 = fds(), H.thread_ns(), ip_netns_list()
    local red, blue
    finally(function()
      for _, ns in ipairs { red or false, blue or false } do
        if ns then ns:close() end
      end
      netns.delete(RED, { missing_ok = true })
      netns.delete(BLUE, { missing_ok = true })
    end)

    -- ip netns add red; ip netns add blue
    red, blue = netns.add(RED), netns.add(BLUE)
    assert.are.equal(RED, red.name)
    assert.are.equal("/run/netns/" .. RED, red.path)
    assert.are.equal("netns " .. BLUE, tostring(blue))
    local listed = ip_netns_list()
    assert.is_true(contains(listed, RED))
    assert.is_true(contains(listed, BLUE))
    assert.are.same(listed, netns.list())
    assert.is_true(netns.exists(RED))
    assert.is_true(netns.exists(BLUE))
    assert.are_not.equal(red, blue)
    -- what ip netns exec enters is what the handle holds
    local out = H.sh("ip netns exec " .. RED .. " readlink /proc/self/ns/net")
    assert.are.equal(("net:[%d]"):format(red.id), (out:gsub("%s+$", "")))

    -- a veth pair, its peer created directly in blue
    local v0, v1 = red:veth("veth0", "veth1", { peer_ns = blue })
    assert.are.equal("veth0", v0.ifname)
    assert.are.equal("veth1", v1.ifname)
    assert.are.equal("veth", v0.kind)
    assert.are.equal(blue, v1.ns)
    assert.is_nil(red:link("veth1"))
    assert.is_nil(blue:link("veth0"))
    local ip_v0 = H.ip(red, "-d link show veth0")[1]
    local ip_v1 = H.ip(blue, "-d link show veth1")[1]
    assert.are.equal(ip_v0.address, v0.address)
    assert.are.equal(ip_v1.address, v1.address)
    assert.are.equal(ip_v0.link_netnsid, v0.link_netnsid)
    assert.are.equal("veth", ip_v1.linkinfo.info_kind)

    -- ip -n red addr add 192.168.10.1/24 dev veth0, and .2 in blue
    red:addr_add("veth0", "192.168.10.1/24")
    blue:addr_add(v1.ifindex, "192.168.10.2/24")
    local a_red, a_blue = ip_addr_info(red, "veth0"), ip_addr_info(blue, "veth1")
    assert.are.equal(1, #a_red)
    assert.are.equal("192.168.10.1", a_red[1]["local"])
    assert.are.equal(24, a_red[1].prefixlen)
    assert.are.equal("192.168.10.2", a_blue[1]["local"])
    local mine = red:addrs("veth0")
    assert.are.equal(1, #mine)
    assert.are.equal("192.168.10.1/24", mine[1].cidr)
    assert.are.equal(a_red[1].scope, mine[1].scope)

    -- links and lo up
    v0, v1 = v0:up(), v1:up()
    red:link("lo"):up()
    blue:link("lo"):up()
    for _, ns_dev in ipairs { { red, "veth0" }, { blue, "veth1" }, { red, "lo" }, { blue, "lo" } } do
      local l = H.ip(ns_dev[1], "link show " .. ns_dev[2])[1]
      assert.is_true(has_flag(l, "UP"), ns_dev[2] .. " is not up in " .. tostring(ns_dev[1]))
      assert.is_true(has_flag(ns_dev[1]:link(ns_dev[2]), "UP"))
    end

    -- a real ping across, through the library and through ip netns exec
    assert.are.same({ true, "exit", 0 },
      { red:exec({ "ping", "-c1", "-W2", "192.168.10.2" }, { stdout = "null" }) })
    local _, ip_ok = H.sh("ip netns exec " .. RED .. " ping -c1 -W2 192.168.10.2 >/dev/null 2>&1")
    assert.is_true(ip_ok)
    local _, back_ok = H.sh("ip netns exec " .. BLUE .. " ping -c1 -W2 192.168.10.1 >/dev/null 2>&1")
    assert.is_true(back_ok)

    -- blue's neighbour table holds red's MAC, as ip shows it
    local entry
    for _, e in ipairs(blue:neighbors { dev = "veth1", family = "inet" }) do
      if e.dst == "192.168.10.1" then entry = e end
    end
    assert.is_truthy(entry, "blue has no neighbour entry for red")
    assert.are.equal(v0.address, entry.lladdr)
    assert.are.equal("veth1", entry.dev)
    local ip_entry
    for _, e in ipairs(H.ip(blue, "neigh show dev veth1")) do
      if e.dst == "192.168.10.1" then ip_entry = e end
    end
    assert.are.equal(ip_entry.lladdr, entry.lladdr)
    -- and red's holds blue's
    local red_entry
    for _, e in ipairs(red:neighbors { dev = "veth0" }) do
      if e.dst == "192.168.10.2" then red_entry = e end
    end
    assert.are.equal(v1.address, red_entry.lladdr)

    -- the thread never left its namespace
    assert.are.equal(where, H.thread_ns())

    -- ip netns del red; ip netns del blue
    red:delete()
    blue:delete()
    assert.is_false(netns.exists(RED))
    assert.is_false(netns.exists(BLUE))
    -- ip netns list is as it was before (empty, in a sandbox of its own)
    assert.are.same(listed0, ip_netns_list())
    assert.are.same(listed0, netns.list())
    assert.are.equal(fd0, fds())
    assert.are.equal(where, H.thread_ns())
  end)

  it("a ping that cannot succeed (links down) is reported as a failed exit, not raised", function()
    seq = seq + 1
    local suffix = ("%d-%d"):format(os.time() % 100000, seq)
    local fd0 = fds()
    local red = netns.add("red-" .. suffix)
    local blue = netns.add("blue-" .. suffix)
    finally(function()
      red:delete()
      blue:delete()
      assert.are.equal(fd0, fds())
    end)
    red:veth("veth0", "veth1", { peer_ns = blue })
    red:addr_add("veth0", "192.168.10.1/24")
    blue:addr_add("veth1", "192.168.10.2/24")
    -- ip netns exec says the same: the ping fails
    local _, ip_ok = H.sh("ip netns exec red-" .. suffix .. " ping -c1 -W2 192.168.10.2 >/dev/null 2>&1")
    assert.is_nil(ip_ok)
    -- (a look-up that finds nothing first: what it leaves behind must not matter)
    assert.is_false(netns.exists("none-" .. suffix))
    local ok, how, code = red:exec({ "ping", "-c1", "-W2", "192.168.10.2" },
                                   { stdout = "null", stderr = "null" })
    assert.is_nil(ok)
    assert.are.equal("exit", how)
    assert.are_not.equal(0, code)
  end)
end)
