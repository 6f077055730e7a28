-- Links: ns:links/link, veth, bridge, link_add/link_set/link_del and the
-- link records' shorthand methods, each checked against `ip -j -d link show`
-- run inside the namespace.

local H = require "helper"
local netns = require "netns"

local SRC = debug.getinfo(1, "S").short_src

local PID = H.pid

-- The fields a link record shares with ip's JSON, compared one by one.
local FIELDS = {
  "ifindex", "ifname", "flags", "mtu", "operstate", "link_type", "address", "broadcast",
  "txqlen", "master", "link", "link_index", "link_netnsid", "qdisc", "min_mtu", "max_mtu",
  "promiscuity", "ifalias",
}

-- ip's links in @ns (ip -j -d link show), in ip's order.
local function ip_links(ns)
  local out = {}
  for _, l in ipairs(H.ip(ns, "-d link show")) do out[#out + 1] = H.denull(l) end
  return out
end

local function ip_link(ns, name)
  for _, l in ipairs(ip_links(ns)) do
    if l.ifname == name then return l end
  end
  return nil
end

local function ip_names(ns)
  local names = {}
  for _, l in ipairs(ip_links(ns)) do names[#names + 1] = l.ifname end
  table.sort(names)
  return names
end

-- What a record should hold, from ip's record.
local function expected(ipl)
  local e = H.pick(ipl, FIELDS)
  e.kind = ipl.linkinfo and ipl.linkinfo.info_kind
  return e
end

local function fields_of(rec)
  local g = H.pick(rec, FIELDS)
  g.kind = rec.kind
  return g
end

-- Asserts that record @rec of namespace @ns is what ip shows for it now.
local function assert_like_ip(ns, rec)
  assert.is_table(rec)
  local ipl = ip_link(ns, rec.ifname)
  assert.is_table(ipl, "ip does not show " .. tostring(rec.ifname))
  assert.are.same(expected(ipl), fields_of(rec))
  assert.are.equal(ns, rec.ns)
end


local raises = H.raises

local function has(list, x)
  for _, v in ipairs(list) do
    if v == x then return true end
  end
  return false
end

-- Fresh anonymous namespaces, closed after the test.
local handles = {}
local function fresh_ns()
  local ns = netns.new()
  handles[#handles + 1] = ns
  return ns
end

-- A fresh named namespace (for messages that name it), deleted after the test.
local seq, names = 0, {}
local function fresh_named()
  seq = seq + 1
  local name = ("linkspec-%s-%d"):format(PID, seq)
  names[#names + 1] = name
  local ns = netns.add(name)
  handles[#handles + 1] = ns
  return ns, name
end

after_each(function()
  for _, ns in ipairs(handles) do ns:close() end
  for _, name in ipairs(names) do H.sh("ip netns del " .. H.quote(name) .. " 2>/dev/null") end
  handles, names = {}, {}
end)

-- Creates link @spec with ns:link_add, or marks the test pending when the
-- kernel does not know the kind.
local function add_or_pending(ns, spec)
  local ok, err = pcall(ns.link_add, ns, spec)
  if not ok and tostring(err):match("%[EOPNOTSUPP%]: Unknown device type") then
    pending("kernel lacks " .. spec.kind)
  end
  assert(ok, err)
  return err
end

describe("ns:links and ns:link", function()
  it("list every link with ip's fields, in ip's order", function()
    local ns, peer = fresh_ns(), fresh_ns()
    ns:veth("x0", "x1", { peer_ns = peer, up = true })
    ns:veth("s0", "s1", { up = true })
    ns:bridge("br0")
    ns:link_set("s0", { master = "br0", alias = "port one" })
    ns:link_add { kind = "macvlan", name = "mv0", link = "x0", mode = "bridge" }
    local recs, ips = ns:links(), ip_links(ns)
    assert.are.equal(#ips, #recs)
    assert.are.equal(6, #recs)
    for i, ipl in ipairs(ips) do
      assert.are.same(expected(ipl), fields_of(recs[i]))
      assert.are.equal(ns, recs[i].ns)
    end
    -- and the peer's side, seen from the other namespace
    for i, rec in ipairs(peer:links()) do
      assert.are.same(expected(ip_links(peer)[i]), fields_of(rec))
    end
  end)

  -- ip adds M-DOWN to the flags of a link whose `link` (veth peer, macvlan
  -- lower device) in the same namespace is down.  The other tests keep such
  -- links up, so that this one alone shows whether M-DOWN is right.
  it("give flags as ip does, M-DOWN included, when a same-namespace peer is down", function()
    local ns = fresh_ns()
    ns:veth("m0", "m1")
    ns:veth("m2", "m3")
    ns:link_set("m2", { up = true })
    ns:link_add { kind = "macvlan", name = "m4", link = "m0", mode = "bridge" }
    for _, name in ipairs { "m0", "m1", "m2", "m3", "m4" } do
      assert.are.same(ip_link(ns, name).flags, ns:link(name).flags)
    end
    local recs = {}
    for _, rec in ipairs(ns:links()) do recs[rec.ifname] = rec end
    for _, name in ipairs { "m0", "m1", "m2", "m3", "m4" } do
      assert.are.same(ip_link(ns, name).flags, recs[name].flags)
    end
    assert.is_true(has(ip_link(ns, "m0").flags, "M-DOWN"))
    assert.is_true(has(ip_link(ns, "m2").flags, "M-DOWN"))
    assert.is_false(has(ip_link(ns, "m3").flags, "M-DOWN"))
  end)

  it("find one link by name or by index, equal to ip's record", function()
    local ns = fresh_ns()
    local a = ns:veth("n0", "n1", { up = true, mtu = 1400 })
    for _, ipl in ipairs(ip_links(ns)) do
      local byname, byindex = ns:link(ipl.ifname), ns:link(ipl.ifindex)
      assert.are.same(expected(ipl), fields_of(byname))
      assert.are.same(expected(ipl), fields_of(byindex))
      assert.are.equal(ns, byname.ns)
    end
    assert.are.equal("n1", a.link)
  end)

  it("read links whose messages are larger than a dump part, and then the next listings", function()
    -- 300 alternative names of 110 bytes make v0's message about 40 KiB,
    -- more than the 32 KiB the kernel fills a dump part with.
    local ns = fresh_ns()
    ns:veth("v0", "v1")
    local lines = {}
    for i = 1, 300 do lines[i] = ("link property add dev v0 altname %s%d"):format(("a"):rep(110), i) end
    local file = os.tmpname()
    H.write_file(file, table.concat(lines, "\n") .. "\n")
    H.run(H.inside(ns) .. "ip -batch " .. file)
    os.remove(file)
    assert.are.equal(300, #ip_link(ns, "v0").altnames)
    assert.are.same(ip_names(ns), (function()
      local got = {}
      for _, l in ipairs(ns:links()) do got[#got + 1] = l.ifname end
      table.sort(got)
      return got
    end)())
    assert.are.same(expected(ip_link(ns, "v0")), fields_of(ns:link("v0")))
    -- the handle's socket is left clean for what comes next
    assert.are.same({}, ns:addrs())
    assert.are.equal("v1", ns:link("v1").ifname)
  end)

  it("return nil for a link that is not there", function()
    local ns = fresh_ns()
    assert.is_nil(ns:link("nope"))
    assert.is_nil(ns:link(4242))
    assert.is_nil(ip_link(ns, "nope"))
  end)

  it("refuse what is no interface index, rather than cut it to one", function()
    local ns = fresh_ns()
    ns:veth("k0", "k1")
    for _, bad in ipairs { 0, -1, 4294967298, -4294967295, 2 ^ 31 } do
      raises("bad argument #1 to 'link' (invalid interface index)", ns.link, ns, bad)
    end
  end)

  it("raise on a closed namespace", function()
    local ns = netns.new()
    ns:close()
    raises(H.closed(ns), ns.links, ns)
    raises(H.closed(ns), ns.link, ns, "lo")
    raises(H.closed(ns), ns.link, ns, 1)
  end)
end)

describe("ns:veth", function()
  it("creates a pair in one namespace, each end naming the other", function()
    local ns = fresh_ns()
    local a, b = ns:veth("va", "vb", { up = true })
    assert_like_ip(ns, a)
    assert_like_ip(ns, b)
    assert.are.equal("veth", a.kind)
    assert.are.equal("vb", a.link)
    assert.are.equal("va", b.link)
    assert.are.equal("vb", ip_link(ns, "va").link)
  end)

  it("creates the peer directly in peer_ns, with every option applied", function()
    local ns, other = fresh_ns(), fresh_ns()
    ns:bridge("br0")
    local a, b = ns:veth("pa", "pb", {
      peer_ns = other, up = true, mtu = 1400,
      address = "02:00:00:00:0a:01", peer_address = "02:00:00:00:0b:01", master = "br0",
    })
    -- each end where it belongs, and only there
    assert.is_nil(ip_link(ns, "pb"))
    assert.is_nil(ip_link(other, "pa"))
    assert_like_ip(ns, a)
    assert_like_ip(other, b)
    local ipa, ipb = ip_link(ns, "pa"), ip_link(other, "pb")
    -- the options, as ip reads them back
    assert.are.equal("02:00:00:00:0a:01", ipa.address)
    assert.are.equal("02:00:00:00:0b:01", ipb.address)
    assert.are.equal(1400, ipa.mtu)
    assert.are.equal(1400, ipb.mtu)
    assert.are.equal("br0", ipa.master)
    assert.are.equal("br0", a.master)
    assert.is_true(has(ipa.flags, "UP"))
    assert.is_true(has(ipb.flags, "UP"))
    -- each end points at the other across namespaces, as ip says
    assert.are.equal(ipb.ifindex, a.link_index)
    assert.are.equal(ipa.ifindex, b.link_index)
    assert.are.equal(ipa.link_netnsid, a.link_netnsid)
    assert.are.equal(ipb.link_netnsid, b.link_netnsid)
    assert.is_number(a.link_netnsid)
    assert.is_nil(a.link)
    assert.are.equal(other, b.ns)
  end)

  it("whose peer name is taken in peer_ns fails with EEXIST and leaves nothing behind", function()
    local ns, name = fresh_named()
    local other = fresh_ns()
    other:veth("taken", "taken2")
    local here, there = ip_names(ns), ip_names(other)
    local line
    local ok, err = pcall(function()
      line = debug.getinfo(1, "l").currentline; ns:veth("w0", "taken", { peer_ns = other, up = true })
    end)
    assert.is_false(ok)
    assert.are.equal(("%s:%d: netns: link add w0 (in %s): File exists [EEXIST]: " ..
      "the peer name taken is taken in the peer namespace"):format(SRC, line, name), err)
    assert.are.same(here, ip_names(ns))
    assert.are.same(there, ip_names(other))
    raises(("netns: link add w0 (in %s): File exists [EEXIST]: " ..
      "the peer name taken is taken in the peer namespace"):format(name),
      ns.veth, ns, "w0", "taken", { peer_ns = other })
    assert.are.same(here, ip_names(ns))
    assert.are.same(there, ip_names(other))
  end)

  it("of a name that exists fails with EEXIST", function()
    local ns, name = fresh_named()
    ns:veth("d0", "d1")
    local before = ip_names(ns)
    raises(("netns: link add d0 (in %s): File exists [EEXIST]"):format(name), ns.veth, ns, "d0", "d9")
    assert.are.same(before, ip_names(ns))
  end)

  it("with a closed peer_ns raises and creates nothing", function()
    local ns, gone = fresh_ns(), netns.new()
    gone:close()
    raises(("bad argument #3 to 'veth' (option 'peer_ns' is a closed namespace handle (<anonymous %d>))")
      :format(gone.id), ns.veth, ns, "c0", "c1", { peer_ns = gone })
    assert.are.same({ "lo" }, ip_names(ns))
  end)
end)

describe("ns:bridge", function()
  it("creates a bridge that ip shows as one, and takes ports", function()
    local ns = fresh_ns()
    local br = ns:bridge("br7", { up = true, mtu = 1450 })
    assert_like_ip(ns, br)
    assert.are.equal("bridge", br.kind)
    assert.are.equal("bridge", ip_link(ns, "br7").linkinfo.info_kind)
    assert.are.equal(1450, ip_link(ns, "br7").mtu)
    local port = ns:veth("p0", "p1", { master = "br7" })
    assert.are.equal("br7", port.master)
    assert.are.equal("br7", ip_link(ns, "p0").master)
    assert.is_nil(ip_link(ns, "p1").master)
    assert.is_nil(ns:link("p1").master)
  end)
end)

describe("ns:link_set", function()
  it("brings a link up and down", function()
    local ns = fresh_ns()
    ns:veth("u0", "u1")
    assert.is_true(ns:link_set("u0", { up = true }) ~= false)
    ns:link_set("u1", { up = true })
    assert.is_true(has(ip_link(ns, "u0").flags, "UP"))
    assert.are.equal("UP", ip_link(ns, "u0").operstate)
    assert_like_ip(ns, ns:link("u0"))
    ns:link_set("u0", { up = false })
    assert.is_false(has(ip_link(ns, "u0").flags, "UP"))
    assert_like_ip(ns, ns:link("u0"))
  end)

  it("changes mtu, txqlen, address and alias, by name or by index", function()
    local ns = fresh_ns()
    local l = ns:veth("c0", "c1", { up = true })
    ns:link_set("c0", { mtu = 1280, txqlen = 500 })
    ns:link_set(l.ifindex, { address = "02:11:22:33:44:55", alias = "uplink" })
    local ipl = ip_link(ns, "c0")
    assert.are.equal(1280, ipl.mtu)
    assert.are.equal(500, ipl.txqlen)
    assert.are.equal("02:11:22:33:44:55", ipl.address)
    assert.are.equal("uplink", ipl.ifalias)
    assert_like_ip(ns, ns:link("c0"))
  end)

  it("renames a link, keeping its index", function()
    local ns = fresh_ns()
    local l = ns:veth("old0", "old1")
    ns:link_set("old1", { up = true })
    ns:link_set("old0", { name = "new0" })
    assert.is_nil(ip_link(ns, "old0"))
    assert.are.equal(l.ifindex, ip_link(ns, "new0").ifindex)
    assert.is_nil(ns:link("old0"))
    assert_like_ip(ns, ns:link("new0"))
    assert.are.equal("new0", ns:link("old1").link)
  end)

  it("sets and clears the master", function()
    local ns = fresh_ns()
    ns:bridge("br1")
    ns:veth("m0", "m1", { up = true })
    ns:link_set("m0", { master = "br1" })
    assert.are.equal("br1", ip_link(ns, "m0").master)
    assert_like_ip(ns, ns:link("m0"))
    ns:link_set("m0", { master = false })
    assert.is_nil(ip_link(ns, "m0").master)
    assert.is_nil(ns:link("m0").master)
    assert_like_ip(ns, ns:link("m0"))
  end)

  it("moves a link to another namespace", function()
    local ns, other = fresh_ns(), fresh_ns()
    ns:veth("mv0", "mv1")
    ns:link_set("mv1", { ns = other })
    assert.is_nil(ip_link(ns, "mv1"))
    assert.is_table(ip_link(other, "mv1"))
    assert_like_ip(other, other:link("mv1"))
    assert_like_ip(ns, ns:link("mv0"))
    assert.is_nil(ns:link("mv0").link)
    assert.are.equal(ip_link(other, "mv1").ifindex, ns:link("mv0").link_index)
    -- a master named here would be looked up there, by its index: refused, nothing moves
    ns:bridge("brhere")
    other:bridge("brthere")
    raises("bad argument #2 to 'link_set' (options 'master' and 'ns' exclude each other)",
      ns.link_set, ns, "mv0", { ns = other, master = "brhere" })
    assert.is_table(ip_link(ns, "mv0"))
  end)

  it("a change of several steps that fails at one leaves the link as it was", function()
    -- The kernel applies a request's steps in turn (move, address, mtu, name,
    -- flags, master) and keeps those it made when one fails.
    local ns, other = fresh_ns(), fresh_ns()
    ns:veth("v0", "v1")
    ns:veth("w0", "w1", { up = true })
    ns:bridge("br0")
    ns:link_set("w1", { master = "br0" })
    ns:addr_add("w1", "10.3.0.1/24")
    ns:addr_add("w1", "10.3.0.2/24", { label = "w1:x" })   -- a secondary, labelled
    ns:addr_add("w1", "fd00:3::1/64", { nodad = true })
    ns:addr_add("w1", "fd00:3::2/64", { nodad = true })
    other:bridge("taken")
    -- every address of each namespace, as ip shows it, in ip's order (which
    -- picks the source address), but for the link-local ones the kernel
    -- makes when a link comes up, in an order of their own
    local function ip_addrs(n)
      local out, made = {}, {}
      for _, l in ipairs(H.ip(n, "addr show")) do
        for _, a in ipairs(l.addr_info or {}) do
          local line = ("%s %s/%d %s %s %s"):format(l.ifname, a["local"], a.prefixlen, a.label or "-",
            a.scope, a.secondary and "secondary" or "primary")
          table.insert(a.scope == "link" and made or out, line)
        end
      end
      table.sort(made)
      return { out, made }
    end
    local function state() return { ip_links(ns), ip_links(other), ip_addrs(ns), ip_addrs(other) } end
    local before = state()
    local function refused(errno, dev, change)
      local ok, err = pcall(ns.link_set, ns, dev, change)
      assert.is_false(ok)
      assert.truthy(tostring(err):find("[" .. errno .. "]", 1, true), err)
      assert.are.same(before, state(), "after " .. err)
    end
    refused("EOPNOTSUPP", "v0", { name = "renamed", master = "w0" })         -- w0 is no bridge
    refused("EOPNOTSUPP", "w0", { mtu = 1400, master = "v1" })
    refused("EINVAL", "v1", { address = "02:11:22:33:44:55", mtu = 70000 })
    refused("EINVAL", "w0", { alias = "changed", up = false, mtu = 70000 })
    -- moved, then refused over there: it comes back up, into its bridge,
    -- with the addresses the move took from it
    refused("EINVAL", "w1", { ns = other, mtu = 70000 })
    refused("EEXIST", "w1", { ns = other, name = "taken" })
    -- a single step needs no undo, and a working change of several is made whole
    ns:link_set("v0", { name = "renamed", mtu = 1400, alias = "a", up = true })
    local l = ip_link(ns, "renamed")
    local up = false
    for _, f in ipairs(l.flags) do up = up or f == "UP" end
    assert.are.same({ 1400, "a", true }, { l.mtu, l.ifalias, up })
  end)

  it("of a missing link raises ENODEV", function()
    local ns, name = fresh_named()
    raises(("netns: link set nope (in %s): No such device [ENODEV]"):format(name),
      ns.link_set, ns, "nope", { up = true })
  end)

  it("names a missing master or lower link with its option, and a link by name", function()
    local ns, name = fresh_named()
    local l = ns:veth("q0", "q1")
    raises(("netns: link set q0 master nope (in %s): No such device [ENODEV]"):format(name),
      ns.link_set, ns, "q0", { master = "nope" })
    raises(("netns: link add m0 link nope (in %s): No such device [ENODEV]"):format(name),
      ns.link_add, ns, { kind = "macvlan", name = "m0", link = "nope" })
    raises(("netns: link add bridge master nope (in %s): No such device [ENODEV]"):format(name),
      ns.link_add, ns, { kind = "bridge", master = "nope" })
    -- a record's methods act by index; messages still say the name
    local ok, err = pcall(l.set, l, { mtu = 70000 })
    assert.is_false(ok)
    assert.matches(("netns: link set q0 (in %s): Invalid argument [EINVAL]"):format(name), err, 1, true)
    assert.are.same({ "lo", "q0", "q1" }, ip_names(ns))
  end)
end)

describe("ns:link_del", function()
  it("deletes a link by name, and a veth's peer with it", function()
    local ns, other = fresh_ns(), fresh_ns()
    ns:veth("k0", "k1", { peer_ns = other })
    ns:link_del("k0")
    assert.is_nil(ip_link(ns, "k0"))
    assert.is_nil(ns:link("k0"))
    assert.is_nil(ip_link(other, "k1"))
  end)

  it("deletes a link by index", function()
    local ns = fresh_ns()
    local br = ns:bridge("br2")
    ns:link_del(br.ifindex)
    assert.is_nil(ip_link(ns, "br2"))
  end)

  it("of a missing link raises ENODEV; with missing_ok it does not", function()
    local ns, name = fresh_named()
    local before = ip_names(ns)
    local line
    local ok, err = pcall(function()
      line = debug.getinfo(1, "l").currentline; ns:link_del("nope")
    end)
    assert.is_false(ok)
    assert.are.equal(("%s:%d: netns: link del nope (in %s): No such device [ENODEV]"):format(SRC, line, name), err)
    raises(("netns: link del 4242 (in %s): No such device [ENODEV]"):format(name), ns.link_del, ns, 4242)
    assert.is_falsy(ns:link_del("nope", { missing_ok = true }))
    assert.are.same(before, ip_names(ns))
    -- missing_ok still deletes one that is there
    ns:bridge("br3")
    ns:link_del("br3", { missing_ok = true })
    assert.is_nil(ip_link(ns, "br3"))
  end)

  it("of an anonymous namespace names it by its inode", function()
    local ns = fresh_ns()
    raises(("netns: link del nope (in <anonymous %d>): No such device [ENODEV]"):format(ns.id),
      ns.link_del, ns, "nope")
  end)
end)

describe("ns:link_add", function()
  it("creates a macvlan on a lower link in bridge mode", function()
    local ns = fresh_ns()
    ns:veth("low0", "low1", { up = true })
    local mv = ns:link_add { kind = "macvlan", name = "mac0", link = "low0", mode = "bridge" }
    local ipl = ip_link(ns, "mac0")
    assert.are.equal("macvlan", ipl.linkinfo.info_kind)
    assert.are.equal("bridge", ipl.linkinfo.info_data.mode)
    assert.are.equal("low0", ipl.link)
    assert_like_ip(ns, mv)
    assert.are.equal("low0", mv.link)
    assert.are.equal("macvlan", mv.kind)
  end)

  it("creates a vxlan with its id, port and lower link", function()
    local ns = fresh_ns()
    ns:veth("under0", "under1")
    local vx = ns:link_add { kind = "vxlan", name = "vx42", id = 42, port = 4789, link = "under0" }
    local ipl = ip_link(ns, "vx42")
    assert.are.equal("vxlan", ipl.linkinfo.info_kind)
    assert.are.equal(42, ipl.linkinfo.info_data.id)
    assert.are.equal(4789, ipl.linkinfo.info_data.port)
    assert.are.equal("under0", ipl.linkinfo.info_data.link)
    assert_like_ip(ns, vx)
    assert.are.equal("vxlan", vx.kind)
  end)

  it("creates a veth and a bridge from a spec table", function()
    local ns = fresh_ns()
    local v = ns:link_add { kind = "veth", name = "sv0", peer = "sv1", mtu = 1300, up = true }
    local b = ns:link_add { kind = "bridge", name = "sbr0", txqlen = 10 }
    assert_like_ip(ns, v)
    assert_like_ip(ns, b)
    assert.are.equal(1300, ip_link(ns, "sv1").mtu)
    assert.are.equal(10, ip_link(ns, "sbr0").txqlen)
  end)

  it("creates a dummy link", function()
    local ns = fresh_ns()
    local d = add_or_pending(ns, { kind = "dummy", name = "dum0" })
    assert.are.equal("dummy", ip_link(ns, "dum0").linkinfo.info_kind)
    assert_like_ip(ns, d)
  end)

  it("creates a vlan on a lower link", function()
    local ns = fresh_ns()
    ns:veth("trunk0", "trunk1")
    local v = add_or_pending(ns, { kind = "vlan", name = "trunk0.7", link = "trunk0", id = 7 })
    local ipl = ip_link(ns, "trunk0.7")
    assert.are.equal("vlan", ipl.linkinfo.info_kind)
    assert.are.equal(7, ipl.linkinfo.info_data.id)
    assert_like_ip(ns, v)
  end)

  it("brings both ends of a veth up with up = true, the kernel's name for the peer too", function()
    local ns, other = fresh_ns(), fresh_ns()
    local function up_in(n, name)
      local l = ip_link(n, name)
      return l ~= nil and has(l.flags, "UP")
    end
    local function peer_of(n, name) return ip_link(n, name).link or ip_link(n, name).link_index end
    ns:link_add { kind = "veth", name = "u0", up = true }
    assert.is_true(up_in(ns, "u0"))
    assert.is_true(up_in(ns, peer_of(ns, "u0")))
    ns:link_add { kind = "veth", name = "u1", up = true, peer_ns = other }
    assert.is_true(up_in(ns, "u1"))
    local peers = {}
    for _, l in ipairs(ip_links(other)) do
      if l.ifname ~= "lo" then peers[#peers + 1] = { l.ifname, has(l.flags, "UP") } end
    end
    assert.are.same({ { "veth0", true } }, peers)
    -- made in another namespace: where the peer goes depends on the kernel, it comes up there
    ns:link_add { kind = "veth", name = "u2", peer = "u3", up = true, ns = other }
    assert.is_true(up_in(other, "u2"))
    assert.is_true(up_in(ns, "u3") or up_in(other, "u3"))
  end)

  it("creates a link directly in the namespace of option ns, as ip link add ... netns", function()
    local ns, other = fresh_ns(), fresh_ns()
    local b = ns:link_add { kind = "bridge", name = "there0", ns = other, up = true }
    assert.are.equal(other, b.ns)
    assert_like_ip(other, b)
    assert.is_nil(ip_link(ns, "there0"))
    -- taken there: the message names where
    raises(("netns: link add there0 (in <anonymous %d>): File exists [EEXIST]"):format(other.id),
      ns.link_add, ns, { kind = "bridge", name = "there0", ns = other })
    -- a veth's: the message says which name is taken, and where
    ns:bridge("t1")
    raises(("netns: link add t0 (in <anonymous %d>): File exists [EEXIST]: the peer name t1 is taken")
      :format(ns.id), ns.link_add, ns, { kind = "veth", name = "t0", peer = "t1", ns = other })
    raises(("netns: link add there0 (in <anonymous %d>): File exists [EEXIST]: the name there0 is taken "
      .. "in the namespace of option 'ns'"):format(ns.id),
      ns.link_add, ns, { kind = "veth", name = "there0", peer = "t9", ns = other })
    raises("bad argument #1 to 'link_add' (option 'ns' must be a namespace handle, got string)",
      ns.link_add, ns, { kind = "bridge", name = "x", ns = "red" })
    -- a master is looked up here, but the kernel would take it there
    ns:bridge("br0")
    raises("bad argument #1 to 'link_add' (options 'master' and 'ns' exclude each other)",
      ns.link_add, ns, { kind = "veth", name = "v0", peer = "v1", ns = other, master = "br0" })
  end)

  it("creates a link with txqlen 0", function()
    local ns = fresh_ns()
    local b = ns:link_add { kind = "bridge", name = "tq0", txqlen = 0 }
    -- ip -j leaves a length of 0 out; the kernel's own file says it
    assert.are.equal("0\n", ns:output "cat /sys/class/net/tq0/tx_queue_len")
    assert.are.equal(0, b.txqlen)
  end)

  it("refuses an option of another kind, and bad kind settings, making nothing", function()
    local ns = fresh_ns()
    ns:veth("u0", "u1")
    for _, case in ipairs {
      { { kind = "bridge", name = "b0", mode = "bridge" }, [[option 'mode' does not apply to kind "bridge"]] },
      { { kind = "bridge", name = "b0", peer = "b1" }, [[option 'peer' does not apply to kind "bridge"]] },
      { { kind = "macvlan", name = "m0", link = "u0", id = 3 }, [[option 'id' does not apply to kind "macvlan"]] },
      { { kind = "veth", name = "v0", peer = "v1", group = "239.1.1.1" },
        [[option 'group' does not apply to kind "veth"]] },
      { { kind = "macvlan", name = "m0", link = "u0", mode = "nope" }, [[invalid mode "nope"]] },
      { { kind = "vxlan", name = "x0", link = "u0" }, [[kind "vxlan" needs option 'id']] },
      { { kind = "vlan", name = "u0.9", link = "u0" }, [[kind "vlan" needs option 'id']] },
      { { kind = "vlan", name = "u0.9", link = "u0", id = 5000 }, "option 'id' out of range (0 to 4094)" },
      { { kind = "vxlan", name = "x0", id = 1, link = "u0", group = "239.1.1.1", remote = "10.0.0.9" },
        "options 'group' and 'remote' exclude each other" },
      { { kind = "vxlan", name = "x0", id = 1, link = "u0", group = "239.1.1.1/8" },
        [[invalid group "239.1.1.1/8": not a single address]] },
      { { kind = "vxlan", name = "x0", id = 1, link = "u0", remote = "10.0.0.9", ["local"] = "10.0.0.0/8" },
        [[invalid local "10.0.0.0/8": not a single address]] },
    } do
      raises("bad argument #1 to 'link_add' (" .. case[2] .. ")", ns.link_add, ns, case[1])
    end
    assert.are.same({ "lo", "u0", "u1" }, ip_names(ns))
    -- what ip refuses the same way
    assert.is_falsy(select(2, H.sh(H.inside(ns) .. "ip link add b0 type bridge mode bridge 2>/dev/null")))
  end)

  it("of an existing name raises EEXIST and changes nothing", function()
    local ns, name = fresh_named()
    ns:bridge("same")
    local before = ip_names(ns)
    raises(("netns: link add same (in %s): File exists [EEXIST]"):format(name),
      ns.link_add, ns, { kind = "bridge", name = "same" })
    raises(("netns: link add same (in %s): File exists [EEXIST]"):format(name), ns.bridge, ns, "same")
    assert.are.same(before, ip_names(ns))
  end)
end)

describe("link shorthands", function()
  it("up, down and set act on the link and return it re-read", function()
    local ns = fresh_ns()
    local l = ns:veth("h0", "h1")
    ns:link_set("h1", { up = true })
    local up = l:up()
    assert.is_true(has(up.flags, "UP"))
    assert_like_ip(ns, up)
    local down = up:down()
    assert.is_false(has(down.flags, "UP"))
    assert_like_ip(ns, down)
    local set = down:set { mtu = 1234, alias = "short" }
    assert.are.equal(1234, ip_link(ns, "h0").mtu)
    assert.are.equal("short", ip_link(ns, "h0").ifalias)
    assert_like_ip(ns, set)
  end)

  it("addr_add and addr_del change the addresses ip shows on the link", function()
    local ns = fresh_ns()
    local l = ns:veth("a0", "a1", { up = true })
    local function ip_has(addr, len)
      for _, link in ipairs(H.ip(ns, "addr show dev a0")) do
        for _, a in ipairs(link.addr_info or {}) do
          if a["local"] == addr and a.prefixlen == len and a.family == "inet" then return true end
        end
      end
      return false
    end
    assert.is_false(ip_has("10.9.0.1", 24))
    local again = l:addr_add("10.9.0.1/24")
    assert_like_ip(ns, again)
    assert.is_true(ip_has("10.9.0.1", 24))
    local after = again:addr_del("10.9.0.1/24")
    assert_like_ip(ns, after)
    assert.is_false(ip_has("10.9.0.1", 24))
  end)

  it("move puts the link in another namespace and returns it as seen there", function()
    local ns, other = fresh_ns(), fresh_ns()
    local _, peer = ns:veth("o0", "o1")
    local moved = peer:move(other)
    assert.is_nil(ip_link(ns, "o1"))
    assert.are.equal(other, moved.ns)
    assert_like_ip(other, moved)
    assert.are.equal(ip_link(other, "o1").ifindex, moved.ifindex)
    -- the record left behind names the link it was, gone from there
    local where = ("(in <anonymous %d>): No such device [ENODEV]"):format(ns.id)
    raises("netns: link set o1 " .. where, peer.up, peer)
    raises("netns: link set o1 " .. where, peer.set, peer, { mtu = 1400 })
    raises("netns: link del o1 " .. where, peer.delete, peer)
    raises("netns: address add 10.9.0.1/24 dev o1 " .. where .. ": ipv4: Device not found",
      peer.addr_add, peer, "10.9.0.1/24")
    raises("netns: address del 10.9.0.1/24 dev o1 " .. where .. ": ipv4: Device not found",
      peer.addr_del, peer, "10.9.0.1/24")
    raises("netns: address show o1 " .. where, peer.addrs, peer)
  end)

  it("delete removes the link", function()
    local ns = fresh_ns()
    local l = ns:veth("z0", "z1")
    l:delete()
    assert.is_nil(ip_link(ns, "z0"))
    assert.is_nil(ip_link(ns, "z1"))
  end)
end)

describe("a link record as the device", function()
  it("stands for its link wherever a device is asked for, by its index", function()
    local ns = fresh_ns()
    local a = ns:veth("r0", "r1")
    local br = ns:bridge("rbr")
    -- renamed since it was read: the record still means the same link
    ns:link_set("r0", { name = "r0new" })
    assert.is_true(ns:link_set(a, { up = true, master = br }))
    assert.is_true(ns:addr_add(a, "10.7.0.1/24"))
    local ipl = ip_link(ns, "r0new")
    assert.are.equal("rbr", ipl.master)
    assert.is_true(has(ipl.flags, "UP"))
    assert.are.same({ "10.7.0.1/24" }, (function()
      local cidrs = {}
      for _, r in ipairs(ns:addrs(a)) do cidrs[#cidrs + 1] = r.cidr end
      return cidrs
    end)())
    assert.are.equal("r0new", ns:link(a).ifname)
    assert.is_true(ns:route_add { dst = "10.8.0.0/16", dev = a })
    assert.are.equal("r0new", H.ip(ns, "route show 10.8.0.0/16")[1].dev)
    assert.is_true(ns:neigh_add { dst = "10.7.0.9", dev = a, lladdr = "02:00:00:00:00:09" })
    assert.are.equal(1, #ns:neighbors { dev = a })
    assert.is_true(ns:addr_del(a, "10.7.0.1/24"))
    assert.is_true(ns:link_del(a))
    assert.is_nil(ip_link(ns, "r0new"))
  end)

  it("of another namespace is refused, and nothing changes", function()
    local red, blue = fresh_named(), fresh_named()
    local _, there = red:veth("f0", "f1", { peer_ns = blue })
    local before, fds = H.ip(red, "-d link show"), H.fd_count()
    local where = ("link f1 is in %s"):format(blue.name)
    raises(("bad argument #1 to 'addr_add' (%s)"):format(where), red.addr_add, red, there, "10.6.0.1/24")
    raises(("bad argument #1 to 'link_set' (%s)"):format(where), red.link_set, red, there, { up = true })
    raises(("bad argument #1 to 'link_del' (%s)"):format(where), red.link_del, red, there)
    raises(("bad argument #1 to 'link' (%s)"):format(where), red.link, red, there)
    raises(("bad argument #2 to 'link_set' (option 'master': %s)"):format(where),
      red.link_set, red, "f0", { master = there })
    raises(("bad argument #1 to 'route_add' (option 'dev': %s)"):format(where),
      red.route_add, red, { dst = "10.5.0.0/16", dev = there })
    raises(("bad argument #1 to 'neighbors' (option 'dev': %s)"):format(where), red.neighbors, red, { dev = there })
    raises(("bad argument #1 to 'shape' (%s)"):format(where), red.shape, red, there, "1mbit")
    -- a table that does not say which namespace it is of, as an address record
    blue:addr_add("f1", "10.6.0.2/24")
    local other_kind = "string, integer or link record expected, got table"
    raises("bad argument #1 to 'link_del' (string, integer or link record expected, got netns.addr)",
      red.link_del, red, blue:addrs("f1")[1])
    raises("bad argument #1 to 'addr_add' (" .. other_kind .. ")", red.addr_add, red, { ifname = "f0" }, "10.6.0.1/24")
    raises("bad argument #1 to 'link_set' (" .. other_kind .. ")",
      red.link_set, red, { ifindex = 2, ifname = "f0" }, { up = true })
    -- a record is a record, however it was changed
    local bad = red:link("f0")
    bad.ifindex = 0
    raises("bad argument #2 to 'link_set' (option 'master': invalid interface index)",
      red.link_set, red, "f0", { master = bad })
    assert.are.same(before, H.ip(red, "-d link show"))
    assert.are.same({}, red:addrs("f0"))
    assert.are.equal(fds, H.fd_count())
  end)
end)

describe("link argument errors", function()
  local long = "0123456789abcdef"    -- 16 bytes: one more than IFNAMSIZ allows

  it("reject a 16-byte interface name before anything is made", function()
    local ns = fresh_ns()
    ns:veth("e0", "e1")
    local before, fds = ip_names(ns), H.fd_count()
    local why = ([[(invalid interface name "%s": longer than 15 bytes)]]):format(long)
    raises("bad argument #1 to 'link_add' " .. why, ns.link_add, ns, { kind = "bridge", name = long })
    raises("bad argument #2 to 'link_set' " .. why, ns.link_set, ns, "e0", { name = long })
    raises("bad argument #1 to 'link' " .. why, ns.link, ns, long)
    assert.are.same(before, ip_names(ns))
    assert.are.equal(fds, H.fd_count())
    -- fifteen bytes are fine, as for ip
    local ok = ns:bridge(long:sub(1, 15))
    assert_like_ip(ns, ok)
  end)

  it("name the method the user called: veth and bridge", function()
    local ns = fresh_ns()
    local why = ([[(invalid interface name "%s": longer than 15 bytes)]]):format(long)
    raises("bad argument #1 to 'veth' " .. why, ns.veth, ns, long, "x1")
    raises("bad argument #2 to 'veth' " .. why, ns.veth, ns, "x0", long)
    raises("bad argument #1 to 'bridge' " .. why, ns.bridge, ns, long)
    raises("bad argument #3 to 'veth' (option 'mtu' must be an integer, got string)",
      ns.veth, ns, "x0", "x1", { mtu = "big" })
    raises("bad argument #2 to 'bridge' (option 'mtu' out of range (68 to 4294967295))",
      ns.bridge, ns, "b0", { mtu = 10 })
    raises("bad argument #1 to 'link_add' (table expected, got string)", ns.link_add, ns, "veth")
    local l = ns:veth("x0", "x1")
    raises("bad argument #1 to 'move' (namespace handle expected, got no value)", l.move, l)
    raises("bad argument #1 to 'move' (namespace handle expected, got string)", l.move, l, "b")
    assert.are.same({ "lo", "x0", "x1" }, ip_names(ns))
  end)

  it("reject unknown option keys", function()
    local ns = fresh_ns()
    ns:veth("q0", "q1")
    raises("bad argument #2 to 'link_set' (unknown option 'foo')", ns.link_set, ns, "q0", { foo = 1 })
    raises("bad argument #1 to 'link_add' (unknown option 'foo')", ns.link_add, ns,
      { kind = "bridge", name = "qb", foo = 1 })
    raises("bad argument #3 to 'veth' (unknown option 'foo')", ns.veth, ns, "r0", "r1", { foo = 1 })
    raises("bad argument #2 to 'bridge' (unknown option 'foo')", ns.bridge, ns, "qb", { foo = 1 })
    raises("bad argument #2 to 'link_del' (unknown option 'foo')", ns.link_del, ns, "q0", { foo = 1 })
    assert.are.same({ "lo", "q0", "q1" }, ip_names(ns))
  end)

  it("reject an unknown option key given to a link's set", function()
    local ns = fresh_ns()
    local l = ns:veth("q0", "q1")
    raises("bad argument #1 to 'set' (unknown option 'foo')", l.set, l, { foo = 1 })
  end)

  it("reject a peer_ns or ns that is no namespace handle with an argument error", function()
    local ns = fresh_ns()
    ns:veth("t0", "t1")
    local ok, err = pcall(ns.veth, ns, "y0", "y1", { peer_ns = 5 })
    assert.is_false(ok)
    assert.matches("^bad argument #3 to 'veth' %(", (tostring(err):gsub("^[^:]+:%d+: ", "")))
    ok, err = pcall(ns.link_set, ns, "t0", { ns = 5 })
    assert.is_false(ok)
    assert.matches("^bad argument #2 to 'link_set' %(", (tostring(err):gsub("^[^:]+:%d+: ", "")))
    assert.are.same({ "lo", "t0", "t1" }, ip_names(ns))
  end)

  it("raise on a closed namespace for every link call", function()
    local ns = netns.new()
    local fds = H.fd_count()
    ns:close()
    local msg = H.closed(ns)
    raises(msg, ns.veth, ns, "a", "b")
    raises(msg, ns.bridge, ns, "br")
    raises(msg, ns.link_add, ns, { kind = "bridge", name = "br" })
    raises(msg, ns.link_set, ns, "lo", { up = true })
    raises(msg, ns.link_del, ns, "lo")
    assert.is_true(H.fd_count() < fds)
  end)
end)

describe("a veth whose peer name is taken", function()
  it("says so, and leaves nothing in either namespace", function()
    local a <close> = netns.new()
    local b <close> = netns.new()
    b:bridge("b-eth0")
    H.raises("netns: link add v0 (in <anonymous " .. a.id .. ">): File exists [EEXIST]: " ..
      "the peer name b-eth0 is taken in the peer namespace",
      a.veth, a, "v0", "b-eth0", { peer_ns = b })
    assert.is_nil(a:link("v0"))
    assert.are.equal(1, #H.ip(a, "link show"))
    assert.are.equal(2, #H.ip(b, "link show"))
  end)
end)
