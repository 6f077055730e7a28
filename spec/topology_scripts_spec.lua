-- Topologies like the ones in scripts/: a star, a chain of routers and two
-- subnets built from one table are really there and reach what they should;
-- then nothing is left -- no namespace, pin, owner record, link or child
-- process -- after destroy, after <close>, after a build that fails
-- halfway, and after each of scripts/star.lua, chain.lua and two-subnets.lua.
local H = require "helper"
local lfs = require "lfs"
local netns = require "netns"

local NSLUA = H.nslua

---------------------------------------------------------------------------
-- What is left

-- Entries of directory @path, sorted; none if it does not exist.
local function dir(path)
  local out = {}
  if not lfs.attributes(path) then return out end
  for name in lfs.dir(path) do
    if name ~= "." and name ~= ".." then out[#out + 1] = name end
  end
  table.sort(out)
  return out
end

local function netns_list()
  local names = {}
  for line in H.sh("ip netns list"):gmatch("[^\n]+") do names[#names + 1] = line:match("^(%S+)") end
  table.sort(names)
  return names
end

-- The child processes of this process (of any of its threads), zombies included.
local function children()
  local out = {}
  for _, tid in ipairs(dir("/proc/self/task")) do
    local f = io.open("/proc/self/task/" .. tid .. "/children")
    if f then
      for pid in f:read("a"):gmatch("%d+") do
        local stat = io.open("/proc/" .. pid .. "/cmdline")
        local cmd = stat and stat:read("a"):gsub("%z", " ") or "?"
        if stat then stat:close() end
        out[#out + 1] = pid .. " " .. cmd
      end
      f:close()
    end
  end
  return out
end

-- Asserts that no namespace, pin, owner record, child process or link of
-- the sandbox's own namespace (beyond @links, as H.root_links had them) remains.
local function nothing_left(links)
  assert.are.same({}, netns_list())
  assert.are.same({}, dir("/run/netns"))
  assert.are.same({}, dir("/run/netns-owners"))
  assert.are.same({}, children())
  if links then assert.are.same(links, H.root_links()) end
end

-- Calls @fn until it returns true, for at most about @seconds; returns its last result.
local function eventually(seconds, fn)
  for _ = 1, seconds * 20 do
    if fn() then return true end
    H.sh("sleep 0.05")
  end
  return fn()
end

---------------------------------------------------------------------------
-- The topologies

-- Host i of a star, in 10.0.0.0/16.
local function star_addr(i)
  return ("10.0.%d.%d"):format((i - 1) // 254, (i - 1) % 254 + 1)
end

-- @n hosts h1 .. hN on switch s.
local function build_star(prefix, n)
  local t = netns.topology { prefix = prefix }
  local s = t:switch "s"
  for i = 1, n do
    t:link(t:host("h" .. i), s, { addrs = { star_addr(i) .. "/16" } })
  end
  return t
end

-- Routers r1 .. rN in a line; ri - ri+1 is 10.0.i.0/30 (ri .1, ri+1 .2), and
-- each router has a route to every subnet it is not on.
local function build_chain(prefix, n)
  local t = netns.topology { prefix = prefix }
  local r = {}
  for i = 1, n do r[i] = t:host("r" .. i, { forward = true }) end
  for i = 1, n - 1 do
    t:link(r[i], r[i + 1], { addrs = { ("10.0.%d.1/30"):format(i), ("10.0.%d.2/30"):format(i) } })
  end
  for i = 1, n do
    for j = 1, i - 2 do r[i]:route_add { dst = ("10.0.%d.0/30"):format(j), gateway = ("10.0.%d.1"):format(i - 1) } end
    for j = i + 1, n - 1 do r[i]:route_add { dst = ("10.0.%d.0/30"):format(j), gateway = ("10.0.%d.2"):format(i) } end
  end
  return t, r
end

-- Two subnets and a router, as one table: a on switch sa (10.1.0.0/24), b
-- on sb (10.2.0.0/24), r between them.
local function two_subnets(prefix)
  return {
    prefix = prefix,
    hosts = { a = {}, b = {}, r = { forward = true } },
    switches = { "sa", "sb" },
    links = {
      { "a", "sa", addrs = { "10.1.0.10/24" } },
      { "r", "sa", addrs = { "10.1.0.1/24" } },
      { "r", "sb", addrs = { "10.2.0.1/24" }, names = { "r-right", "sb-up" } },
      { "b", "sb", addrs = { "10.2.0.10/24" } },
    },
    routes = {
      a = { { dst = "default", gateway = "10.1.0.1" } },
      b = { { dst = "default", gateway = "10.2.0.1" } },
    },
  }
end

-- The ping binary's verdict, from inside pin @pin.
local function ping_binary(pin, addr)
  local _, ok = H.sh(("ip netns exec %s ping -c1 -W1 %s >/dev/null 2>&1"):format(H.quote(pin), addr))
  return ok == true
end

local function have_dot()
  local _, ok = H.sh("command -v dot >/dev/null 2>&1")
  return ok == true
end

-- Runs `dot -Tsvg` on @text; returns whether it took it, and what it said.
local function dot_parses(text)
  local path = os.tmpname()
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  local out, ok = H.sh("dot -Tsvg " .. H.quote(path) .. " 2>&1")
  os.remove(path)
  return ok == true and out:find("<svg", 1, true) ~= nil, out
end

---------------------------------------------------------------------------

describe("topologies of the scripts", function()
  local before_fds, before_ns
  before_each(function()
    collectgarbage()
    before_fds, before_ns = H.fd_count(), H.thread_ns()
  end)
  after_each(function()
    collectgarbage()
    nothing_left()
    assert.are.equal(before_fds, H.fd_count())
    assert.are.equal(before_ns, H.thread_ns())
  end)

  it("a star of 20 hosts: pingall completes, all reachable; destroy leaves nothing", function()
    local links = H.root_links()
    local t = build_star("star-", 20)
    assert.are.equal(21, #netns_list())
    assert.are.equal(20, #H.ip(t:hosts()[1].ns, "link show master s"))
    -- a namespace of the star, held past the topology: its links go with it
    local held = netns.open "star-h1"
    finally(function() held:close() end)

    local started = os.time()
    local matrix, summary = t:pingall { timeout = 1 }
    assert.is_true(os.time() - started <= 5, "pingall took " .. os.time() - started .. " s")
    for i = 1, 20 do
      for j = 1, 20 do
        if i ~= j then
          assert.is_number(matrix["h" .. i][star_addr(j)], ("h%d -> %s"):format(i, star_addr(j)))
        end
      end
    end
    assert.truthy(summary:find("*** Results: 0% dropped (380/380 received)", 1, true), summary)

    t:destroy()
    nothing_left(links)
    assert.is_true(eventually(2, function() return #held:links() == 1 end),
      "links left in a held namespace of the star")
    assert.are.equal("lo", held:links()[1].ifname)
  end)

  it("a chain of 4 routers: r1 reaches r4 across three hops and back; destroy leaves nothing", function()
    local links = H.root_links()
    local t, r = build_chain("chain-", 4)
    assert.are.same({ "chain-r1", "chain-r2", "chain-r3", "chain-r4" }, netns_list())
    for i = 1, 4 do assert.are.equal("1", r[i]:sysctl("net.ipv4.ip_forward")) end
    -- the routes, as ip sees them
    assert.are.equal("10.0.1.2", H.ip(r[1], "route show 10.0.3.0/30")[1].gateway)
    assert.are.equal("10.0.2.2", H.ip(r[2], "route show 10.0.3.0/30")[1].gateway)
    assert.are.equal("10.0.2.1", H.ip(r[3], "route show 10.0.1.0/30")[1].gateway)
    assert.are.equal("10.0.3.1", H.ip(r[4], "route show 10.0.1.0/30")[1].gateway)
    assert.are.equal(3, #H.ip(r[4], "-4 route show"))

    assert.is_true((t:ping(r[1], "10.0.3.2", { timeout = 2 })))
    assert.is_true((t:ping(r[4], "10.0.1.1", { timeout = 2 })))
    -- and it did cross two routers: the replies lost two from their TTL of 64
    local out = H.sh("ip netns exec chain-r1 ping -c1 -W2 10.0.3.2")
    assert.truthy(out:find("ttl=62", 1, true), out)

    t:destroy()
    nothing_left(links)
  end)

  it("two subnets from one table: built, reachable both ways, gone after <close>", function()
    local links = H.root_links()
    do
      local t <close> = netns.build(two_subnets("tb-"))
      local kinds = {}
      for _, h in ipairs(t:hosts()) do kinds[#kinds + 1] = h.name .. ":" .. h.kind end
      assert.are.same({ "a:host", "b:host", "r:host", "sa:switch", "sb:switch" }, kinds)
      assert.are.same({ "tb-a", "tb-b", "tb-r", "tb-sa", "tb-sb" }, netns_list())
      assert.are.same({ a = "r", b = "sb", names = { "r-right", "sb-up" }, addrs = { "10.2.0.1/24" } },
        t:links()[3])
      assert.are.equal("sb", H.ip(t:hosts()[5].ns, "link show sb-up")[1].master)
      assert.are.equal("10.1.0.1", H.ip(t:hosts()[1].ns, "route show default")[1].gateway)
      assert.are.equal("10.2.0.1", H.ip(t:hosts()[2].ns, "route show default")[1].gateway)
      assert.is_true((t:ping("a", "10.2.0.10", { timeout = 2 })))
      assert.is_true((t:ping("b", "10.1.0.10", { timeout = 2 })))
    end
    nothing_left(links)
  end)

  it("t:ping agrees with the ping binary on reachable and unreachable addresses", function()
    local chain <close>, r = build_chain("agree-", 3)
    local star <close> = build_star("agree-s-", 2)
    local cases = {
      { chain, "r1", "10.0.2.2", true },     -- two hops away
      { chain, "r3", "10.0.1.1", true },     -- and back
      { chain, "r1", "10.0.1.2", true },     -- the neighbour
      { chain, "r1", "10.9.9.9", false },    -- no route at all
      { star, "h1", "10.0.0.2", true },
      { star, "h1", "10.0.0.200", false },   -- on the subnet, but nobody's: no ARP reply
    }
    for _, c in ipairs(cases) do
      local t, from, addr, want = c[1], c[2], c[3], c[4]
      local lib = (t:ping(from, addr, { timeout = 1, count = 1 })) == true
      local bin = ping_binary(t.prefix .. from, addr)
      assert.are.equal(want, bin, ("ping from %s%s to %s"):format(t.prefix, from, addr))
      assert.are.equal(bin, lib, ("t:ping from %s%s to %s"):format(t.prefix, from, addr))
    end
    -- r2 no longer forwards: it answers r1 with an ICMP error, which is no echo reply
    r[2]:sysctl("net.ipv4.ip_forward", 0)
    assert.is_false(ping_binary("agree-r1", "10.0.2.2"))
    assert.is_false((chain:ping(r[1], "10.0.2.2", { timeout = 1, count = 1 })))
  end)

  it("t:dot() of a star, a chain and a table-built topology parses with dot -Tsvg", function()
    if not have_dot() then pending("graphviz (dot) is not installed") end
    local star <close> = build_star("dot-s-", 5)
    local chain <close> = build_chain("dot-c-", 4)
    local table_built <close> = netns.build(two_subnets("dot-t-"))
    for _, t in ipairs { star, chain, table_built } do
      local text = t:dot()
      assert.truthy(text:find('^graph "' .. t.prefix:gsub("%-", "%%-") .. '" {'), text)
      local ok, out = dot_parses(text)
      assert.is_true(ok, out)
    end
    -- the drawing of a destroyed topology is still the one it had
    local text = chain:dot()
    chain:destroy()
    assert.are.equal(text, chain:dot())
  end)

  describe("a build that fails halfway", function()
    -- h1 .. h8 on switch s; @patch changes the spec's links before the build.
    local function star_spec(prefix, patch)
      local spec = { prefix = prefix, hosts = {}, switches = { "s" }, links = {} }
      for i = 1, 8 do
        spec.hosts["h" .. i] = {}
        spec.links[i] = { "h" .. i, "s", addrs = { star_addr(i) .. "/24" } }
      end
      patch(spec.links)
      return spec
    end

    it("a duplicate interface name at the 7th link raises, naming it, and leaves nothing", function()
      local links = H.root_links()
      -- on the switch, where link 1 made s-eth0
      local ok, err = pcall(netns.build, star_spec("dup-", function(l) l[7].names = { nil, "s-eth0" } end))
      assert.is_false(ok)
      assert.truthy(err:find("link add s-eth0 (in dup-s): File exists [EEXIST]", 1, true), err)
      nothing_left(links)
    end)

    it("a duplicate name at the far end of the 7th link names the far end", function()
      local links = H.root_links()
      -- host to host: hub c is the far end of every link; the 7th reuses c-eth0
      local ok, err = pcall(function()
        local t <close> = netns.topology { prefix = "far-" }
        local c = t:host "c"
        for i = 1, 7 do
          t:link(t:host("h" .. i), c, { names = { nil, i == 7 and "c-eth0" or nil } })
        end
      end)
      assert.is_false(ok)
      assert.truthy(err:find("File exists", 1, true), err)
      assert.truthy(err:find("c-eth0", 1, true), "the message does not name the duplicate: " .. err)
      nothing_left(links)
    end)

    it("an invalid address at the 3rd host raises, naming it, and leaves nothing", function()
      local links = H.root_links()
      for _, c in ipairs {
        { "10.0.0.300/24", "not an IPv4 or IPv6 address" },
        { "10.0.0.3/33", "prefix length must be 0 to 32" },
        { "10.0.0.3", "missing prefix length" },
      } do
        local ok, err = pcall(netns.build, star_spec("bad-", function(l) l[3].addrs = { c[1] } end))
        assert.is_false(ok)
        assert.truthy(err:find(('invalid CIDR "%s": %s'):format(c[1], c[2]), 1, true), err)
        nothing_left(links)
      end
    end)
  end)
end)

describe("scripts/star.lua, chain.lua and two-subnets.lua", function()
  -- Runs scripts/@name with nslua and @args, @pre (a chunk for -e) first if
  -- given; returns its output (stdout and stderr) and exit code.
  local function run(name, args, pre)
    local cmd = ("cd %s && %s %s scripts/%s %s 2>&1"):format(H.quote(H.root), H.quote(NSLUA),
      pre and ("-e " .. H.quote(pre)) or "", name, args or "")
    local out, _, _, code = H.sh(cmd)
    return out, code
  end

  -- name, arguments, lines it shows, what it says when its pings go unanswered
  local SCRIPTS = {
    { "star.lua", "20", {
        "==> 20 hosts, h1 .. h20, each linked to s1",
        "h20 -> 10.0.0.1 10.0.0.2",
        "*** Results: 0% dropped (380/380 received)",
        "==> done: all 20 hosts reach each other",
    }, "380 of 380 pings got no answer: h1 -> 10.0.0.2, " },
    { "chain.lua", nil, {
        "==> 4 routers, r1 .. r4, forwarding",
        "==> r2: routes",
        "    10.0.3.0/30    via 10.0.2.2 dev r2-eth1",
        "==> r1: ping 10.0.3.2, across 3 hops",
        "==> r4: ping 10.0.1.1, across 3 hops",
        "==> done: r1 and r4 reach each other",
    }, "r1 cannot reach 10.0.3.2" },
    { "two-subnets.lua", nil, {
        "    a1 -> b2 10.2.0.12",
        "    b2 -> a1 10.1.0.11",
        'graph "two-" {',
        '"r" -- "sb" [taillabel="r-eth1\\n10.2.0.1/24", headlabel="sb-eth0"];',
        "==> done: both subnets reach each other through r",
    }, "a1 cannot reach b1 (10.2.0.11) through r" },
  }

  for _, s in ipairs(SCRIPTS) do
    local name, args, lines, failure = s[1], s[2], s[3], s[4]

    describe(name, function()
      it("is an executable nslua script", function()
        local path = H.root .. "/scripts/" .. name
        local f = assert(io.open(path))
        assert.are.equal("#!/usr/bin/env nslua", f:read("l"))
        f:close()
        assert.truthy(lfs.attributes(path, "permissions"):match("^rwx"))
      end)

      it("runs, checks its result, exits 0 and leaves nothing", function()
        local links = H.root_links()
        local out, code = run(name, args)
        assert.are.equal(0, code, out)
        for _, line in ipairs(lines) do
          assert.truthy(out:find(line, 1, true), ("missing %q in:\n%s"):format(line, out))
        end
        if name == "two-subnets.lua" and have_dot() then
          local ok, said = dot_parses(out:match("\n(graph .-\n}\n)"))
          assert.is_true(ok, said)
        end
        nothing_left(links)
      end)

      it("fails when nothing answers its pings, and still leaves nothing", function()
        local links = H.root_links()
        local pre = "local netns = require 'netns'; netns.NS.ping = function(_, a) " ..
          "if type(a) == 'table' then return {} end return false end"
        local out, code = run(name, args, pre)
        assert.are_not.equal(0, code, out)
        assert.truthy(out:find(failure, 1, true), out)
        assert.is_nil(out:find("==> done", 1, true), out)
        nothing_left(links)
      end)
    end)
  end
end)
