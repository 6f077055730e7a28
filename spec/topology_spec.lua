-- Topologies: what they build is really there, pings really cross, and
-- nothing is left after destroy, <close>, a failed step or a failed build.
local H = require "helper"

local function netns_list()
  local names = {}
  for line in H.sh("ip netns list"):gmatch("[^\n]+") do names[#names + 1] = line:match("^(%S+)") end
  table.sort(names)
  return names
end

local function owners()
  return (H.sh("ls /run/netns-owners 2>/dev/null"))
end

describe("netns.topology", function()
  local before_fds, before_ns
  before_each(function()
    collectgarbage()
    before_fds, before_ns = H.fd_count(), H.thread_ns()
  end)
  after_each(function()
    collectgarbage()
    assert.are.same({}, netns_list())
    assert.are.equal("", owners())
    assert.are.equal(before_fds, H.fd_count())
    assert.are.equal(before_ns, H.thread_ns())
  end)

  it("builds the API's example and the ping crosses the switch", function()
    local t <close> = netns.topology { prefix = "lab-" }
    local h1, h2 = t:host "h1", t:host "h2"
    local r = t:host("r", { forward = true })
    local s = t:switch "s1"
    local e1, p1 = t:link(h1, s, { addrs = { "10.0.0.1/24" } })
    t:link(h2, s, { addrs = { "10.0.0.2/24" } })
    t:link(h1, r, { addrs = { "10.1.0.1/24", "10.1.0.2/24" } })
    h2:route_add { dst = "default", gateway = "10.0.0.1" }

    assert.are.same({ "lab-h1", "lab-h2", "lab-r", "lab-s1" }, netns_list())
    assert.are.equal("h1-eth0", e1.ifname)
    assert.are.equal("s1-eth0", p1.ifname)
    -- the switch end is a port of the bridge, as ip sees it
    local port = H.ip(s, "link show s1-eth0")[1]
    assert.are.equal("s1", port.master)
    assert.are.equal("1", r:sysctl("net.ipv4.ip_forward"))
    assert.are.equal("1", H.sh(H.inside(r) .. "cat /proc/sys/net/ipv6/conf/all/forwarding"):match("%d"))
    -- lo is up in every host
    assert.truthy(table.concat(H.ip(h1, "link show lo")[1].flags, ","):find(",UP,", 1, true))
    local ok, rtt = t:ping(h2, "10.0.0.1")
    assert.is_true(ok)
    assert.is_number(rtt)
    -- the ping binary agrees, through ip netns exec on the pin
    assert.truthy(H.sh("ip netns exec lab-h2 ping -c1 -W2 10.1.0.1"):find("1 received"))
    assert.is_false((t:ping(h1, "10.9.9.9", { timeout = 0.2, count = 1 })))
    -- t:ns gives a node's handle back by name
    assert.are.equal(h2, t:ns "h2")
    assert.are.equal(s, t:ns "s1")
    assert.is_nil(t:ns "nope")
    H.raises("bad argument #1 to 'ns' (string expected, got no value)", t.ns, t)
    H.raises("bad argument #1 to 'ns' (string expected, got userdata)", t.ns, t, h2._h)
    -- a handle opened on a host's pin names that host, as its own handle does
    local again <close> = netns.open "lab-h2"
    assert.is_true((t:ping(again, "10.0.0.1")))
    local other <close> = netns.new()
    H.raises("bad argument #1 to 'ping' (not a host or switch of this topology: " .. tostring(other) .. ")",
      t.ping, t, other, "10.0.0.1")
  end)

  it("forwards IPv4, IPv6 or both, as a host's forward option says", function()
    local t <close> = netns.topology { prefix = "f-" }
    local function forwarding(ns)
      local v4 = H.sh(H.inside(ns) .. "cat /proc/sys/net/ipv4/ip_forward"):match("%d")
      local v6 = H.sh(H.inside(ns) .. "cat /proc/sys/net/ipv6/conf/all/forwarding"):match("%d")
      return v4 .. v6
    end
    assert.are.equal("11", forwarding(t:host("both", { forward = true })))
    assert.are.equal("10", forwarding(t:host("v4", { forward = "ipv4" })))
    assert.are.equal("01", forwarding(t:host("v6", { forward = "ipv6" })))
    assert.are.equal("00", forwarding(t:host("none", { forward = false })))
    assert.are.equal("00", forwarding(t:host "plain"))
  end)

  it("build forwards as each host's forward option says, switches never", function()
    -- hosts of every kind in one build: each namespace comes out of the
    -- pool made with its own forwarding on
    local t <close> = netns.build {
      prefix = "fb-", switches = { "sw" },
      hosts = { both = { forward = true }, v4 = { forward = "ipv4" }, v6 = { forward = "ipv6" },
                none = { forward = false }, plain = true, v4b = { forward = "ipv4" } },
      links = { { "both", "sw" }, { "v4", "sw" } },
    }
    local function forwarding(name)
      local ns = t:ns(name)
      return H.sh(H.inside(ns) .. "cat /proc/sys/net/ipv4/ip_forward"):match("%d") ..
        H.sh(H.inside(ns) .. "cat /proc/sys/net/ipv6/conf/all/forwarding"):match("%d")
    end
    local want = { both = "11", v4 = "10", v4b = "10", v6 = "01", none = "00", plain = "00", sw = "00" }
    for name, v in pairs(want) do assert.are.equal(v, forwarding(name), name) end
  end)

  it("draws what it holds", function()
    local t <close> = netns.topology { prefix = "d-" }
    local a, s = t:host "a", t:switch "sw"
    t:link(a, s, { addrs = { "10.0.0.1/24" } })
    local dot = t:dot()
    assert.truthy(dot:find('"a" %[shape=box%]'))
    assert.truthy(dot:find('"sw" %[shape=ellipse%]'))
    assert.truthy(dot:find('"a" %-%- "sw" %[taillabel="a%-eth0\\n10.0.0.1/24", headlabel="sw%-eth0"%]'))
    assert.are.same({ { a = "a", b = "sw", names = { "a-eth0", "sw-eth0" }, addrs = { "10.0.0.1/24" } } },
      t:links())
    local hosts = t:hosts()
    assert.are.equal("a", hosts[1].name)
    assert.are.equal("switch", hosts[2].kind)
  end)

  it("netns.graph draws what exists, whoever made it", function()
    local t <close> = netns.topology { prefix = "g-" }
    local a, s = t:host "a", t:switch "sw"
    t:link(a, s)
    local x <close> = netns.new()
    x:veth("v0", "v1")
    -- a veth made outside the topology, with ip, between a and x
    H.sh(H.inside(a) .. "ip link add out0 type veth peer name out1 netns /proc/" ..
      H.sh("echo $PPID"):match("%d+") .. "/fd/" .. x:fileno() .. " 2>&1")
    local dot = netns.graph { a, s, x }
    assert.truthy(dot:find('subgraph cluster_1 { label="g-a";', 1, true))
    assert.truthy(dot:find('label="<anonymous ' .. x.id .. '>"', 1, true))
    -- a-eth0 (a, index 2) joins sw-eth0 (sw, index 3); the port hangs off the bridge
    assert.truthy(dot:find("n1_2 -- n2_3;", 1, true))
    assert.truthy(dot:find("n2_3 -- n2_2 [style=dashed];", 1, true))
    -- v0 and v1 in one namespace
    local v0, v1 = x:link("v0"), x:link("v1")
    local lo, hi = math.min(v0.ifindex, v1.ifindex), math.max(v0.ifindex, v1.ifindex)
    assert.truthy(dot:find(("n3_%d -- n3_%d;"):format(lo, hi), 1, true))
  end)

  it("pingall reports reachability between every pair", function()
    local t <close> = netns.build {
      prefix = "p-",
      switches = { "s" },
      hosts = { a = {}, b = {}, c = {} },
      links = { { "a", "s", addrs = { "10.0.0.1/24" } }, { "b", "s", addrs = { "10.0.0.2/24" } },
                { "c", "s", addrs = { "10.0.1.3/24" } } },
    }
    local matrix, summary = t:pingall { timeout = 0.5, count = 1 }
    assert.is_number(matrix.a["10.0.0.2"])
    assert.is_number(matrix.b["10.0.0.1"])
    assert.is_false(matrix.a["10.0.1.3"])   -- another subnet, no route
    assert.truthy(summary:find("a %-> 10.0.0.2 X"))
    assert.truthy(summary:find("%*%*%* Results: 66%% dropped %(2/6 received%)"))
  end)

  it("destroy removes everything, newest first, and twice is harmless", function()
    local t = netns.topology { prefix = "x-" }
    local a, b = t:host "a", t:host "b"
    t:link(a, b, { addrs = { "10.0.0.1/30", "10.0.0.2/30" } })
    assert.are.same({ "x-a", "x-b" }, netns_list())
    t:destroy()
    t:destroy()
    assert.are.same({}, netns_list())
    H.raises("netns: topology x- is destroyed", t.host, t, "c")
  end)

  it("destroy leaves a pin that another tool made again under the name", function()
    H.defer(finally, function() H.sh("ip netns del r-a 2>/dev/null") end)
    local t = netns.topology { prefix = "r-" }
    t:host "a"
    local before = H.sh("stat -L -c %i /run/netns/r-a")
    assert.is_true(select(2, H.sh("ip netns del r-a && ip netns add r-a")))
    assert.are_not.equal(before, H.sh("stat -L -c %i /run/netns/r-a"))
    t:destroy()
    assert.are.same({ "r-a" }, netns_list())
    H.sh("ip netns del r-a")
  end)

  it("destroy leaves the pin and owner record of a later topology that took the name", function()
    local t1 = netns.topology { prefix = "p-" }
    t1:host "a"
    assert.is_true(select(2, H.sh("ip netns del p-a")))
    local t2 = netns.topology { prefix = "p-" }
    t2:host "a"
    t1:destroy()
    assert.are.same({ "p-a" }, netns_list())
    assert.are.equal("p-a\n", owners())
    t2:ns("a"):close()   -- a closed handle's pin is found through its owner record
    t2:destroy()
  end)

  it("a destroyed topology is not kept: nothing grows with each one made", function()
    local gone = setmetatable({}, { __mode = "k" })
    local t = netns.topology { prefix = "g-" }
    t:host "a"
    t:destroy()
    gone[t] = true
    t = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.is_nil(next(gone))
  end)

  it("a failed step undoes itself and leaves the rest standing", function()
    local t <close> = netns.topology { prefix = "f-" }
    local a, b = t:host "a", t:host "b"
    t:link(a, b)
    -- refused by the kernel once the veth is made (a multicast address)...
    H.raises("netns: address add ff02::1/64 dev b-eth1 (in f-b): Cannot assign requested address [EADDRNOTAVAIL]: "
      .. 'ipv6: Cannot assign multicast address without "IFA_F_MCAUTOJOIN" flag',
      t.link, t, a, b, { addrs = { "10.0.0.1/24", "ff02::1/64" } })
    -- ... or as it is made (b has a lo already)
    H.raises("netns: link add a-eth1 (in f-a): File exists [EEXIST]: the peer name lo is taken in the peer namespace",
      t.link, t, a, b, { names = { nil, "lo" } })
    -- the veths of the failed steps are gone from both namespaces
    assert.are.equal(2, #H.ip(a, "link show"))
    assert.are.equal(2, #H.ip(b, "link show"))
    H.raises("netns: topology f-: a exists already", t.host, t, "a")
    assert.are.same({ "f-a", "f-b" }, netns_list())
    -- and the next link is numbered as if the failures never happened
    local e, p = t:link(a, b)
    assert.are.same({ "a-eth1", "b-eth1" }, { e.ifname, p.ifname })
    assert.are.equal(2, #t:links())
  end)

  it("build is all-or-nothing", function()
    local spec = {
      prefix = "b-",
      hosts = { h1 = {}, h2 = { forward = true } },
      links = { { "h1", "h2", addrs = { "10.0.0.1/24", "10.0.0.2/24" } } },
      routes = { h1 = { { dst = "10.5.0.0/16", gateway = "10.9.9.9" } } },
    }
    local ok, err = pcall(netns.build, spec)
    assert.is_false(ok)
    assert.truthy(err:find("netns: route add 10.5.0.0/16 (in b-h1): Network is unreachable [ENETUNREACH]", 1, true))
    assert.are.same({}, netns_list())
    spec.routes.h1[1].gateway = "10.0.0.2"
    local t <close> = netns.build(spec)
    assert.are.equal("10.0.0.2", H.ip(t:hosts()[1].ns, "route show 10.5.0.0/16")[1].gateway)
  end)

  it("build reports a malformed link before making anything, and leaves nothing", function()
    local fds = H.fd_count()
    for _, case in ipairs {
      { { { "h1" } }, "bad argument #1 to 'build' (links[1]: no host or switch named nil)" },
      { { { "h1", "h9" } }, "bad argument #1 to 'build' (links[1]: no host or switch named h9)" },
      { { { "h1", "h2", addrs = "10.0.0.1/24" } },
        "bad argument #1 to 'build' (links[1]: option 'addrs' must be a table, got string)" },
      { { { "h1", "h2", addrs = { 5 } } },
        "bad argument #1 to 'build' (links[1]: option 'addrs': entry 1 must be a string, got number)" },
    } do
      local ok, err = pcall(netns.build, { prefix = "m-", hosts = { h1 = {}, h2 = {} }, links = case[1] })
      assert.is_false(ok)
      assert.are.equal(case[2], err)
      assert.are.same({}, netns_list())
    end
    collectgarbage()
    assert.are.equal(fds, H.fd_count())
  end)

  it("a destroy stopped by an interrupt is taken up where it stopped", function()
    -- The interrupt comes as a hook raising "interrupted!" between two
    -- undos, as nslua's does on a second Ctrl-C during the teardown.
    local target = H.topology_line("self._undo[i] = nil")
    local t = netns.build { prefix = "i-", hosts = { h1 = {}, h2 = {}, h3 = {} },
                            links = { { "h1", "h2" }, { "h2", "h3" } } }
    local h1 = t:ns "h1"
    local seen = 0
    debug.sethook(function(_, line)
      if line == target and debug.getinfo(2, "S").source == "@netns/topology.lua" then
        seen = seen + 1
        if seen == 4 then error("interrupted!", 0) end
      end
    end, "l")
    local ok, err = pcall(t.destroy, t)
    debug.sethook()
    assert.are.same({ false, "interrupted!" }, { ok, err })
    -- stopped early: the pins went first, in one pass, but h1's handle
    -- (among the oldest undos) is still open
    assert.are.same({}, netns_list())
    assert.are.equal("lo", h1:links()[1].ifname)
    t:destroy()
    assert.has_error(function() h1:links() end)
    assert.are.same({}, netns_list())
    assert.are.equal("", owners())
  end)

  it("destroy removes the pins of hosts whose handles the script closed or deleted", function()
    local t = netns.topology { prefix = "c-" }
    local a = t:host "a"
    t:link(a, t:host "b")
    a:close()
    t:host("d"):delete()
    -- another tool makes a pin under the deleted host's name: not the topology's
    H.sh("ip netns add c-d")
    t:destroy()
    assert.are.same({ "c-d" }, netns_list())
    assert.are.equal("", owners())
    H.sh("ip netns del c-d")
  end)

  it("an interrupt inside an undo stops the destroy, and that undo runs again", function()
    -- The undo of a pin removes one that destroy's first pass over the
    -- open handles left (see fault_spec): here each handle's first unbind
    -- fails, so that pass leaves them all.
    local methods = getmetatable(netns.current()._h).__index
    local unbind, refused = methods.unbind, {}
    methods.unbind = function(h, ...)
      if refused[h] then return unbind(h, ...) end
      refused[h] = true
      return nil, "netns: netns unpin: injected", 16
    end
    finally(function() methods.unbind = unbind end)
    -- Lines of topology.lua: the undo of a pin, where it asks for the name
    -- (before the unpin) and just after the unpin, which removed the owner
    -- record with the pin (after).
    local before = H.topology_line("local open, pinned = pcall(ns._h.info, ns._h)")
    local after = H.topology_line("if not unpinned then")
    for _, at in ipairs { before, after } do
      local t = netns.build { prefix = "j-", hosts = { h1 = {}, h2 = {} }, links = { { "h1", "h2" } } }
      local hit = false
      debug.sethook(function(_, line)
        if line == at and not hit and debug.getinfo(2, "S").source == "@netns/topology.lua" then
          hit = true
          error("topology.lua:1: interrupted!")
        end
      end, "l")
      local ok, err = pcall(t.destroy, t)
      debug.sethook()
      assert.is_false(ok)
      assert.matches("interrupted!$", err)
      -- h2's pin, the newest, was being undone: it is still there
      -- (before), or gone, and its owner record with it (after)
      if at == before then
        assert.are.same({ "j-h1", "j-h2" }, netns_list())
        assert.are.equal("j-h1\nj-h2\n", owners())
      else
        assert.are.same({ "j-h1" }, netns_list())
        assert.are.equal("j-h1\n", owners())
      end
      t:destroy()   -- takes the stopped undo up again: nothing fails, nothing is left
      assert.are.same({}, netns_list())
      assert.are.equal("", owners())
    end
  end)

  it("build says what its teardown could not undo", function()
    local core = require "netns.core"
    local methods = getmetatable(netns.current()._h).__index
    local unbind = methods.unbind
    methods.unbind = function() return nil, "netns: netns unpin u-h1: injected" end
    finally(function()
      methods.unbind = unbind
      core.unpin("u-h1")
      core.disown("u-h1")
    end)
    local ok, err = pcall(netns.build, { prefix = "u-", hosts = { h1 = {} },
      routes = { h1 = { { dst = "10.5.0.0/16", gateway = "10.99.0.1" } } } })
    methods.unbind = unbind
    assert.is_false(ok)
    assert.are.equal("netns: route add 10.5.0.0/16 (in u-h1): Network is unreachable [ENETUNREACH]: "
      .. "Nexthop has invalid gateway (and then "
      .. "netns: topology u- destroy: unpin u-h1: netns: netns unpin u-h1: injected)", err)
    -- the pin it could not remove is left with its owner record, for --cleanup
    assert.are.same({ "u-h1" }, netns_list())
    assert.are.equal("u-h1\n", owners())
  end)

  it("build checks the spec's shape before making anything", function()
    local fds = H.fd_count()
    local function hosts() return { h1 = {}, h2 = true } end
    for _, case in ipairs {
      { { hosts = hosts(), link = {} }, "unknown field 'link'" },
      { { hosts = hosts(), links = { { "h1", "h2", addr = { "10.0.0.1/24" } } } },
        "links[1]: unknown field 'addr'" },
      { { hosts = hosts(), links = { "h1" } }, "links[1]: table expected, got string" },
      { { hosts = hosts(), links = { x = { "h1", "h2" } } }, "links: a list expected, found key x" },
      { { hosts = { "h1", "h2" } }, "hosts: keys are host names, found a number" },
      { { hosts = { h1 = "forward" } }, "hosts.h1: table of options or true expected, got string" },
      { { hosts = { h1 = { forward = "ip4" } } },
        'hosts.h1: option \'forward\' must be true, false, "ipv4" or "ipv6", got "ip4"' },
      { { hosts = { h1 = { route = true } } }, "hosts.h1: unknown option 'route'" },
      { { hosts = hosts(), switches = "s1" }, "switches: table expected, got string" },
      { { hosts = hosts(), switches = { 1 } }, "switches[1]: a name expected, got number" },
      { { hosts = hosts(), routes = { h3 = {} } }, "routes: no host or switch named h3" },
      { { hosts = hosts(), routes = { h1 = "default" } }, "routes.h1: table expected, got string" },
    } do
      case[1].prefix = "m-"
      local ok, err = pcall(netns.build, case[1])
      assert.is_false(ok)
      assert.are.equal("bad argument #1 to 'build' (" .. case[2] .. ")", err)
      assert.are.same({}, netns_list())
    end
    assert.are.equal(fds, H.fd_count())
  end)

  it("build checks the spec's values before making anything, and says which entry is wrong", function()
    -- Nothing is made: no namespace is asked for, so no pin is left either.
    local closed = netns.new()
    closed:close()
    local lib, asked = require "netns", 0
    local new, new_many = lib.new, lib.new_many
    lib.new = function(...) asked = asked + 1; return new(...) end
    lib.new_many = function(...) asked = asked + 1; return new_many(...) end
    finally(function() lib.new, lib.new_many = new, new_many end)
    local fds = H.fd_count()
    local function hosts() return { h1 = {}, h2 = true } end
    local function link(opts)
      local l = { "h1", "h2" }
      for k, v in pairs(opts) do l[k] = v end
      return { hosts = hosts(), links = { { "h1", "h2" }, l } }
    end
    local function vxlan(vx, a, b)
      vx.id, vx.remote = vx.id or 5, vx.remote or "192.168.50.2"
      return { hosts = hosts(), links = { { a or "h1", b or "far", vxlan = vx } } }
    end
    local long = ("p"):rep(250)
    for _, case in ipairs {
      { { prefix = 5, hosts = hosts() }, "prefix must be a string without '/' or NUL" },
      { { hosts = { ["a b"] = {} } }, 'hosts: invalid node name "a b"' },
      { { prefix = long, hosts = { host12 = {} } },
        'hosts.host12: invalid pin name "' .. long .. 'host12": longer than 255 bytes' },
      { { hosts = { h1 = { lo = "no" } } }, "hosts.h1: option 'lo' must be a boolean, got string" },
      { { hosts = hosts(), switches = { "s1", "a b" } }, 'switches[2]: invalid node name "a b"' },
      { { hosts = hosts(), switches = { "h1" } }, "switches[1]: a host or switch named h1 exists already" },
      { link { addrs = { "10.0.0.1/24", "10.0.0.300/24" } },
        'links[2]: option \'addrs\': entry 2: invalid CIDR "10.0.0.300/24": not an IPv4 or IPv6 address' },
      { link { names = { "a b" } }, 'links[2]: option \'names\': entry 1: invalid interface name "a b": '
        .. "must not contain '/', ':' or white space" },
      { link { names = { nil, ("x"):rep(16) } }, "links[2]: option 'names': entry 2: invalid interface name "
        .. '"xxxxxxxxxxxxxxxx": longer than 15 bytes' },
      { link { mtu = 10 }, "links[2]: option 'mtu' out of range (68 to 4294967295)" },
      { link { mtu = "big" }, "links[2]: option 'mtu' must be an integer, got string" },
      { link { rate = "fast" }, 'links[2]: option \'rate\': invalid rate "fast" (e.g. "10mbit")' },
      { link { vxlan = 5 }, "links[2]: option 'vxlan' must be a table, got number" },
      { vxlan { port = 70000 }, "links[1]: vxlan option 'port' out of range (0 to 65535)" },
      { vxlan { remote = "192.168.50.256" },
        'links[1]: vxlan option \'remote\': invalid address "192.168.50.256": not an IPv4 or IPv6 address' },
      { vxlan { dev = "a b" }, 'links[1]: vxlan option \'dev\': invalid interface name "a b": '
        .. "must not contain '/', ':' or white space" },
      { vxlan { underlay = "h1" }, "links[1]: vxlan option 'underlay' must be a namespace handle, got string" },
      { vxlan { underlay = closed }, ("links[1]: vxlan option 'underlay' is a closed namespace handle "
        .. "(<anonymous %d>)"):format(closed.id) },
      { link { names = { "x", "y", "z" } }, "links[2]: option 'names' holds one entry for each end (1 and 2), not 3" },
      { link { addrs = { x = "bogus" } },
        'links[2]: option \'addrs\' holds one entry for each end (1 and 2), not "x"' },
      { vxlan({}, "h1", "h2"), "links[1]: a vxlan link joins a host here to one on another machine" },
      { vxlan({}, "h1", ""), "links[1]: the host on the other machine must be named, got " },
      { { hosts = hosts(), routes = { h1 = { { dst = "10.0.0.0/99" } } } },
        'routes.h1[1]: invalid destination "10.0.0.0/99": prefix length must be 0 to 32' },
      { { hosts = hosts(),
          routes = { h2 = { { dst = "default", dev = "lo" }, { dst = "10.1.0.0/16", gateway = "10.0.0.0/24" } } } },
        'routes.h2[2]: invalid address "10.0.0.0/24": not a single address' },
      { { hosts = hosts(), routes = { h1 = { "default" } } }, "routes.h1[1]: table expected, got string" },
      { { hosts = hosts(), routes = { h1 = { { dst = "10.9.0.0/16", dev = "lo", missing_ok = true } } } },
        "routes.h1[1]: unknown option 'missing_ok'" },
      { { hosts = hosts(), routes = { h1 = { { dst = "10.9.0.0/16", dev = "lo", exist_ok = 1 } } } },
        "routes.h1[1]: option 'exist_ok' must be a boolean, got number" },
      { { hosts = hosts(), routes = { h1 = { { gateway = "10.0.0.1" } } } }, "routes.h1[1]: option 'dst' is required" },
    } do
      case[1].prefix = case[1].prefix or "v-"
      local ok, err = pcall(netns.build, case[1])
      assert.is_false(ok)
      assert.are.equal("bad argument #1 to 'build' (" .. case[2] .. ")", err)
      assert.are.equal(0, asked, case[2])
      assert.are.same({}, netns_list())
    end
    assert.are.equal(fds, H.fd_count())
  end)

  it("build sends one request per link and one batch per namespace", function()
    -- 10 pairs, each end addressed, lo up everywhere, a route in every a<i>:
    -- 10 veths, and 20 batches (lo, the end up, its address, the route),
    -- each pair's two sent as soon as its veth is made.
    local dir = os.tmpname()
    H.defer(finally, function() os.remove(dir) end)
    local script = [[
      local spec = { prefix = "rt-", hosts = {}, links = {}, routes = {} }
      for i = 1, 10 do
        spec.hosts["a" .. i], spec.hosts["b" .. i] = {}, {}
        spec.links[i] = { "a" .. i, "b" .. i, addrs = { "10.0." .. i .. ".1/24", "10.0." .. i .. ".2/24" } }
        spec.routes["a" .. i] = { { dst = "10.9." .. i .. ".0/24", gateway = "10.0." .. i .. ".2" } }
      end
      local t = netns.build(spec)
      for _, h in ipairs(t:hosts()) do
        for _, r in ipairs(h.ns:routes()) do
          if r.gateway then io.write(r.dst, " via ", r.gateway, "\n") end
        end
      end
      t:destroy()
    ]]
    local out = H.sh(("env LD_PRELOAD=%s/build/fault_shim.so NETNS_FAULT_LOG=%s %s -e %s 2>&1")
      :format(H.root, dir, H.nslua, H.quote(script)))
    local sends = 0
    for line in io.lines(dir) do
      if line == "sendto" then sends = sends + 1 end
    end
    local want = {}
    for i = 1, 10 do want[#want + 1] = ("10.9.%d.0/24 via 10.0.%d.2"):format(i, i) end
    local got = {}
    for line in out:gmatch("[^\n]+") do got[#got + 1] = line end
    table.sort(want)
    table.sort(got)
    assert.are.same(want, got)
    -- then the spec's 20 route listings, and the wait for the links to be
    -- up: a look at each of the 20 ends (one end a namespace), and, while
    -- one is not up yet, a subscription (a link dump), a look, and a look
    -- after each event
    local wait = sends - 10 - 20 - 20
    assert.is_true(wait >= 20 and wait <= 30, ("%d sends to wait for the links"):format(wait))
    assert.are.same({}, netns_list())
  end)

  it("rate shapes both ends with a token bucket", function()
    local t <close> = netns.topology { prefix = "r-" }
    local a, b = t:host "a", t:host "b"
    t:link(a, b, { addrs = { "10.0.0.1/24", "10.0.0.2/24" }, rate = "10mbit" })
    for _, side in ipairs { { a, "a-eth0" }, { b, "b-eth0" } } do
      local json = require "dkjson"
      local q = json.decode((H.sh(H.inside(side[1]) .. "tc -j qdisc show dev " .. side[2])))[1]
      assert.are.equal("tbf", q.kind)
      assert.are.equal(1250000, q.options.rate)   -- bytes per second
    end
    H.raises('bad argument #2 to \'shape\' (invalid rate "fast" (e.g. "10mbit"))', a.shape, a, "a-eth0", "fast")
    H.raises("netns: qdisc add nope tbf (in r-a): No such device [ENODEV]", a.shape, a, "nope", "1mbit")
  end)

  it("names must be valid and nodes known", function()
    local t <close> = netns.topology { prefix = "n-" }
    H.raises('bad argument #1 to \'host\' (invalid node name "a/b")', t.host, t, "a/b")
    H.raises("bad argument #2 to 'host' (unknown option 'color')", t.host, t, "a", { color = 1 })
    H.raises("bad argument #2 to 'host' (option 'forward' must be true, false, \"ipv4\" or \"ipv6\", got 4)",
      t.host, t, "a", { forward = 4 })
    local a = t:host "a"
    H.raises("bad argument #2 to 'link' (not a host or switch of this topology: zz)", t.link, t, a, "zz")
    H.raises("bad argument #3 to 'link' (unknown option 'speed')", t.link, t, a, a, { speed = 1 })
    H.raises("bad argument #2 to 'host' (table expected, got number)", t.host, t, "b", 5)
    H.raises("bad argument #3 to 'link' (table expected, got string)", t.link, t, a, a, "x")
    H.raises("bad argument #3 to 'link' (option 'addrs': entry 1 must be a string, got number)",
      t.link, t, a, a, { addrs = { 5 } })
    -- bad values, found before anything is made: no interface name is used up
    local b = t:host "b"
    local long = netns.topology { prefix = ("p"):rep(250) }
    H.raises('bad argument #1 to \'switch\' (invalid pin name "' .. long.prefix .. 'sw1234": longer than 255 bytes)',
      long.switch, long, "sw1234")
    long:destroy()
    H.raises("bad argument #2 to 'host' (option 'lo' must be a boolean, got number)", t.host, t, "c", { lo = 0 })
    H.raises('bad argument #3 to \'link\' (option \'addrs\': entry 2: invalid CIDR "10.0.0.2/99": '
      .. "prefix length must be 0 to 32)", t.link, t, a, b, { addrs = { "10.0.0.1/24", "10.0.0.2/99" } })
    H.raises('bad argument #3 to \'link\' (option \'rate\': invalid rate "fast" (e.g. "10mbit"))',
      t.link, t, a, b, { rate = "fast" })
    H.raises("bad argument #3 to 'link' (option 'mtu' out of range (68 to 4294967295))", t.link, t, a, b, { mtu = 10 })
    assert.are.equal(1, #H.ip(a, "link show"))
    assert.are.same({ "n-a", "n-b" }, netns_list())
    assert.are.equal("a-eth0", (t:link(a, b)).ifname)
    H.raises("bad argument #1 to 'ping' (not a host or switch of this topology: zz)", t.ping, t, "zz",
      "10.0.0.1")
    H.raises("bad argument #1 to 'graph' (table expected, got nil)", netns.graph, nil)
    H.raises("bad argument #1 to 'graph' (entry 1 is not a namespace handle)", netns.graph, { "n-a" })
    t:destroy()
    for _, call in ipairs { { t.link, t, a, a }, { t.ping, t, a, "10.0.0.1" }, { t.pingall, t } } do
      H.raises("netns: topology n- is destroyed", table.unpack(call))
    end
  end)

  it("writes interface names as DOT strings, quotes and backslashes escaped", function()
    local t <close> = netns.topology { prefix = "q-" }
    t:link(t:host "a", t:host "b", { names = { 'x"y', "z\\w" }, addrs = { "10.0.0.1/24", "10.0.0.2/24" } })
    assert.truthy(t:dot():find('taillabel="x\\"y\\n10.0.0.1/24", headlabel="z\\\\w\\n10.0.0.2/24"', 1, true),
      t:dot())
  end)
end)

describe("nslua and topologies", function()
  local nslua = H.nslua

  local function run(args)
    return H.sh(nslua .. " " .. args .. " 2>&1")
  end

  it("tears down what a failing script built", function()
    local out, ok = run("-e 'local t = netns.topology{prefix=\"s-\"}; t:host \"a\"; error(\"boom\")'")
    assert.is_nil(ok)
    assert.truthy(out:find("boom"))
    assert.are.same({}, netns_list())
  end)

  it("tears down a topology left standing when busted unloaded the module between files", function()
    local dir = os.tmpname()
    os.remove(dir)
    H.defer(finally, function() H.sh("rm -rf " .. H.quote(dir)) end)
    H.sh("mkdir " .. H.quote(dir))
    for _, f in ipairs { "a", "b" } do
      H.write_file(dir .. "/" .. f .. "_spec.lua", ([[
        describe("%s", function()
          it("builds and leaves", function()
            netns.build { prefix = "u%s-", hosts = { h1 = {}, h2 = {} }, links = { { "h1", "h2" } } }
          end)
        end)]]):format(f, f))
    end
    local abs = H.sh("realpath " .. H.quote(nslua)):gsub("\n$", "")
    local out, ok = H.sh("cd " .. H.quote(dir) .. " && busted --lua=" .. H.quote(abs) ..
                         " -o TAP a_spec.lua b_spec.lua 2>&1")
    assert.is_true(ok, out)
    assert.are.same({}, netns_list())
  end)

  it("--keep leaves them, says how to remove them, --graph draws them", function()
    local dot = os.tmpname()
    H.defer(finally, function() os.remove(dot); H.sh("ip netns del k-a 2>/dev/null; ip netns del k-sw 2>/dev/null") end)
    local out, ok = run("--keep --graph " .. dot ..
      " -e 'local t = netns.topology{prefix=\"k-\"}; t:link(t:host \"a\", t:switch \"sw\")'")
    assert.is_true(ok)
    assert.are.equal("nslua: kept topology k- (k-a k-sw); remove it with: nslua --cleanup k-\n", out)
    assert.are.same({ "k-a", "k-sw" }, netns_list())
    assert.truthy(H.sh("ip netns exec k-a ip -br link"):find("a-eth0", 1, true))
    local f = assert(io.open(dot))
    assert.truthy(f:read("a"):find('"a" %-%- "sw"'))
    f:close()
    -- the run has ended: cleanup removes what it kept
    assert.are.equal("removed k-a\nremoved k-sw\n", run("--cleanup k-"))
    assert.are.same({}, netns_list())
  end)

  it("records its run as the owner of each pin; cleanup reads old and new records", function()
    H.defer(finally, function()
      H.sh("for n in o-live o-file o-manual; do ip netns del $n 2>/dev/null; done; rm -f /run/netns-owners/o-*")
    end)
    local f = assert(io.open("/proc/self/stat"))
    local stat = f:read("a")
    f:close()
    local pid, start = stat:match("^(%d+)"), stat:match("%) %S+" .. (" %S+"):rep(18) .. " (%d+)")
    -- the record of a live run: a symlink to "PID START COOKIE", the
    -- namespace's cookie (SO_NETNS_COOKIE, never reused)
    local t = netns.topology { prefix = "o-" }
    t:host "live"
    local record = H.sh("readlink /run/netns-owners/o-live"):match("[^\n]+")
    assert.are.equal(pid .. " " .. start, record:match("^(%d+ %d+) [1-9]%d*$"))
    -- a dead run's record as a plain file; and a pin made by ip, with none
    H.sh("ip netns add o-file && printf '1 0\\n' > /run/netns-owners/o-file && ip netns add o-manual")
    assert.are.equal("removed o-file\n", run("--cleanup o-"))
    assert.are.same({ "o-live", "o-manual" }, netns_list())
    t:destroy()
    H.sh("ip netns del o-manual")
  end)

  -- nslua running a script of @text in the background, signalled with
  -- @sig (@delay seconds after) once it writes "ready": what it wrote
  -- then, ending with "status N", and the script's path.
  local function signalled(text, sig, delay)
    local script = os.tmpname()
    H.defer(finally, function() os.remove(script) end)
    local f = assert(io.open(script, "w"))
    f:write(text)
    f:close()
    local p = io.popen(nslua .. " " .. script .. " 2>&1 & echo $!; wait $!; echo status $?")
    -- the shell's echo and the script's line come in either order
    local one, two = p:read("l"), p:read("l")
    assert.are.same({ "ready" }, { one == "ready" and one or two })
    H.sh(("sleep %s; kill -%s %s"):format(delay or 0, sig, one == "ready" and two or one))
    local rest = p:read("a")
    p:close()
    return rest, script
  end

  for _, case in ipairs { { "INT", 130, "interrupted!" }, { "TERM", 143, "terminated!" },
                          { "HUP", 129, "hangup!" } } do
    it("SIG" .. case[1] .. " while building tears everything down and exits " .. case[2], function()
      local rest = signalled('local t = netns.topology{prefix="i-"}\n' ..
        'for i = 1, 1000 do t:host("h" .. i); if i == 5 then io.write("ready\\n"); io.flush() end end\n',
        case[1])
      assert.truthy(rest:find(case[3], 1, true), rest)
      assert.truthy(rest:find("status " .. case[2], 1, true), rest)
      assert.are.same({}, netns_list())
      assert.are.equal("", owners())
    end)
  end

  it("an interrupted netns.build says interrupted! as the signal raised it, nothing added", function()
    -- the last: a spec so large that the signal strikes while the library's Lua checks it
    for _, case in ipairs { { 0, 1500 }, { 0.05, 1500 }, { 0.05, 400000 } } do
      local delay, count = case[1], case[2]
      local rest, script = signalled('local hosts = {}\nfor i = 1, ' .. count .. ' do hosts["h" .. i] = {} end\n' ..
        'io.write("ready\\n"); io.flush()\nnetns.build { prefix = "bi-", hosts = hosts }\n', "INT", delay)
      local first = rest:match("^[^\n]*")
      assert.matches("interrupted!$", first)
      assert.is_nil(first:find(script, 1, true), first)    -- no position of the caller's added
      assert.is_nil(first:find("topology", 1, true), first)
      assert.truthy(rest:find("status 130", 1, true), rest)
      assert.are.same({}, netns_list())
    end
  end)

  it("shows build progress on a terminal only, and not with --quiet", function()
    local script = os.tmpname()
    H.defer(finally, function() os.remove(script) end)
    local f = assert(io.open(script, "w"))
    f:write('local spec = { prefix = "pg-", switches = { "s" }, hosts = {}, links = {} }\n',
      'for i = 1, 400 do spec.hosts["h" .. i] = {}; spec.links[i] = { "h" .. i, "s" } end\n',
      'local t <close> = netns.build(spec)\n')
    f:close()
    -- nslua on a pseudo-terminal, started by a shell there as a user would
    -- (python's pty copes with a closed stdin, where `script` may not)
    local function on_tty(args)
      return (H.sh("python3 -c 'import pty, sys; pty.spawn(sys.argv[1:])' sh -c " ..
        H.quote("NETNS_PROGRESS_AFTER=0 " .. nslua .. " " .. args) .. " </dev/null"))
    end
    local tty = on_tty(script)
    assert.truthy(tty:find("\rbuilding pg%-: %d+ of 801 steps"), tty:sub(1, 200))
    assert.truthy(tty:find("\r\27[K", 1, true))
    assert.are.equal("", run(script))
    assert.are.equal("", H.sh("NETNS_PROGRESS_AFTER=0 " .. nslua .. " " .. script .. " 2>&1"))
    assert.are.equal("", on_tty("--quiet " .. script))
    assert.are.same({}, netns_list())
  end)

  it("--cleanup leaves a pin made again by ip under a dead run's name", function()
    H.defer(finally, function() H.sh("ip netns del r-h1 2>/dev/null; rm -f /run/netns-owners/r-*") end)
    -- a killed run's pin, with its record: the namespace's cookie is the third field
    local t = netns.topology { prefix = "r-" }
    t:host "h1"
    local cookie = H.sh("readlink /run/netns-owners/r-h1"):match("^%d+ %d+ (%d+)")
    t._undo = {}   -- as if killed: nothing of its journal is undone
    H.sh("ln -sfn '1 0 " .. cookie .. "' /run/netns-owners/r-h1")
    -- someone removes that pin with ip, and makes one of the same name
    H.sh("ip netns del r-h1 && ip netns add r-h1")
    assert.are.equal("", run("--cleanup r-"))
    assert.are.same({ "r-h1" }, netns_list())
    assert.are.equal("", owners())   -- the stale record is gone
  end)

  it("--cleanup removes a name a killed run claimed but never mounted, not a live run's", function()
    H.defer(finally, function() H.sh("rm -f /run/netns/f-* /run/netns-owners/f-*") end)
    local f = assert(io.open("/proc/self/stat"))
    local stat = f:read("a")
    f:close()
    local pid, start = stat:match("^(%d+)"), stat:match("%) %S+" .. (" %S+"):rep(18) .. " (%d+)")
    -- a pin's file (empty, mode 0) and owner record, as a run leaves them killed before its mount
    H.sh("install -m 0 /dev/null /run/netns/f-dead && install -m 0 /dev/null /run/netns/f-live && "
      .. "ln -s '1 0 7' /run/netns-owners/f-dead && "
      .. "ln -s '" .. pid .. " " .. start .. " 7' /run/netns-owners/f-live")
    assert.are.equal("removed f-dead\n", run("--cleanup f-"))
    assert.are.equal("f-live\n", H.sh("ls /run/netns | grep '^f-'"))
    assert.are.equal("f-live\n", H.sh("ls /run/netns-owners | grep '^f-'"))
  end)

  it("--cleanup leaves what was never a pin, and goes on past it", function()
    H.defer(finally, function() H.sh("rm -rf /run/netns/g-* /run/netns-owners/g-*") end)
    -- someone's file, an empty file anyone may read, a directory; then a killed run's pin file
    H.sh("echo important > /run/netns/g-notes && touch /run/netns/g-empty && mkdir /run/netns/g-dir && "
      .. "install -m 0 /dev/null /run/netns/g-stale")
    assert.are.equal("removed g-stale\n", run("--cleanup g-"))
    assert.are.equal("g-dir\ng-empty\ng-notes\n", H.sh("ls /run/netns | grep '^g-'"))
    assert.are.equal("important\n", H.sh("cat /run/netns/g-notes"))
  end)

  it("--cleanup that cannot remove a pin fails, names it, and keeps its record for a retry", function()
    H.defer(finally, function() H.sh("ip netns del kf-a 2>/dev/null; rm -f /run/netns-owners/kf-*") end)
    local out, ok = run("--keep -e 'local t = netns.topology{prefix=\"kf-\"}; t:host \"a\"'")
    assert.is_true(ok, out)
    -- /run/netns read-only (the sandbox's own tmpfs): the pin is unmounted, its file stays
    H.sh("mount -o remount,ro /run/netns")
    out, ok = run("--cleanup kf-")
    H.sh("mount -o remount,rw /run/netns")
    assert.is_nil(ok, out)
    assert.matches("netns: cleanup kf%-a: Read%-only file system %[EROFS%]", out)
    assert.are.same({ "kf-a" }, netns_list())
    assert.are.equal("removed kf-a\n", run("--cleanup kf-"))
    assert.are.same({}, netns_list())
  end)

  it("--keep also keeps a topology held with <close>", function()
    H.defer(finally, function() H.sh("ip netns del kc-a 2>/dev/null; rm -f /run/netns-owners/kc-*") end)
    local out, ok = run("--keep -e 'local t <close> = netns.topology{prefix=\"kc-\"}; t:host \"a\"'")
    assert.is_true(ok)
    assert.are.equal("nslua: kept topology kc- (kc-a); remove it with: nslua --cleanup kc-\n", out)
    assert.are.same({ "kc-a" }, netns_list())
    assert.are.equal("removed kc-a\n", run("--cleanup kc-"))
    assert.are.same({}, netns_list())
  end)

  it("--cleanup removes exactly the pins of a killed run", function()
    H.sh("ip netns add k-manual")
    H.defer(finally, function() H.sh("ip netns del k-manual") end)
    local script = os.tmpname()
    H.defer(finally, function() os.remove(script) end)
    local f = assert(io.open(script, "w"))
    f:write('local t = netns.topology{prefix="k-"}; t:host "h1"; t:host "h2"\n',
      -- (a loop, not a sleep program: the kill reaches nothing but nslua)
      'io.write("ready\\n"); io.flush(); local t = os.time(); while os.time() - t < 30 do end\n')
    f:close()
    local live = io.popen(nslua .. " " .. script .. " & echo $!; wait")
    local pid = live:read("l")
    assert.are.equal("ready", live:read("l"))
    -- a live run's pins are not leftovers
    assert.are.equal("", run("--cleanup k-"))
    H.sh("kill -9 " .. pid)
    live:close()
    assert.are.same({ "k-h1", "k-h2", "k-manual" }, netns_list())
    assert.are.equal("removed k-h1\nremoved k-h2\n", run("--cleanup k-"))
    assert.are.same({ "k-manual" }, netns_list())
  end)
end)
