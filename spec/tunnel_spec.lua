-- Topologies across machines: t:link(a, b, { vxlan = ... }) joins a host
-- here to a host on another machine.  Two machines are simulated by two
-- namespaces joined by an underlay veth; each runs its own part of the
-- topology, as two machines running one script split in two would.
local H = require "helper"
local netns = require "netns"

-- Two "machines" with underlay addresses 192.168.50.1 and .2 on u0.
local function machines()
  local m1, m2 = netns.new(), netns.new()
  m1:veth("u0", "u0", { peer_ns = m2, up = true })
  m1:addr_add("u0", "192.168.50.1/24")
  m2:addr_add("u0", "192.168.50.2/24")
  return m1, m2
end

local function tunnel(id, here, there, m)
  return { id = id, remote = "192.168.50." .. there, ["local"] = "192.168.50." .. here,
           dev = "u0", underlay = m }
end

local function link_names(ns)
  local out = {}
  for _, l in ipairs(ns:links()) do out[#out + 1] = l.ifname end
  table.sort(out)
  return out
end

describe("links to hosts on other machines", function()
  local m1, m2
  before_each(function() m1, m2 = machines() end)
  after_each(function()
    m1:close()
    m2:close()
  end)

  it("carry traffic between the two parts of one topology", function()
    local t1 <close> = netns.topology { prefix = "tm1-" }
    local h1 = t1:host "h1"
    local e1, none = t1:link(h1, "h2", { addrs = { "10.60.0.1/24" }, vxlan = tunnel(42, 1, 2, m1) })
    assert.is_nil(none)
    local t2 <close> = netns.topology { prefix = "tm2-" }
    local h2 = t2:host "h2"
    local nothing, e2 = t2:link("h1", h2, { addrs = { nil, "10.60.0.2/24" }, vxlan = tunnel(42, 2, 1, m2) })
    assert.is_nil(nothing)
    -- each end is named and addressed as in a one-machine topology
    assert.are.same({ "h1-eth0", "h2-eth0" }, { e1.ifname, e2.ifname })
    local dev = H.ip(h1, "-d link show h1-eth0")[1]
    assert.are.equal("vxlan", dev.linkinfo.info_kind)
    assert.are.equal(42, dev.linkinfo.info_data.id)
    assert.are.equal("192.168.50.2", dev.linkinfo.info_data.remote)
    assert.are.equal(4789, dev.linkinfo.info_data.port)
    assert.are.equal("10.60.0.1", H.ip(h1, "addr show h1-eth0")[1].addr_info[1]["local"])
    -- the hosts are joined by nothing but the tunnel, over the underlay
    local before = H.ip(m1, "-s link show u0")[1].stats64.tx.packets
    assert.is_true(t1:ping(h1, "10.60.0.2", { timeout = 3 }))
    assert.is_true(t2:ping(h2, "10.60.0.1", { timeout = 3 }))
    assert.is_true(H.ip(m1, "-s link show u0")[1].stats64.tx.packets > before)
    -- the underlays keep nothing of it, and after teardown neither do the pins
    assert.are.same({ "lo", "u0" }, link_names(m1))
    assert.are.same({ "lo", "u0" }, link_names(m2))
    t1:destroy()
    t2:destroy()
    assert.are.same({}, netns.list())
    assert.are.same({ "lo", "u0" }, link_names(m1))
  end)

  it("do not mind a device of the same name in the underlay", function()
    m1:link_add { name = "h1-eth0", kind = "bridge" }
    local t <close> = netns.topology { prefix = "tm1-" }
    local e = t:link(t:host "h1", "h2", { vxlan = tunnel(5, 1, 2, m1) })
    assert.are.equal("h1-eth0", e.ifname)
    assert.are.same({ "h1-eth0", "lo", "u0" }, link_names(m1))
  end)

  it("are listed and drawn as reaching another machine", function()
    local t <close> = netns.topology { prefix = "tm1-" }
    t:link(t:host "h1", "far", { names = { "tun0" }, vxlan = tunnel(7, 1, 2, m1) })
    assert.are.same({ { a = "h1", b = "far", names = { "tun0" }, addrs = {},
                        vxlan = { id = 7, remote = "192.168.50.2" } } }, t:links())
    assert.are.same({ "h1" }, { t:hosts()[1].name, t:hosts()[2] })
    local dot = t:dot()
    assert.truthy(dot:find('"far" [shape=box, style=dashed];', 1, true), dot)
    assert.truthy(dot:find('"h1" -- "far" [taillabel="tun0", headlabel="", style=dashed, label="vxlan 7"];',
      1, true), dot)
  end)

  it("are made by netns.build too", function()
    local t1 <close> = netns.build { prefix = "tm1-", hosts = { h1 = {} },
      links = { { "h1", "h2", addrs = { "10.61.0.1/24" }, vxlan = tunnel(9, 1, 2, m1) } } }
    local t2 <close> = netns.build { prefix = "tm2-", hosts = { h2 = {} },
      links = { { "h1", "h2", addrs = { nil, "10.61.0.2/24" }, vxlan = tunnel(9, 2, 1, m2) } } }
    assert.is_true(t1:ping("h1", "10.61.0.2", { timeout = 3 }))
    assert.is_true(t2:ping("h2", "10.61.0.1", { timeout = 3 }))
  end)

  it("that fail leave nothing in the underlay or the host", function()
    local t <close> = netns.topology { prefix = "tm1-" }
    local h1 = t:host "h1"
    local bad = tunnel(42, 1, 2, m1)
    bad.dev = "nope0"
    H.raises("netns: link add h1-eth0 link nope0 (in <anonymous " .. m1.id .. ">): No such device [ENODEV]",
      t.link, t, h1, "h2", { vxlan = bad })
    assert.are.same({ "lo", "u0" }, link_names(m1))
    assert.are.same({ "lo" }, link_names(h1))
    -- a name taken in the host: refused, and the host's device left alone
    h1:link_add { name = "taken0", kind = "bridge" }
    local ok, err = pcall(t.link, t, h1, "h2", { names = { "taken0" }, vxlan = tunnel(42, 1, 2, m1) })
    assert.is_false(ok)
    assert.matches("netns: link add taken0 (in tm1-h1): File exists [EEXIST]", err, 1, true)
    assert.are.same({ "lo", "u0" }, link_names(m1))
    assert.are.same({ "lo", "taken0" }, link_names(h1))
    -- and the topology goes on
    t:link(h1, "h2", { names = { "tun1" }, vxlan = tunnel(43, 1, 2, m1) })
    assert.are.same({ "lo", "taken0", "tun1" }, link_names(h1))
  end)

  it("stopped by an interrupt just after the kernel made them leave nothing either", function()
    -- The interrupt comes as nslua's hook raises it, at the first line run
    -- after the kernel made the device in the host.
    local target = H.topology_line("refused = ok and not added")
    local t <close> = netns.topology { prefix = "tm2-" }
    local h1 = t:host "h1"
    debug.sethook(function(_, line)
      if line == target and debug.getinfo(2, "S").source == "@netns/topology.lua" then
        debug.sethook()
        error("topology.lua:1: interrupted!")
      end
    end, "l")
    local ok, err = pcall(t.link, t, h1, "h2", { vxlan = tunnel(42, 1, 2, m1) })
    debug.sethook()
    assert.is_false(ok)
    assert.matches("interrupted!$", err)
    assert.are.same({ "lo", "u0" }, link_names(m1))
    assert.are.same({ "lo" }, link_names(h1))
  end)

  it("reject bad options before anything is made", function()
    local t <close> = netns.topology { prefix = "tm1-" }
    local h1, h3 = t:host "h1", t:host "h3"
    local function raises(msg, a, b, vx)
      H.raises(msg, t.link, t, a, b, { vxlan = vx })
    end
    raises("bad argument #3 to 'link' (option 'vxlan' must be a table, got number)", h1, "h2", 42)
    raises("bad argument #3 to 'link' (unknown vxlan option 'vni')", h1, "h2", { vni = 1 })
    raises("bad argument #3 to 'link' (vxlan option 'id' must be an integer from 0 to 16777215)",
      h1, "h2", { id = 1 << 24, remote = "192.168.50.2" })
    raises("bad argument #3 to 'link' (vxlan option 'id' must be an integer from 0 to 16777215)",
      h1, "h2", { id = "1", remote = "192.168.50.2" })
    raises("bad argument #3 to 'link' (vxlan option 'remote' must be the other machine's address)",
      h1, "h2", { id = 1 })
    raises("bad argument #3 to 'link' (a vxlan link joins a host here to one on another machine)",
      h1, h3, tunnel(1, 1, 2, m1))
    raises("bad argument #1 to 'link' (not a host or switch of this topology: x)", "x", "y", tunnel(1, 1, 2, m1))
    raises("bad argument #2 to 'link' (the host on the other machine, by name)", h1, m2, tunnel(1, 1, 2, m1))
    assert.are.same({ "lo", "u0" }, link_names(m1))
    assert.are.same({}, t:links())
  end)
end)
