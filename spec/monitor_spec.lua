-- Events: ns:monitor, netns.monitor over many namespaces, netns.select,
-- ns:wait and `nslua --monitor`, checked against what was done and against
-- what `ip -j` reads back.
local H = require "helper"
local netns = require "netns"
local core = require "netns.core"

-- Every event queued or arriving within @quiet seconds of the last one.
local function drain(m, quiet)
  local out = {}
  for ev in m:events(quiet or 0.3) do out[#out + 1] = ev end
  return out
end

-- "kind event key" for each event, where @key names the object; repeats
-- of the line before are left out.
local function summary(events)
  local out = {}
  for _, ev in ipairs(events) do
    local what = ev.cidr or ev.dst or ev.ifname or (ev.priority and tostring(ev.priority))
    local line = ("%s %s %s"):format(ev.kind, ev.event, tostring(what))
    -- a change of state is reported again under the same name: once is enough here
    if out[#out] ~= line then out[#out + 1] = line end
  end
  return out
end

-- The events of @events for which @pred holds.
local function only(events, pred)
  local out = {}
  for _, ev in ipairs(events) do
    if pred(ev) then out[#out + 1] = ev end
  end
  return out
end

describe("ns:monitor", function()
  local a, b
  before_each(function()
    a, b = netns.new(), netns.new()
  end)
  after_each(function()
    a:close()
    b:close()
  end)

  it("reports link events in order, with the fields of ns:links()", function()
    local m <close> = a:monitor { "link" }
    a:veth("v0", "v1", { peer_ns = b })
    a:link_set("v0", { mtu = 1400 })
    a:link_set("v0", { name = "w0" })
    a:link_del("w0")
    local events = drain(m)
    local names = {}
    for _, ev in ipairs(events) do
      assert.are.equal("link", ev.kind)
      assert.are.equal(a, ev.ns)
      if names[#names] ~= ev.event .. " " .. ev.ifname then
        names[#names + 1] = ev.event .. " " .. ev.ifname
      end
    end
    assert.are.same({ "new v0", "new w0", "del w0" }, names)
    -- the change of mtu was reported with the new value, before the rename
    local mtus = {}
    for _, ev in ipairs(events) do
      if ev.ifname == "v0" then mtus[#mtus + 1] = ev.mtu end
    end
    assert.are.equal(1500, mtus[1])
    assert.are.equal(1400, mtus[#mtus])
    -- a record carries what the listing does; the link's own kind is info_kind
    local last_new = only(events, function(ev) return ev.event == "new" end)
    last_new = last_new[#last_new]
    assert.are.equal("veth", last_new.info_kind)
    assert.are.equal(0, last_new.link_netnsid)
    assert.is_number(last_new.ifindex)
  end)

  it("reports addresses and the routes the kernel adds for them", function()
    a:veth("v0", "v1", { peer_ns = b })
    local m <close> = a:monitor { "addr", "route" }
    a:addr_add("v0", "10.7.0.1/24")
    a:link_set("v0", { up = true })
    a:route_add { dst = "10.8.0.0/16", gateway = "10.7.0.2" }
    a:route_del { dst = "10.8.0.0/16" }
    a:addr_del("v0", "10.7.0.1/24")
    local events = drain(m)
    local addrs = only(events, function(ev) return ev.kind == "addr" and ev.family == "inet" end)
    assert.are.same({ "addr new 10.7.0.1/24", "addr del 10.7.0.1/24" }, summary(addrs))
    assert.are.equal("v0", addrs[1].ifname)
    assert.are.equal("global", addrs[1].scope)
    -- events print as the records of the listings do
    assert.are.equal("10.7.0.1/24 dev v0", tostring(addrs[1]))
    local routes = only(events, function(ev)
      return ev.kind == "route" and ev.table == "main" and ev.family == "inet"
    end)
    assert.are.same({ "route new 10.7.0.0/24", "route new 10.8.0.0/16",
                      "route del 10.8.0.0/16", "route del 10.7.0.0/24" }, summary(routes))
    assert.are.equal("10.7.0.2", routes[2].gateway)
    assert.are.equal("v0", routes[2].dev)
    assert.are.equal("kernel", routes[1].protocol)
  end)

  it("reports neighbours and rules", function()
    a:veth("v0", "v1", { peer_ns = b })
    local m <close> = a:monitor { "neigh", "rule" }
    a:neigh_add { dst = "10.7.0.9", lladdr = "02:00:00:00:00:09", dev = "v0" }
    a:neigh_del { dst = "10.7.0.9", dev = "v0" }
    a:rule_add { from = "10.7.0.0/24", table = 100, priority = 1000 }
    a:rule_del { priority = 1000 }
    local events = drain(m)
    assert.are.same({ "neigh new 10.7.0.9", "neigh del 10.7.0.9",
                      "rule new 1000", "rule del 1000" }, summary(events))
    assert.are.equal("02:00:00:00:00:09", events[1].lladdr)
    assert.are.same({ "PERMANENT" }, events[1].state)
    assert.are.equal("v0", events[1].dev)
    local rule = only(events, function(ev) return ev.kind == "rule" end)[1]
    assert.are.same({ 100, "10.7.0.0", 24 }, { rule.table, rule.src, rule.srclen })
    -- an entry in no state: its record has none, and nslua --monitor's line shows none
    H.sh(H.inside(a) .. "ip neigh add 10.7.0.8 dev v0 nud none")
    local none = drain(m)[1]
    assert.are.same({ "10.7.0.8", nil }, { none.dst, none.state })
    assert.are.equal("10.7.0.8 dev v0 ", require("netns.events").format(none))
    -- lines for a rule made by a protocol and a route via a gateway of the other family,
    -- as ip monitor prints them (a tab after the priority; no "proto boot")
    H.sh(H.inside(a) .. "ip rule add pref 1001 table 101 proto static")
    a:link_set("v0", { up = true })
    H.sh(H.inside(a) .. "ip route add 10.12.0.0/24 via inet6 fe80::1 dev v0")
    local m2 <close> = a:monitor { "route" }
    H.sh(H.inside(a) .. "ip route add 10.13.0.0/24 via inet6 fe80::2 dev v0")
    local lines = {}
    for _, ev in ipairs(drain(m)) do lines[#lines + 1] = require("netns.events").format(ev) end
    for _, ev in ipairs(drain(m2)) do lines[#lines + 1] = require("netns.events").format(ev) end
    assert.are.same({ "1001:\tfrom all lookup 101 proto static", "10.13.0.0/24 via inet6 fe80::2 dev v0" },
      { lines[1], lines[#lines] })
  end)

  it("watches every kind when none is named, with or without options", function()
    for _, kinds in ipairs { {}, { rcvbuf = 1 << 20 } } do
      local m <close> = a:monitor(kinds)
      assert.are.same({ "link", "addr", "route", "neigh", "rule" }, m.kinds)
      a:link_add { name = "br9", kind = "bridge" }
      a:rule_add { priority = 900, table = 9 }
      local got = summary(drain(m))
      assert.truthy(got[1] == "link new br9", got[1])
      assert.are.equal("rule new 900", got[#got])
      a:link_del("br9")
      a:rule_del { priority = 900 }
    end
  end)

  it("watches only the kinds asked for, and gives nil when nothing comes", function()
    local m <close> = a:monitor { "addr" }
    a:link_add { name = "br0", kind = "bridge" }
    assert.is_nil(m:next(0.2))
    assert.is_nil(m:next(0))
  end)

  it("names devices as they are named now, and as they were named when deleted", function()
    a:link_add { name = "br0", kind = "bridge" }
    local m <close> = a:monitor { "addr" }
    a:link_set("br0", { name = "br1" })
    a:addr_add("br1", "10.8.0.1/24")
    a:link_del("br1")
    local events = drain(m)
    assert.is_true(#events >= 2, #events)
    for _, ev in ipairs(events) do
      assert.are.equal("addr", ev.kind)
      assert.are.equal("br1", ev.ifname)
    end
    assert.are.equal("del", events[#events].event)
  end)

  it("names a device that appeared before the monitor saw any link event", function()
    a:veth("v0", "v1", { peer_ns = b })
    local m <close> = a:monitor { "addr" }
    a:addr_add("v0", "10.7.0.1/24")
    local ev = m:next(1)
    assert.are.equal("v0", ev.ifname)
  end)

  it("hands its socket to an application's own poll loop", function()
    local m <close> = a:monitor { "link" }
    assert.are.equal(m.fd, m:fds()[1])
    assert.is_nil(core.wait_readable({ m.fd }, 0))
    a:link_add { name = "br0", kind = "bridge" }
    assert.are.equal(1, core.wait_readable({ m.fd }, 1))
    assert.are.equal("br0", m:next(0).ifname)
  end)

  it("returns as soon as an event comes, not at the timeout", function()
    local m <close> = a:monitor { "link" }
    local p = a:spawn { "sh", "-c", "sleep 0.2; ip link add br7 type bridge" }
    local t0 = core.monotonic()
    local ev = m:next(5)
    local took = core.monotonic() - t0
    p:wait()
    assert.are.equal("br7", ev.ifname)
    assert.is_true(took < 2, "took " .. took)
  end)

  it("leaves no descriptor open once closed, and refuses use after", function()
    local before = H.fd_count()
    do
      local m <close> = a:monitor()
      a:link_add { name = "br0", kind = "bridge" }
      assert.is_table(m:next(1))
    end
    local m = a:monitor { "link" }
    m:close()
    assert.are.equal(before, H.fd_count())
    H.raises("attempt to use a closed monitor", m.next, m, 0)
    assert.are.equal("netns.monitor (closed)", tostring(m))
    -- its numbers may be another file's now: it gives none
    assert.is_nil(m.fd)
    H.raises("attempt to use a closed monitor", m.fds, m)
    m:close()   -- twice is harmless
  end)

  it("reports no link event for a port leaving its bridge: the port is still there", function()
    local ns <close> = netns.new()
    ns:veth("d2", "p2")
    ns:link_add { name = "br0", kind = "bridge" }
    local m <close> = ns:monitor { "link" }
    ns:link_set("d2", { master = "br0" })
    ns:link_set("d2", { master = false })
    local evs = drain(m)
    assert.are.same({}, only(evs, function(ev) return ev.event == "del" end))
    for _, ev in ipairs(evs) do assert.truthy(ev.qdisc, ev.ifname) end   -- whole link records only
    for _, t in ipairs { 0 / 0, math.huge } do
      H.raises(("bad argument #1 to 'next' (timeout in seconds expected, got %s)"):format(t), m.next, m, t)
    end
  end)

  it("rejects bad arguments with a clear message and opens nothing", function()
    local before, here = H.fd_count(), H.thread_ns()
    H.raises("bad argument #1 to 'monitor' (unknown event kind 'lnk' (link, addr, route, " ..
      "neigh or rule))", a.monitor, a, { "lnk" })
    H.raises("bad argument #1 to 'monitor' (event kind #1 must be a string)", a.monitor, a, { 1 })
    H.raises("bad argument #1 to 'monitor' (table expected, got string)", a.monitor, a, "link")
    H.raises("bad argument #1 to 'monitor' (unknown option 'rcvbuff')",
      a.monitor, a, { "link", rcvbuff = 10 })
    H.raises("bad argument #1 to 'monitor' (option 'rcvbuf' out of range (1 to 1073741824))",
      a.monitor, a, { "link", rcvbuf = 0 })
    H.raises("bad argument #1 to 'monitor' (option 'rcvbuf' must be an integer, got string)",
      a.monitor, a, { "link", rcvbuf = "big" })
    local m <close> = a:monitor { "link" }
    H.raises("bad argument #1 to 'next' (timeout in seconds expected, got string)", m.next, m, "1")
    H.raises("bad argument #1 to 'next' (timeout in seconds expected, got -1)", m.next, m, -1)
    H.raises("bad argument #1 to 'events' (timeout in seconds expected, got table)",
      m.events, m, {})
    assert.are.equal(before + 1, H.fd_count())
    assert.are.equal(here, H.thread_ns())
    local c = netns.new()
    c:close()
    H.raises(H.closed(c), c.monitor, c, { "link" })
    -- among others: those opened before it are closed at once, not when collected
    local others = { netns.new(), netns.new() }
    before = H.fd_count()
    collectgarbage("stop")
    H.raises(H.closed(c), netns.monitor, { others[1], others[2], c })
    local after = H.fd_count(true)
    collectgarbage("restart")
    assert.are.equal(before, after)
  end)
end)

describe("monitors of many namespaces", function()
  it("watches ten namespaces in one loop, each event naming its namespace", function()
    local list = {}
    for i = 1, 10 do list[i] = netns.new() end
    finally(function() for _, ns in ipairs(list) do ns:close() end end)
    local m <close> = netns.monitor(list, { "link" })
    for i = 10, 1, -1 do list[i]:link_add { name = "br" .. i, kind = "bridge" } end
    local seen = {}
    for ev in m:events(0.5) do
      for i, ns in ipairs(list) do
        if ns == ev.ns then
          assert.are.equal("br" .. i, ev.ifname)
          seen[i] = true
        end
      end
    end
    for i = 1, 10 do assert.is_true(seen[i], "no event from namespace " .. i) end
    assert.are.equal(10, #m:fds())
  end)

  it("netns.select returns the first monitor with an event", function()
    local a, b = netns.new(), netns.new()
    finally(function() a:close(); b:close() end)
    local ma <close> = a:monitor { "link" }
    local mb <close> = b:monitor { "link" }
    assert.is_nil(netns.select({ ma, mb }, 0.1))
    b:link_add { name = "br0", kind = "bridge" }
    local m, ev = netns.select({ ma, mb }, 2)
    assert.are.equal(mb, m)
    assert.are.equal("br0", ev.ifname)
    -- with both busy, each gets its turn
    a:link_add { name = "bra", kind = "bridge" }
    b:link_add { name = "brb", kind = "bridge" }
    local seen = {}
    for _ = 1, 2 do
      local who = netns.select({ ma, mb }, 2)
      seen[who == ma and "a" or "b"] = true
    end
    assert.are.same({ a = true, b = true }, seen)
    H.raises("bad argument #1 to 'select' (monitor expected at index 2)", netns.select, { ma, 1 })
    H.raises("bad argument #1 to 'monitor' (namespace expected at index 1, got string)",
      netns.monitor, { "a" })
  end)
end)

describe("overruns", function()
  it("name devices as they are named now, after a rename lost in one", function()
    local a = netns.new()
    finally(function() a:close() end)
    a:bridge("x0")
    a:bridge("filler")
    local m <close> = a:monitor { "link", "addr", rcvbuf = 1024 }
    for i = 1, 100 do a:link_set("filler", { mtu = 1400 + i % 2 }) end  -- fills the 1 KiB buffer
    a:link_set("x0", { name = "y0" })                                    -- its event is dropped
    local lost = drain(m, 0.2)
    assert.is_table(only(lost, function(ev) return ev.event == "overrun" end)[1])
    assert.are.same({}, only(lost, function(ev) return ev.ifname == "y0" end))
    a:addr_add("y0", "10.6.0.1/32")
    local ev = only(drain(m, 0.2), function(e) return e.kind == "addr" end)[1]
    assert.is_table(ev, "no address event")
    assert.are.equal("y0", ev.ifname)
  end)

  it("name a master whose own events were lost, by asking the kernel", function()
    local a = netns.new()
    finally(function() a:close() end)
    a:veth("v0", "v1")
    local m <close> = a:monitor { "link", rcvbuf = 1024 }
    for i = 1, 100 do a:link_set("v1", { mtu = 1400 + i % 2 }) end  -- fills the 1 KiB buffer
    a:bridge("br0")                                                  -- its events are dropped
    local lost = drain(m, 0.2)
    assert.are.equal("overrun", only(lost, function(ev) return ev.event == "overrun" end)[1].event)
    assert.are.same({}, only(lost, function(ev) return ev.ifname == "br0" end))
    a:link_set("v0", { master = "br0" })
    local ev = only(drain(m, 0.2), function(e) return e.ifname == "v0" and e.master end)[1]
    assert.is_table(ev, "no event of v0 with its master")
    assert.are.equal("br0", ev.master)
    assert.are.equal("v1", ev.link)
  end)

  it("are reported, and resync agrees with ip -j afterwards", function()
    local a = netns.new()
    finally(function() a:close() end)
    local m <close> = a:monitor { "link", "addr", rcvbuf = 1024 }
    a:link_add { name = "br0", kind = "bridge", up = true }
    for i = 1, 250 do
      a:addr_add("br0", ("10.%d.%d.1/32"):format(i // 256, i % 256))
      a:addr_add("br0", ("fd00::%x/128"):format(i), { nodad = true })
    end
    local events = drain(m, 0.2)
    local overrun = only(events, function(ev) return ev.event == "overrun" end)
    assert.is_true(#overrun >= 1, "no overrun among " .. #events .. " events")
    assert.is_nil(overrun[1].kind)
    assert.is_true(#events < 501, "all 500 changes fit a 1 KiB buffer?")
    -- after resync the state is whole and the monitor goes on
    local snap = m:resync()
    local ip = {}
    for _, l in ipairs(H.ip(a, "addr show")) do
      for _, ai in ipairs(l.addr_info) do ip[#ip + 1] = ai["local"] .. "/" .. ai.prefixlen end
    end
    local ours = {}
    for _, rec in ipairs(snap.addr) do ours[#ours + 1] = rec.cidr end
    table.sort(ip)
    table.sort(ours)
    assert.are.same(ip, ours)
    assert.are.equal(#H.ip(a, "link show"), #snap.link)
    assert.is_nil(snap.route)
    -- the monitor goes on: br1's event comes, after any the kernel still
    -- had queued; those may overrun the 1 KiB buffer again, and then a
    -- resync shows br1
    a:link_add { name = "br1", kind = "bridge" }
    local seen
    repeat
      local ev = m:next(5)
      if ev and ev.event == "overrun" then
        for _, l in ipairs(m:resync().link) do seen = seen or l.ifname == "br1" end
        break
      end
      seen = ev and ev.ifname == "br1"
    until not ev or seen
    assert.is_true(seen)
  end)
end)

describe("ns:wait", function()
  local a, b
  before_each(function()
    a, b = netns.new(), netns.new()
    a:veth("v0", "v1", { peer_ns = b })
  end)
  after_each(function()
    a:close()
    b:close()
  end)

  it("is true at once when the state already holds", function()
    local t0 = core.monotonic()
    assert.is_true(a:wait { link = "v0", operstate = "DOWN", timeout = 5 })
    assert.is_true(a:wait { link = "v9", present = false, timeout = 5 })
    assert.is_true(core.monotonic() - t0 < 1)
  end)

  it("is true as soon as a link comes up, well before the timeout", function()
    a:link_set("v0", { up = true })
    local p = b:spawn { "sh", "-c", "sleep 0.3; ip link set v1 up" }
    local t0 = core.monotonic()
    assert.is_true(a:wait { link = "v0", operstate = "UP", carrier = true, timeout = 10 })
    local took = core.monotonic() - t0
    p:wait()
    assert.is_true(took >= 0.2 and took < 3, "took " .. took)
    assert.are.equal("UP", H.ip(a, "link show v0")[1].operstate)
  end)

  it("is false on timeout", function()
    local t0 = core.monotonic()
    assert.is_false(a:wait { link = "v0", up = true, timeout = 0.3 })
    assert.is_false(a:wait { route = "10.9.0.0/24", timeout = 0.2 })
    local took = core.monotonic() - t0
    assert.is_true(took >= 0.5 and took < 2, "took " .. took)
  end)

  it("waits for an IPv6 address to pass duplicate address detection, without nodad", function()
    a:link_set("v0", { up = true })
    b:link_set("v1", { up = true })
    assert.is_true(a:wait { link = "v0", carrier = true, timeout = 5 })
    a:addr_add("v0", "fd00::1/64")
    local flags = H.ip(a, "addr show dev v0")[1].addr_info
    local tentative = false
    for _, ai in ipairs(flags) do
      if ai["local"] == "fd00::1" then tentative = ai.tentative ~= nil end
    end
    assert.is_true(tentative, "the address should start tentative")
    assert.is_true(a:wait { addr = "fd00::1", settled = true, timeout = 10 })
    for _, ai in ipairs(H.ip(a, "addr show dev v0")[1].addr_info) do
      if ai["local"] == "fd00::1" then assert.is_nil(ai.tentative) end
    end
  end)

  it("waits for a route, a neighbour and the removal of a link", function()
    a:link_set("v0", { up = true })
    a:addr_add("v0", "10.7.0.1/24")
    local p = a:spawn { "sh", "-c", "sleep 0.2; ip route add 10.9.0.0/24 via 10.7.0.2; " ..
      "ip neigh add 10.7.0.2 lladdr 02:00:00:00:00:02 dev v0; ip link del v0" }
    assert.is_true(a:wait { route = "10.9.0.0/24", gateway = "10.7.0.2", timeout = 5 })
    assert.is_true(a:wait { link = "v0", present = false, timeout = 5 })
    p:wait()
    assert.is_true(a:wait { route = "10.7.0.1", table = "local", present = false, timeout = 1 })
  end)

  it("waits for an IPv6 /32 route, and for an address on a device still to come", function()
    a:link_set("v0", { up = true })
    local p = a:spawn { "sh", "-c", "sleep 0.2; ip route add 2001:db8::/32 dev v0; " ..
      "ip link add br5 type bridge; ip addr add 10.9.5.1/24 dev br5" }
    assert.is_true(a:wait { route = "2001:db8::/32", timeout = 5 })
    assert.is_true(a:wait { addr = "10.9.5.1/24", dev = "br5", timeout = 5 })
    p:wait()
    assert.is_true(a:wait { addr = "10.9.5.1", dev = "br5" })
    assert.is_true(a:wait { addr = "10.9.5.1", dev = "br6", present = false, timeout = 0 })
  end)

  it("finds the route that fits dev and gateway among routes to one destination", function()
    a:veth("d1", "p1")
    a:veth("d2", "p2")
    for _, d in ipairs { "d1", "d2", "p1", "p2" } do a:link_set(d, { up = true }) end
    a:route_add { dst = "10.9.0.0/24", dev = "d1", metric = 100 }
    a:route_add { dst = "10.9.0.0/24", dev = "d2", metric = 200 }
    assert.is_true(a:wait { route = "10.9.0.0/24", dev = "d2", timeout = 1 })
    assert.is_true(a:wait { route = "10.9.0.0/24", dev = "p1", present = false, timeout = 0 })
    a:addr_add("d1", "10.1.0.2/24")
    a:addr_add("d2", "fd00::2/64", { nodad = true })
    a:route_add { dst = "default", gateway = "10.1.0.1" }
    a:route_add { dst = "default", gateway = "fd00::1" }
    assert.is_true(a:wait { route = "default", gateway = "fd00::1", timeout = 1 })
    assert.is_true(a:wait { route = "default", gateway = "fd00:0::1", timeout = 1 })
    -- an IPv4 route through an IPv6 gateway has it under via
    a:route_add { dst = "10.8.0.0/24", gateway = "fd00::1" }
    assert.is_true(a:wait { route = "10.8.0.0/24", gateway = "fd00::1", timeout = 1 })
    assert.is_false(a:wait { route = "10.8.0.0/24", gateway = "fd00::1", present = false, timeout = 0.2 })
  end)

  it("finds a multipath route by any of its next hops", function()
    a:veth("m1", "q1", { up = true })
    a:veth("m2", "q2", { up = true })
    a:addr_add("m1", "10.1.0.2/24")
    a:addr_add("m2", "10.2.0.2/24")
    a:route_add { dst = "10.5.0.0/16", nexthops = { { gateway = "10.1.0.1" }, { gateway = "10.2.0.1" } } }
    assert.is_true(a:wait { route = "10.5.0.0/16", gateway = "10.2.0.1", timeout = 1 })
    assert.is_true(a:wait { route = "10.5.0.0/16", dev = "m1", timeout = 1 })
    assert.is_true(a:wait { route = "10.5.0.0/16", dev = "m2", gateway = "10.2.0.1", timeout = 1 })
    assert.is_true(a:wait { route = "10.5.0.0/16", dev = "m1", gateway = "10.2.0.1", present = false,
                            timeout = 0 })
  end)

  it("waits for a neighbour in no state", function()
    a:neigh_add { dst = "10.0.0.5", dev = "v0", state = "none" }
    assert.is_true(a:wait { neigh = "10.0.0.5", state = "NONE", timeout = 1 })
    assert.is_false(a:wait { neigh = "10.0.0.5", state = "PERMANENT", timeout = 0.2 })
  end)

  it("takes IPv6 addresses however they are written", function()
    a:link_set("v0", { up = true })
    a:addr_add("v0", "fd00:0::5/64", { nodad = true })
    assert.is_true(a:wait { addr = "fd00:0::5", timeout = 1 })
    assert.is_true(a:wait { addr = "fd00::5/64", timeout = 1 })
    a:neigh_add { dst = "fd00:0::9", lladdr = "02:00:00:00:00:09", dev = "v0" }
    assert.is_true(a:wait { neigh = "fd00:0:0::9", timeout = 1 })
  end)

  it("rejects bad conditions with a clear message", function()
    local before = H.fd_count()
    for _, t in ipairs { 0 / 0, -1, math.huge, 1e12 } do
      H.raises(("bad argument #1 to 'wait' (timeout in seconds expected, got %s)"):format(t),
        a.wait, a, { link = "v0", timeout = t })
    end
    H.raises("bad argument #1 to 'wait' (table expected, got string)", a.wait, a, "v0")
    H.raises("bad argument #1 to 'wait' (invalid table \"bogus\")", a.wait, a,
      { route = "10.9.0.0/24", table = "bogus" })
    H.raises("bad argument #1 to 'wait' (one of link, addr, route, neigh expected)",
      a.wait, a, { timeout = 1 })
    H.raises("bad argument #1 to 'wait' (one of link, addr, route, neigh expected)",
      a.wait, a, { link = "v0", addr = "10.0.0.1" })
    H.raises("bad argument #1 to 'wait' (unknown option 'operstat')",
      a.wait, a, { link = "v0", operstat = "UP" })
    H.raises("bad argument #1 to 'wait' (option 'up' must be a boolean)",
      a.wait, a, { link = "v0", up = "yes" })
    H.raises("bad argument #1 to 'wait' (option 'link' must be a string)", a.wait, a, { link = 2 })
    H.raises("bad argument #1 to 'wait' (timeout in seconds expected, got string)",
      a.wait, a, { link = "v0", timeout = "1" })
    -- values nothing could match: raised at once, not waited on until the timeout
    local bad = "bad argument #1 to 'wait' (option '%s': invalid address \"%s\": %s)"
    for _, case in ipairs {
      { { addr = "not-an-address" }, bad:format("addr", "not-an-address", "not an IPv4 or IPv6 address") },
      { { route = "10.0.0.0/99" }, bad:format("route", "10.0.0.0/99", "prefix length must be 0 to 32") },
      { { route = "10.0.0.0/8", gateway = "nope" }, bad:format("gateway", "nope", "not an IPv4 or IPv6 address") },
      { { neigh = "10.0.0.300" }, bad:format("neigh", "10.0.0.300", "not an IPv4 or IPv6 address") },
      { { link = "a b" },
        "bad argument #1 to 'wait' (invalid interface name \"a b\": must not contain '/', ':' or white space)" },
      { { link = "v0", operstate = "BOGUS" }, "bad argument #1 to 'wait' (option 'operstate' must be one of " ..
        "UNKNOWN, NOTPRESENT, DOWN, LOWERLAYERDOWN, TESTING, DORMANT, UP, got \"BOGUS\")" },
      { { neigh = "10.0.0.1", state = "bogus" }, "bad argument #1 to 'wait' (option 'state' must be one of " ..
        "INCOMPLETE, REACHABLE, STALE, DELAY, PROBE, FAILED, NOARP, PERMANENT, NONE, got \"bogus\")" },
    } do
      case[1].timeout = 30
      H.raises(case[2], a.wait, a, case[1])
    end
    assert.are.equal(before, H.fd_count())
  end)
end)

describe("nslua --monitor", function()
  local nslua = H.nslua

  -- Runs nslua --monitor on @args, makes @changes once it listens, stops
  -- it with SIGINT once it has printed them.  No fixed sleeps: under
  -- valgrind nslua takes seconds to start.  It listens once a change of
  -- lo's mtu in mon-a shows (the first poke it sees); it has printed
  -- everything once the final mtu 65000 of lo shows for every namespace.
  local function watch(args, changes)
    local out = os.tmpname()
    finally(function() os.remove(out) end)
    local spaces = select(2, args:gsub("mon%-", ""))
    H.sh(("%s --monitor %s > %s 2>&1 & pid=$!; i=0; " ..
      "while [ ! -s %s ] && [ $i -lt 1200 ]; do " ..
      "ip -n mon-a link set lo mtu $((60000 + i)); sleep 0.05; i=$((i + 1)); done; " ..
      "%s; for ns in mon-a mon-b; do ip -n $ns link set lo mtu 65000; done; " ..
      "i=0; while [ $(grep -c 65000 %s) -lt %d ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done; " ..
      "kill -INT $pid; wait $pid; echo $? >> %s"):format(nslua, args, out, out, changes, out, spaces, out))
    local f = assert(io.open(out))
    local text = f:read("a")
    f:close()
    return text
  end

  before_each(function()
    H.sh("ip netns add mon-a; ip netns add mon-b")
  end)
  after_each(function()
    H.sh("ip netns del mon-a; ip netns del mon-b")
  end)

  it("prints events as lines, naming the namespace when it watches several", function()
    local text = watch("mon-a mon-b", "ip -n mon-a link add br0 type bridge; " ..
      "ip -n mon-b addr add 10.5.0.1/32 dev lo; ip -n mon-a rule add from 10.1.0.0/16 table 7 pref 900")
    assert.truthy(text:find("%[mon%-a%] %d+: br0: <BROADCAST,MULTICAST> mtu 1500 state DOWN"), text)
    assert.truthy(text:find("[mon-b] 1: lo    inet 10.5.0.1/32 scope global", 1, true), text)
    assert.truthy(text:find("[mon-a] 900:\tfrom 10.1.0.0/16 lookup 7", 1, true), text)
    -- stopped by SIGINT as a user stops it: no error text, status 130
    assert.truthy(text:match("\n130\n$"), text)
    assert.falsy(text:find("interrupted", 1, true), text)
  end)

  it("prints JSON objects with --json", function()
    local json = require "dkjson"
    local text = watch("--json mon-a", "ip -n mon-a link add br0 type bridge; ip -n mon-a link del br0")
    local events = {}
    for line in text:gmatch("[^\n]+") do
      if line:sub(1, 1) == "{" then events[#events + 1] = assert(json.decode(line)) end
    end
    local br0 = {}
    for _, e in ipairs(events) do
      if e.ifname == "br0" then br0[#br0 + 1] = e end
    end
    assert.is_true(#br0 >= 2, text)
    assert.are.same({ "link", "new", "br0", "mon-a" },
      { br0[1].kind, br0[1].event, br0[1].ifname, br0[1].netns })
    assert.are.same({ "link", "del", "br0" }, { br0[#br0].kind, br0[#br0].event, br0[#br0].ifname })
  end)

  it("names a namespace that does not exist, or a bad name, in one line", function()
    local out, ok = H.sh(nslua .. " --monitor mon-a mon-none 2>&1")
    assert.is_nil(ok)
    assert.are.equal(nslua .. ": netns: netns open mon-none: No such file or directory [ENOENT]\n", out)
    out, ok = H.sh(nslua .. " --monitor '' 2>&1")
    assert.is_nil(ok)
    assert.are.equal(nslua .. ": bad argument #1 to 'open' (invalid namespace name \"\": must not be empty)\n", out)
  end)
end)
