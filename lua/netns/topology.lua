--- Topologies: networks of hosts, switches and links that own all they create.
--
-- `netns.topology`, `netns.build` and `netns.graph` make and draw them.
-- Every step records its undo in a journal; destroy() runs the journal
-- newest first, a failed step undoes itself before raising, and a failed
-- build() tears the whole topology down.
-- @module netns.topology
local netns = require "netns"
local core = require "netns.core"

local raise = netns._raise
local check_options = netns._options   -- (opts, known, fname, arg): opts, or {} for nil

local T = {}
T.__index = T
T.__name = "netns.topology"

-- Topologies not yet destroyed, for netns.atexit; all made, for nslua
-- --graph (only then: a long run would keep every one).  Shared by every
-- copy of this module (a test runner may load it anew for each file).
local live, made = core.topologies.live, core.topologies.made

local function is_ns(v) return netns.is_ns(v) end

-- How messages name namespace @ns: "red", or "<anonymous 4026531992>".
local function ns_label(ns)
  return ns.name or tostring(ns):gsub("^netns ", "")
end

-- -------------------------------------------------------------------------
-- The journal

-- Runs @fn as one step: on failure, what it recorded is undone, then the
-- error is raised at the user's line.
function T:_alive()
  if self._destroyed then raise("netns: topology " .. self.prefix .. " is destroyed") end
end

function T:_step(fn, ...)
  self:_alive()
  local mark = #self._undo
  local ok, err = pcall(fn, self, ...)
  if ok then return err end
  local failed = self:_undo_to(mark)
  if #failed > 0 then     -- what is left behind is said, not hidden
    err = ("%s (and undoing the step failed: %s)"):format(tostring(err), table.concat(failed, "; "))
  end
  raise(err)
end

-- @implied: the undo is implied by undoing the namespaces, so a whole
-- destroy may skip it.
function T:_record(what, undo, implied)
  self._undo[#self._undo + 1] = { what = what, undo = undo, implied = implied }
end

-- What nslua's signal hook raises (lua/nslua.c): a stop, not a failure.
local is_interrupt = netns._is_interrupt

-- Undoes journal entries down to @mark; returns @failed (or a new list)
-- with the messages of undos that failed added.  An interrupt (a second Ctrl-C in nslua) stops it and is raised
-- again: the entry it stopped stays, with the rest, for the next destroy,
-- so every undo must be harmless to run twice.
function T:_undo_to(mark, failed)
  failed = failed or {}
  for i = #self._undo, mark + 1, -1 do
    local entry = self._undo[i]
    if not (mark == 0 and entry.implied) then
      local ok, err = pcall(entry.undo)
      if not ok and is_interrupt(err) then error(err, 0) end
      if not ok then failed[#failed + 1] = entry.what .. ": " .. tostring(err) end
    end
    self._undo[i] = nil
    if i % 32 == 0 then collectgarbage("step") end    -- as a build does, for the same reason
  end
  return failed
end

--- A network of hosts, switches and links that owns all it creates.
-- Made by `netns.topology` or `netns.build`.  Its hosts are anonymous
-- namespaces held by the running process and pinned at
-- `/run/netns/<prefix><name>`, so that `ip netns exec` reaches them.  It
-- removes all of it, newest first, on `destroy`, on `<close>`, when a step
-- fails, and (in nslua) when the script ends, fails or is interrupted.
-- `tostring(t)` is `netns topology lab- (3 nodes, 2 links)`.
--
-- Its methods raise on failure; a failed step is undone first.
-- @type Topology
-- @usage
-- local t <close> = netns.topology { prefix = "lab-" }
-- local h1, h2 = t:host "h1", t:host "h2"
-- local s = t:switch "s1"
-- t:link(h1, s, { addrs = { "10.0.0.1/24" } })
-- t:link(h2, s, { addrs = { "10.0.0.2/24" } })
-- assert(t:ping(h2, "10.0.0.1"))

--- The prefix of its pins under /run/netns.
-- @field prefix

-- Unpins every node whose handle is open, before any handle closes.  A
-- namespace whose last handle closes is freed by the kernel in the
-- background, and while it is, each unmount of a pin waits far longer
-- for the RCU grace period it needs: 2000 namespaces took 0.25 s to unpin
-- and close one by one, and 0.1 s all unpinned first.  Nothing else
-- undone needs the pins; one that stays is its unpin undo's to retry and
-- report.
local function unpin_open_nodes(self)
  for _, node in ipairs(self._order) do
    local h = node.ns._h
    if pcall(h.info, h) then h:unbind() end
  end
end

--- Removes everything the topology made: its pins, then the rest newest first; harmless twice.
-- @raise when an undo failed, naming each that did (the others still ran)
-- @usage t:destroy()
function T:destroy()
  if self._destroyed then return end
  -- What dot() draws from now on: the undos below forget nodes and links.
  self._drawn = self._drawn or { order = table.move(self._order, 1, #self._order, 1, {}),
                                 links = table.move(self._links, 1, #self._links, 1, {}) }
  -- Destroyed once every undo has run: one stopped by an interrupt is
  -- taken up again, where it stopped, by the next call.
  self._undo_failed = self._undo_failed or {}   -- kept for a resumed destroy to say
  unpin_open_nodes(self)
  local failed = self:_undo_to(0, self._undo_failed)
  self._destroyed = true
  live[self] = nil
  if #failed > 0 then
    raise("netns: topology " .. self.prefix .. " destroy: " .. table.concat(failed, "; "))
  end
end

function T:__close()
  -- nslua --keep leaves the script's topologies in place, those held with
  -- <close> too; it names them as the script ends.
  local host = package.loaded["netns.host"]
  if not (host and host.keep) then self:destroy() end
end

function T:__tostring()
  return ("netns topology %s (%d nodes, %d links)"):format(self.prefix, #self._order, #self._links)
end

-- -------------------------------------------------------------------------
-- Nodes

-- What is wrong with node name @name, or nil.
local function name_problem(name)
  if type(name) ~= "string" or not name:match("^[%w_.-]+$") or #name > 200 then
    return ("invalid node name %s"):format(type(name) == "string" and ("%q"):format(name) or type(name))
  end
end

-- What is wrong with the pin of node @name under @prefix, or nil.
local function pin_problem(prefix, name)
  local pin = prefix .. name
  local why = core.ns_name_problem(pin)
  if why then return ("invalid pin name %q: %s"):format(pin, why) end
end

-- Checks the name of a new node, argument #1 of method @fname: before
-- anything is made, as its pin must take it.
function T:_check_name(name, fname)
  local why = name_problem(name) or pin_problem(self.prefix, name)
  if why then raise(("bad argument #1 to '%s' (%s)"):format(fname, why)) end
end

-- A namespace of the topology's own: anonymous, held by this process,
-- pinned under the prefix so that `ip netns exec` reaches it.
-- netns.build hands out namespaces it made beforehand, in pools by the
-- forwarding they have on already: @pool names the one to take from.
function T:_namespace(name, pool)
  if self._nodes[name] then raise(("netns: topology %s: %s exists already"):format(self.prefix, name)) end
  local fresh = self._fresh and self._fresh[pool]
  local created, ns = true, fresh and fresh[#fresh]
  local pooled = ns ~= nil
  if pooled then fresh[#fresh] = nil else created, ns = pcall(netns.new) end
  if not created then -- say which node it was for
    raise(("netns: topology %s: %s: %s"):format(self.prefix, name, tostring(ns):gsub("^netns: ", "")))
  end
  self:_record("close " .. name, function() ns:close() end)
  local pin = self.prefix .. name
  -- Recorded first: whatever interrupts the script after the pin is made,
  -- the handle itself knows the name to undo.
  self:_record("unpin " .. pin, function()
    -- A handle the script closed was pinned (ns:pin returned): the pin is
    -- still its own unless the script deleted it, and perhaps another
    -- tool made one of that name since.
    local open, pinned = pcall(ns._h.info, ns._h)
    if not open then pinned = core.owned(pin) and pin or nil end
    if pinned then
      -- An unpin drops the owner record last: a pin without one is never
      -- cleaned up.  An open handle leaves alone a pin that holds another
      -- namespace by now, and drops its record itself.
      local unpinned, err, code
      if open then unpinned, err, code = ns._h:unbind() else unpinned, err, code = core.unpin(pinned) end
      if not unpinned then
        -- gone already (removed by another tool, or by this undo when an
        -- interrupt stopped it after the unpin)
        if code ~= netns._ERRNO.ENOENT then error(err, 0) end
        if not open then core.disown(pinned) end
      end
    end
  end)
  ns:pin(pin, true)
  -- netns.build sends each namespace's changes in one batch, once its links are made
  if self._building then ns._h:defer() end
  return ns, pooled
end

local HOST_OPTIONS = { forward = true, lo = true }

-- The sysctls each value of a host's `forward` option turns on.  IPv6
-- forwarding is asked for by name as well as with `true`: it changes more
-- than forwarding (a router ignores router advertisements and joins the
-- all-routers group on every link), which a router for IPv4 alone need
-- not pay for.
local FORWARD_KEYS = {
  [true] = { "net.ipv4.ip_forward", "net.ipv6.conf.all.forwarding" },
  ipv4 = { "net.ipv4.ip_forward" },
  ipv6 = { "net.ipv6.conf.all.forwarding" },
}

-- What is wrong with the values of host options @opts (their keys are known), or nil.
local function host_options_problem(opts)
  local forward = opts.forward
  if forward ~= nil and forward ~= false and not FORWARD_KEYS[forward] then
    return ("option 'forward' must be true, false, \"ipv4\" or \"ipv6\", got %s")
      :format(type(forward) == "string" and ("%q"):format(forward) or tostring(forward))
  end
  if opts.lo ~= nil and type(opts.lo) ~= "boolean" then
    return ("option 'lo' must be a boolean, got %s"):format(type(opts.lo))
  end
end

local function add_host(self, name, opts)
  local forward = opts.forward or false
  local ns, forwarding = self:_namespace(name, forward)
  if opts.lo ~= false then ns:link_set(1, { up = true }) end   -- lo is always index 1
  if not forwarding then
    for _, key in ipairs(FORWARD_KEYS[forward] or {}) do ns:sysctl(key, 1) end
  end
  local node = { name = name, ns = ns, kind = opts.kind or "host", ifaces = 0 }
  self._nodes[name], self._by_ns[ns.id] = node, node
  self._order[#self._order + 1] = node
  self:_record("forget " .. name, function()
    self._nodes[name], self._by_ns[ns.id] = nil, nil
    if self._order[#self._order] == node then table.remove(self._order) end
  end)
  return ns
end

--- A host: an anonymous namespace with lo up, pinned at `/run/netns/<prefix><name>`.
-- @tparam string name letters, digits, '_', '.' and '-'
-- @tparam[opt] table opts `forward = true` turns IPv4 and IPv6 forwarding on,
-- `forward = "ipv4"` or `"ipv6"` one of them; `lo = false` leaves lo down
-- @treturn netns.NS its namespace handle
-- @raise on a bad or taken name, or when the namespace cannot be made
-- @usage local r = t:host("r", { forward = true })
function T:host(name, opts)
  self:_check_name(name, "host")
  opts = check_options(opts, HOST_OPTIONS, "host", 2)
  local why = host_options_problem(opts)
  if why then raise(("bad argument #2 to 'host' (%s)"):format(why)) end
  return self:_step(add_host, name, opts)
end

local function add_switch(self, name)
  local ns = add_host(self, name, { kind = "switch" })
  local node = self._by_ns[ns.id]
  node.bridge = core.ifname_problem(name) and "br0" or name
  ns:bridge(node.bridge, { up = true })
  return ns
end

--- A switch: a bridge, named like the switch (`br0` when that cannot name an interface), in a namespace of its own.
-- @tparam string name letters, digits, '_', '.' and '-'
-- @treturn netns.NS its namespace handle
-- @raise on a bad or taken name, or when it cannot be made
-- @usage local s = t:switch "s1"
function T:switch(name)
  self:_check_name(name, "switch")
  return self:_step(add_switch, name)
end

-- The node @v names: a name, or a handle of its namespace (the topology's
-- own, or another one, from netns.open of its pin).
function T:_lookup(v)
  return (type(v) == "string" and self._nodes[v]) or (is_ns(v) and self._by_ns[v.id]) or nil
end

-- The node @v names, argument @arg of method @fname.
function T:_node(v, arg, fname)
  self:_alive()
  local node = self:_lookup(v)
  if not node then
    raise(("bad argument #%d to '%s' (not a host or switch of this topology: %s)"):format(arg, fname,
      tostring(v)))
  end
  return node
end

-- -------------------------------------------------------------------------
-- Links

local LINK_OPTIONS = { addrs = true, names = true, mtu = true, rate = true, vxlan = true }
local VXLAN_OPTIONS = { id = true, remote = true, ["local"] = true, dev = true, port = true,
                        ttl = true, underlay = true }

-- What is wrong with the options @vx of a vxlan link, or nil: each value
-- is checked as link_add checks it, and named as the user wrote it.
local function vxlan_problem(vx)
  if type(vx) ~= "table" then
    return ("option 'vxlan' must be a table, got %s"):format(type(vx))
  end
  for k in pairs(vx) do
    if not VXLAN_OPTIONS[k] then return ("unknown vxlan option '%s'"):format(tostring(k)) end
  end
  if math.type(vx.id) ~= "integer" or vx.id < 0 or vx.id > 0xffffff then
    return "vxlan option 'id' must be an integer from 0 to 16777215"
  end
  if type(vx.remote) ~= "string" then
    return "vxlan option 'remote' must be the other machine's address"
  end
  if vx.underlay ~= nil and not is_ns(vx.underlay) then
    return ("vxlan option 'underlay' must be a namespace handle, got %s"):format(type(vx.underlay))
  end
  if vx.underlay ~= nil and not pcall(vx.underlay.fileno, vx.underlay) then
    return ("vxlan option 'underlay' is a closed namespace handle (%s)"):format(
      vx.underlay.name or ("<anonymous %d>"):format(vx.underlay.id))
  end
  for _, k in ipairs { "remote", "local", "dev", "port", "ttl" } do
    local why = vx[k] ~= nil and core.link_problem { kind = "vxlan", id = vx.id, [k == "dev" and "link" or k] = vx[k] }
    if why then
      local rest = why:match("^option '[%w_]+'(.*)$")
      return ("vxlan option '%s'%s"):format(k, rest or (": " .. why))
    end
  end
end

-- What is wrong with link options @opts (their keys are known), or nil:
-- every value is checked, so that nothing is made for a link that would fail.
local function link_options_problem(opts)
  for _, k in ipairs { "addrs", "names" } do
    local v = opts[k]
    if v ~= nil and type(v) ~= "table" then
      return ("option '%s' must be a table, got %s"):format(k, type(v))
    end
    -- one for each end, at most: anything more would be dropped unseen
    for key in pairs(v or {}) do
      if key ~= 1 and key ~= 2 then
        return ("option '%s' holds one entry for each end (1 and 2), not %s"):format(k,
          type(key) == "string" and ("%q"):format(key) or tostring(key))
      end
    end
    for i = 1, 2 do
      local entry = v and v[i]
      if entry ~= nil and type(entry) ~= "string" then
        return ("option '%s': entry %d must be a string, got %s"):format(k, i, type(entry))
      end
      local why = entry and (k == "addrs" and core.cidr_problem(entry) or k == "names" and core.ifname_problem(entry))
      if why then
        return ("option '%s': entry %d: invalid %s \"%s\": %s"):format(k, i,
          k == "addrs" and "CIDR" or "interface name", entry, why)
      end
    end
  end
  local why = opts.mtu ~= nil and core.link_problem { kind = "veth", mtu = opts.mtu }
  if why then return why end
  why = opts.rate and core.rate_problem(opts.rate)   -- (false shapes nothing, as nil)
  if why then return "option 'rate': " .. why end
  if opts.vxlan ~= nil then return vxlan_problem(opts.vxlan) end
end

local function next_name(node)
  local name = ("%s-eth%d"):format(node.name, node.ifaces)
  node.ifaces = node.ifaces + 1
  if #name > 15 then name = ("eth%d"):format(node.ifaces - 1) end
  return name
end

-- The interface names of a step's ends at nodes @a and @b: @given[1] and
-- @given[2], or the next of each node's own.  A failed step gives its
-- nodes' names back: the next link takes them.
function T:_names(given, a, b)
  local count_a, count_b = a.ifaces, b and b.ifaces
  local name_a, name_b = given[1] or next_name(a), b and (given[2] or next_name(b))
  if a.ifaces ~= count_a or (b and b.ifaces ~= count_b) then
    self:_record("renumber " .. a.name, function()
      a.ifaces = count_a
      if b then b.ifaces = count_b end
    end, true)
  end
  return name_a, name_b
end

-- Undoes the listing of link @rec, the newest (each undo runs at most
-- once, but an interrupted destroy may run the last one again).
local function forget_link(self, rec)
  if self._links[#self._links] == rec then table.remove(self._links) end
end

local function add_addr(ns, dev, cidr)
  ns:addr_add(dev, cidr, { nodad = cidr:find(":", 1, true) ~= nil })
end

-- A veth between nodes @a and @b; with @records, its two ends as records
-- (which t:link returns, and netns.build, which returns none, skips: two
-- link reads per link are a fair part of what a large build costs).
local function add_link(self, a, b, opts, records)
  local name_a, name_b = self:_names(opts.names or {}, a, b)
  -- The end on a switch is made first, so that it joins the bridge as it is
  -- made; both ends come up with the pair.
  local swap = b.bridge and not a.bridge
  local first, second = a, b
  local n1, n2 = name_a, name_b
  if swap then first, second, n1, n2 = b, a, name_b, name_a end
  -- While building, the ends come up with the rest of their namespace's
  -- batch (a veth's peer cannot come up in the request that makes it).
  local building = self._building
  local ok, err = first.ns._h:link_add { kind = "veth", name = n1, peer = n2, peer_ns = second.ns._h,
                                         mtu = opts.mtu, master = first.bridge, up = not building }
  if not ok then raise(err) end
  -- Destroying the namespaces removes their links in one sweep, which is
  -- far cheaper than deleting them one by one: only a failed step needs this.
  self:_record("link del " .. n1, function() first.ns:link_del(n1, { missing_ok = true }) end, true)
  if building then
    first.ns:link_set(n1, { up = true })
    second.ns:link_set(n2, { up = true, master = second.bridge })
  elseif second.bridge then
    second.ns:link_set(n2, { master = second.bridge })
  end
  local addrs = opts.addrs or {}
  if addrs[1] then add_addr(a.ns, name_a, addrs[1]) end
  if addrs[2] then add_addr(b.ns, name_b, addrs[2]) end
  if opts.rate then
    a.ns:shape(name_a, opts.rate)
    b.ns:shape(name_b, opts.rate)
  end
  local rec = { a = a.name, b = b.name, names = { name_a, name_b }, addrs = { addrs[1], addrs[2] } }
  self._links[#self._links + 1] = rec
  self:_record("forget link " .. name_a, function() forget_link(self, rec) end)
  if records then return { a.ns:link(name_a), b.ns:link(name_b) } end
end

-- The end here of a link to a host on another machine: a VXLAN device
-- whose UDP socket is in the underlay namespace and which is in the host,
-- so that both machines' parts of one script name and address their
-- ends as a single machine would.
local function add_tunnel(self, node, far, here_first, opts)
  local vx = opts.vxlan
  local i = here_first and 1 or 2
  local name = self:_names({ (opts.names or {})[i] }, node)
  local underlay = vx.underlay or netns.current()
  if node.ns:link(name) then   -- the host's own: never taken for ours by the undo
    error(("netns: link add %s (in %s): File exists [EEXIST]"):format(name, ns_label(node.ns)), 0)
  end
  -- Recorded first: an interrupt just after the kernel made it still undoes
  -- it; a refusal made nothing.
  local refused = false
  self:_record("link del " .. name, function()
    if not refused then node.ns:link_del(name, { missing_ok = true }) end
  end, true)
  -- Asked of the underlay, where its socket stays, and made in the host
  -- by the same request: the underlay, not ours to leave things in, never
  -- holds it, whatever stops the script.
  local ok, added, msg = pcall(underlay._h.link_add, underlay._h, {
    name = name, ns = node.ns._h, kind = "vxlan", id = vx.id, remote = vx.remote,
    ["local"] = vx["local"], link = vx.dev, port = vx.port or 4789, ttl = vx.ttl, mtu = opts.mtu })
  refused = ok and not added
  if not vx.underlay then underlay:close() end
  if not ok then error(added, 0) end
  if not added then error(msg, 0) end
  local addr = (opts.addrs or {})[i]
  if addr then add_addr(node.ns, name, addr) end
  local l = node.ns:link_set(name, { up = true }) and node.ns:link(name)
  if opts.rate then node.ns:shape(name, opts.rate) end
  local names, addrs = {}, {}
  names[i], addrs[i] = name, addr
  local a, b = node.name, far
  if not here_first then a, b = far, node.name end
  local rec = { a = a, b = b, names = names, addrs = addrs, vxlan = { id = vx.id, remote = vx.remote } }
  self._links[#self._links + 1] = rec
  self:_record("forget link " .. name, function() forget_link(self, rec) end)
  self._remote[far] = true
  return here_first and { l } or { nil, l }
end

-- Checks a vxlan link's ends (link_options_problem has checked its
-- options); returns the node here, the far name and which end is here.
function T:_tunnel_ends(a, b)
  local here_a, here_b = self:_lookup(a), self:_lookup(b)
  if here_a and here_b then
    raise("bad argument #3 to 'link' (a vxlan link joins a host here to one on another machine)")
  end
  local node = here_a or here_b
  local far = a
  if here_a then far = b end
  if not node then
    raise(("bad argument #1 to 'link' (not a host or switch of this topology: %s)"):format(tostring(a)))
  end
  if type(far) ~= "string" or far == "" then
    raise(("bad argument #%d to 'link' (the host on the other machine, by name)"):format(here_a and 2 or 1))
  end
  return node, far, here_a and true or false
end

--- A veth between two nodes, both ends up; an end on a switch joins its bridge.
-- `opts` fields: `addrs` (one CIDR per end; nil skips an end), `names`
-- (interface names; by default `<node>-eth<N>`), `mtu`, `rate` (`10mbit`:
-- both ends shaped by a token bucket), `vxlan` (a host on another machine:
-- see below).
--
-- With `vxlan = { id =, remote =, local =, dev =, port =, ttl =, underlay = }`
-- one of `a`, `b` is a node here and the other names a host on another
-- machine, whose own part of the script makes the same link from its side.
-- The end here is a VXLAN device (VNI `id`, to `remote`, the other machine's
-- underlay address, over `dev`, UDP `port` 4789 by default) made in the
-- `underlay` namespace (the current one by default) and moved into the
-- host; only that end is returned, in its position.
-- @tparam string|netns.NS a a host or switch of this topology, by name or handle
-- @tparam string|netns.NS b the other node
-- @tparam[opt] table opts options
-- @treturn netns.Link the end at `a`
-- @treturn netns.Link the end at `b`
-- @raise on a node of another topology, bad options, or when a step fails (the link is undone)
-- @usage t:link(h1, r, { addrs = { "10.1.0.1/24", "10.1.0.2/24" } })
function T:link(a, b, opts)
  self:_alive()   -- (a tunnel's ends are no nodes to check it)
  opts = check_options(opts, LINK_OPTIONS, "link", 3)
  local why = link_options_problem(opts)
  if why then raise(("bad argument #3 to 'link' (%s)"):format(why)) end
  if opts.vxlan ~= nil then
    local node, far, here_first = self:_tunnel_ends(a, b)
    local ends = self:_step(add_tunnel, node, far, here_first, opts)
    return ends[1], ends[2]
  end
  local na, nb = self:_node(a, 1, "link"), self:_node(b, 2, "link")
  local ends = self:_step(add_link, na, nb, opts, not self._building)
  if ends then return ends[1], ends[2] end
end

-- -------------------------------------------------------------------------
-- Looking at it

--- The hosts and switches, in the order they were made.
-- @treturn {table,...} `{ name =, kind = "host" or "switch", ns = }` each
-- @usage for _, h in ipairs(t:hosts()) do print(h.name, h.kind) end
function T:hosts()
  local out = {}
  for i, node in ipairs(self._order) do
    out[i] = { name = node.name, kind = node.kind, ns = node.ns }
  end
  return out
end

--- The namespace handle of host or switch `name`, as `t:host` returned it.
-- @tparam string name a node's name
-- @treturn ?netns.NS its handle, nil when the topology has no such node
-- @raise when the topology is destroyed
-- @usage local a = netns.build(spec):ns "a"
function T:ns(name)
  self:_alive()
  if type(name) ~= "string" then
    raise(("bad argument #1 to 'ns' (string expected, got %s)"):format(name == nil and "no value" or type(name)))
  end
  local node = self._nodes[name]
  return node and node.ns or nil
end

--- The links, in the order they were made.
-- @treturn {table,...} `{ a =, b =, names = { ifname_a, ifname_b }, addrs = { cidr_a, cidr_b } }` each
-- @usage for _, l in ipairs(t:links()) do print(l.a, l.b, l.names[1]) end
function T:links()
  local out = {}
  for i, l in ipairs(self._links) do
    out[i] = { a = l.a, b = l.b, names = { l.names[1], l.names[2] }, addrs = { l.addrs[1], l.addrs[2] },
               vxlan = l.vxlan and { id = l.vxlan.id, remote = l.vxlan.remote } }
  end
  return out
end

--- ICMP echo from a host, as `ns:ping`.
-- @tparam string|netns.NS host a host of this topology
-- @tparam string|{string,...} addr an address, or a list of them
-- @tparam[opt] table opts `count`, `timeout`
-- @treturn boolean whether a reply came back (for a list: address -> ms or false)
-- @treturn ?number the round trip in milliseconds
-- @raise on a node of another topology or a bad address
-- @usage assert(t:ping(h2, "10.0.0.1"))
function T:ping(host, addr, opts)
  local node = self:_node(host, 1, "ping")
  return node.ns:ping(addr, opts)
end

-- Every address of @node, without the prefix length.
local function addresses_of(node)
  local out = {}
  for _, a in ipairs(node.ns:addrs()) do
    if a.scope == "global" then out[#out + 1] = a["local"] end
  end
  return out
end

--- Every host pings every other host's global addresses, each host all at once.
-- @tparam[opt] table opts `count`, `timeout`, as for `ns:ping`
-- @treturn table source host name -> address -> ms or false
-- @treturn string a printable summary ending `*** Results: N% dropped (R/S received)`
-- @usage print(select(2, t:pingall()))
function T:pingall(opts)
  self:_alive()
  local matrix, lines, sent, lost = {}, {}, 0, 0
  local hosts = {}
  for _, node in ipairs(self._order) do
    if node.kind == "host" then hosts[#hosts + 1] = node end
  end
  for _, src in ipairs(hosts) do
    local targets = {}
    for _, dst in ipairs(hosts) do
      if dst ~= src then
        for _, addr in ipairs(addresses_of(dst)) do targets[#targets + 1] = addr end
      end
    end
    local res = #targets > 0 and src.ns:ping(targets, opts) or {}
    matrix[src.name] = res
    local row = {}
    for _, addr in ipairs(targets) do
      sent = sent + 1
      if res[addr] then row[#row + 1] = addr else lost = lost + 1; row[#row + 1] = "X" end
    end
    lines[#lines + 1] = src.name .. " -> " .. table.concat(row, " ")
  end
  lines[#lines + 1] = ("*** Results: %d%% dropped (%d/%d received)"):format(
    sent > 0 and (lost * 100 // sent) or 0, sent - lost, sent)
  return matrix, table.concat(lines, "\n")
end

-- @s inside a DOT string: its quotes and backslashes escaped.
local function dot_text(s)
  return (s:gsub('[\\"]', "\\%0"))
end

local function dot_id(s)
  return '"' .. dot_text(s) .. '"'
end

--- Graphviz DOT of the topology.
-- Hosts are boxes, switches ellipses, links labelled with interface names and addresses.
-- @treturn string the DOT text
-- @usage io.open("lab.dot", "w"):write(t:dot())
function T:dot()
  local drawn = self._drawn or { order = self._order, links = self._links }
  local out = { "graph " .. dot_id(self.prefix) .. " {",
                "  graph [rankdir=LR, nodesep=0.8, ranksep=2.2];",
                "  node [fontname=Helvetica];",
                "  edge [fontname=Helvetica, fontsize=9, labeldistance=3.5, labelangle=20];" }
  for _, node in ipairs(drawn.order) do
    out[#out + 1] = ("  %s [shape=%s];"):format(dot_id(node.name),
      node.kind == "switch" and "ellipse" or "box")
  end
  local far = {}
  for name in pairs(self._remote) do far[#far + 1] = name end
  table.sort(far)
  for _, name in ipairs(far) do
    out[#out + 1] = ("  %s [shape=box, style=dashed];"):format(dot_id(name))
  end
  for _, l in ipairs(drawn.links) do
    local function label(i)   -- the name, and the address under it
      return dot_text(l.names[i] or "") .. (l.addrs[i] and ("\\n" .. dot_text(l.addrs[i])) or "")
    end
    out[#out + 1] = ("  %s -- %s [taillabel=\"%s\", headlabel=\"%s\"%s];"):format(
      dot_id(l.a), dot_id(l.b), label(1), label(2),
      l.vxlan and (", style=dashed, label=\"vxlan " .. l.vxlan.id .. "\"") or "")
  end
  out[#out + 1] = "}"
  return table.concat(out, "\n") .. "\n"
end

-- -------------------------------------------------------------------------
-- Making topologies

local M = {}

-- A new, empty topology; its pins are /run/netns/<prefix><name>.
function M.new(opts)
  opts = opts or {}
  if type(opts) ~= "table" then raise("bad argument #1 to 'topology' (table expected, got " .. type(opts) .. ")") end
  for k in pairs(opts) do
    if k ~= "prefix" then raise(("bad argument #1 to 'topology' (unknown option '%s')"):format(tostring(k))) end
  end
  local prefix = opts.prefix or ""
  if type(prefix) ~= "string" or prefix:find("[/%z]") then
    raise("bad argument #1 to 'topology' (prefix must be a string without '/' or NUL)")
  end
  local t = setmetatable({ prefix = prefix, _undo = {}, _nodes = {}, _by_ns = {},
                           _order = {}, _links = {}, _remote = {} }, T)
  live[t] = true
  local host = package.loaded["netns.host"]
  if host and host.graph then made[#made + 1] = t end
  return t
end

-- A one-line progress report on a terminal, once a build has taken a
-- second (or NETNS_PROGRESS_AFTER seconds): quick builds stay silent.
local function progress(prefix, total)
  local host = package.loaded["netns.host"] or {}
  if host.quiet or not core.isatty(2) then return function() end end
  local after = math.tointeger(tonumber(os.getenv("NETNS_PROGRESS_AFTER"))) or 1
  local start, shown, done = os.time(), false, 0
  return function(finished)
    done = done + 1
    if finished then
      if shown then io.stderr:write("\r\27[K") end
    elseif os.time() - start >= after then
      shown = true
      io.stderr:write(("\rbuilding %s: %d of %d steps"):format(prefix, done, total))
    end
  end
end

-- Each step leaves a little garbage (rereads of links, messages); collected
-- as it goes, a build of a thousand hosts peaks near what it keeps, not at
-- twice that.
local function tidy(report)
  local steps = 0
  return function(finished)
    steps = steps + 1
    if steps % 32 == 0 then collectgarbage("step") end
    report(finished)
  end
end

-- The changes deferred in @node's namespace, with its routes, sent in one batch.
local function send_node(node, routes)
  for _, r in ipairs(routes or {}) do node.ns:route_add(r) end
  local ok, err = node.ns._h:flush()
  if not ok then raise(err) end
  node.sent = true
end

-- How many links of @links end at each node (a malformed link is left to
-- t:link to report).
local function link_counts(links)
  local count = {}
  for _, l in ipairs(links) do
    if type(l) == "table" then
      for i = 1, 2 do
        if l[i] ~= nil then count[l[i]] = (count[l[i]] or 0) + 1 end
      end
    end
  end
  return count
end

-- A link carries packets once the kernel's link watcher has seen it come
-- up: that starts its queueing (and a bridge's forwarding on a port), and
-- what is sent before is dropped.  The watcher's queue is not in the order
-- the ends came up, so each end is waited for, the last link's first: once
-- they are UP, most others are, and cost a look each.
local function wait_ends_up(t)
  for k = #t._links, 1, -1 do
    local l = t._links[k]
    if not l.vxlan then
      for i = 1, 2 do
        local ns, name = t._nodes[l[i == 1 and "a" or "b"]].ns, l.names[i]
        -- a look at the state alone first: ns:wait checks its condition on
        -- a dressed record, which a build that is nearly always there
        -- already need not pay for twice a link
        if ns._h:operstate(name) ~= "UP" then
          ns:wait { link = name, operstate = "UP", timeout = 2 }
        end
      end
    end
  end
end

-- Every namespace made at once, in parallel: most of a namespace's cost
-- is the kernel's, and it makes several at a time.  The thread that makes
-- one turns its forwarding on while still inside, which saves a trip in
-- and out later: one pool for each value of `forward` the hosts ask for.
local function make_namespaces(t, hosts, names, switches)
  local count, order = { [false] = switches }, { false }
  for _, name in ipairs(names) do
    local opts = hosts[name]
    local forward = type(opts) == "table" and opts.forward or false
    if not count[forward] then count[forward], order[#order + 1] = 0, forward end
    count[forward] = count[forward] + 1
  end
  local pools = {}
  t._fresh = pools
  t:_record("close unused namespaces", function()   -- run twice after an interrupt: no harm
    for _, pool in pairs(pools) do
      for _, ns in ipairs(pool) do ns:close() end
    end
    t._fresh = nil
  end)
  for _, forward in ipairs(order) do
    local sysctl = {}
    for _, key in ipairs(FORWARD_KEYS[forward] or {}) do sysctl[key] = 1 end
    local created, fresh = pcall(netns.new_many, count[forward], { sysctl = sysctl })
    if not created then
      if is_interrupt(fresh) then error(fresh, 0) end   -- nslua's, as it raised it
      raise(("netns: topology %s: %s"):format(t.prefix, tostring(fresh):gsub("^netns: ", "")))
    end
    pools[forward] = fresh
  end
end

local function build_steps(t, spec)
  local hosts, links, routes = spec.hosts or {}, spec.links or {}, spec.routes or {}
  local names = {}
  for name in pairs(hosts) do names[#names + 1] = name end
  table.sort(names)
  local step = tidy(progress(t.prefix, #names + #(spec.switches or {}) + #links))
  -- Building: links are not read back (nothing returns them), and each
  -- namespace's changes (links up, addresses, routes) wait to be sent in
  -- one batch: a round trip per namespace rather than one per change.
  t._building = true
  make_namespaces(t, hosts, names, #(spec.switches or {}))
  for _, name in ipairs(names) do
    local opts = hosts[name]
    t:host(name, type(opts) == "table" and opts or nil)
    step()
  end
  for _, name in ipairs(spec.switches or {}) do t:switch(name); step() end
  -- A node's batch goes as soon as its last link is made: the kernel is
  -- quicker bringing each link up soon after making it than all of them
  -- at the end.  A switch's ports thus all come up together, which is
  -- quicker still for a bridge.
  local degree, left = link_counts(links), {}
  for k, v in pairs(degree) do left[k] = v end
  for _, l in ipairs(links) do
    t:link(l[1], l[2], { addrs = l.addrs, names = l.names, mtu = l.mtu, rate = l.rate,
                         vxlan = l.vxlan })
    for i = 1, 2 do
      left[l[i]] = left[l[i]] - 1
      local node = t._nodes[l[i]]
      if left[l[i]] == 0 and node and not node.sent then send_node(node, routes[l[i]]) end
    end
    step()
  end
  t._building = nil
  for _, node in ipairs(t._order) do
    if not node.sent then send_node(node, routes[node.name]) end
  end
  wait_ends_up(t)
  step(true)
end

local SPEC_FIELDS = { prefix = true, hosts = true, switches = true, links = true, routes = true }

local function bad_spec(fmt, ...)
  raise(("bad argument #1 to 'build' (" .. fmt .. ")"):format(...))
end

local function check_list(list, what)
  if list == nil then return end
  if type(list) ~= "table" then bad_spec("%s: table expected, got %s", what, type(list)) end
  for k in pairs(list) do
    if math.type(k) ~= "integer" or k < 1 or k > #list then
      bad_spec("%s: a list expected, found key %s", what, tostring(k))
    end
  end
end

-- A link's ends: the nodes named, or, for a tunnel, one node and the
-- name of a host on another machine.
local function check_ends(i, l, nodes)
  if not l.vxlan then
    for e = 1, 2 do
      if not nodes[l[e]] then bad_spec("links[%d]: no host or switch named %s", i, tostring(l[e])) end
    end
    return
  end
  local here_a, here_b = nodes[l[1]], nodes[l[2]]
  if here_a and here_b then
    bad_spec("links[%d]: a vxlan link joins a host here to one on another machine", i)
  elseif not (here_a or here_b) then
    bad_spec("links[%d]: no host or switch named %s", i, tostring(l[1]))
  end
  local far = l[1]
  if here_a then far = l[2] end
  if type(far) ~= "string" or far == "" then
    bad_spec("links[%d]: the host on the other machine must be named, got %s", i, tostring(far))
  end
end

-- The whole spec, its shape and its values, checked before anything is
-- made: a misspelt field would otherwise be passed over without a word,
-- and a bad value found only once namespaces are made, by a method the
-- user never called.
local function check_spec(spec)
  for k in pairs(spec) do
    if not SPEC_FIELDS[k] then bad_spec("unknown field '%s'", tostring(k)) end
  end
  local prefix = spec.prefix or ""
  if type(prefix) ~= "string" or prefix:find("[/%z]") then
    bad_spec("prefix must be a string without '/' or NUL")
  end
  if spec.hosts ~= nil and type(spec.hosts) ~= "table" then
    bad_spec("hosts: table expected, got %s", type(spec.hosts))
  end
  local nodes = {}
  for name, opts in pairs(spec.hosts or {}) do
    if type(name) ~= "string" then bad_spec("hosts: keys are host names, found a %s", type(name)) end
    local bad_name = name_problem(name)
    if bad_name then bad_spec("hosts: %s", bad_name) end
    bad_name = pin_problem(prefix, name)
    if bad_name then bad_spec("hosts.%s: %s", name, bad_name) end
    if opts ~= true and type(opts) ~= "table" then
      bad_spec("hosts.%s: table of options or true expected, got %s", name, type(opts))
    end
    for k in pairs(opts == true and {} or opts) do
      if not HOST_OPTIONS[k] then bad_spec("hosts.%s: unknown option '%s'", name, tostring(k)) end
    end
    local why = opts ~= true and host_options_problem(opts)
    if why then bad_spec("hosts.%s: %s", name, why) end
    nodes[name] = true
  end
  check_list(spec.switches, "switches")
  for i, name in ipairs(spec.switches or {}) do
    if type(name) ~= "string" then bad_spec("switches[%d]: a name expected, got %s", i, type(name)) end
    local why = name_problem(name) or pin_problem(prefix, name)
    if why then bad_spec("switches[%d]: %s", i, why) end
    if nodes[name] then bad_spec("switches[%d]: a host or switch named %s exists already", i, name) end
    nodes[name] = true
  end
  check_list(spec.links, "links")
  for i, l in ipairs(spec.links or {}) do
    if type(l) ~= "table" then bad_spec("links[%d]: table expected, got %s", i, type(l)) end
    for k in pairs(l) do
      if k ~= 1 and k ~= 2 and not LINK_OPTIONS[k] then
        bad_spec("links[%d]: unknown field '%s'", i, tostring(k))
      end
    end
    local why = link_options_problem(l)
    if why then bad_spec("links[%d]: %s", i, why) end
    check_ends(i, l, nodes)
  end
  if spec.routes ~= nil and type(spec.routes) ~= "table" then
    bad_spec("routes: table expected, got %s", type(spec.routes))
  end
  for name, list in pairs(spec.routes or {}) do
    if not nodes[name] then bad_spec("routes: no host or switch named %s", tostring(name)) end
    check_list(list, "routes." .. name)
    for i, r in ipairs(list) do
      local why = core.route_problem(r) or netns._flag_problem(r, "exist_ok")
      if why then bad_spec("routes.%s[%d]: %s", name, i, why) end
    end
  end
end

-- A whole topology from one table; all or nothing.
function M.build(spec)
  if type(spec) ~= "table" then raise("bad argument #1 to 'build' (table expected)") end
  check_spec(spec)
  local t = M.new { prefix = spec.prefix }
  local ok, err = pcall(build_steps, t, spec)
  if not ok then
    local undone, left = pcall(t.destroy, t)
    if not undone then err = ("%s (and then %s)"):format(tostring(err), tostring(left)) end
    raise(err)
  end
  return t
end

-- The veth peer of @l among the links of the other namespaces: in the
-- namespace @l's netnsid names, the end with @l's peer index.
local function find_peer(seen, l)
  for _, other in ipairs(seen) do
    if other.ns ~= l.ns and other.ifindex == l.link_index and l.ns:nsid(other.ns) == l.link_netnsid then
      return other
    end
  end
end

-- Graphviz DOT of what exists in namespaces @list (handles): one cluster
-- per namespace, bridges with their ports, and veth pairs joined across
-- namespaces by peer index and namespace id, whatever made them.
function M.graph(list)
  if type(list) ~= "table" then
    raise(("bad argument #1 to 'graph' (table expected, got %s)"):format(type(list)))
  end
  for i, ns in ipairs(list) do
    if not is_ns(ns) then
      raise(("bad argument #1 to 'graph' (entry %d is not a namespace handle)"):format(i))
    end
  end
  local out = { "graph netns {", "  node [fontname=Helvetica, shape=box];", "  compound=true;" }
  local all, ids = {}, {}
  for i, ns in ipairs(list) do
    out[#out + 1] = ("  subgraph cluster_%d { label=%s;"):format(i, dot_id(ns_label(ns)))
    for _, l in ipairs(ns:links()) do
      if l.ifname ~= "lo" then
        local id = ("n%d_%d"):format(i, l.ifindex)
        ids[l] = id
        all[#all + 1] = l
        out[#out + 1] = ("    %s [label=%s%s];"):format(id, dot_id(l.ifname),
          l.kind == "bridge" and ", shape=ellipse" or "")
      end
    end
    out[#out + 1] = "  }"
  end
  for _, l in ipairs(all) do
    if l.master then
      for _, m in ipairs(all) do
        if m.ns == l.ns and m.ifname == l.master then
          out[#out + 1] = ("  %s -- %s [style=dashed];"):format(ids[l], ids[m])
        end
      end
    end
    if l.kind == "veth" and l.link then
      for _, m in ipairs(all) do
        if m.ns == l.ns and m.ifname == l.link and ids[l] < ids[m] then
          out[#out + 1] = ("  %s -- %s;"):format(ids[l], ids[m])
        end
      end
    elseif l.kind == "veth" and l.link_index then
      local peer = find_peer(all, l)
      if peer and ids[l] < ids[peer] then
        out[#out + 1] = ("  %s -- %s;"):format(ids[l], ids[peer])
      end
    end
  end
  out[#out + 1] = "}"
  return table.concat(out, "\n") .. "\n"
end

-- Every topology not yet destroyed.
function M.live()
  local out = {}
  for t in pairs(live) do out[#out + 1] = t end
  table.sort(out, function(x, y) return x.prefix < y.prefix end)
  return out
end

-- At the end of a script: write the graph of every topology it made when
-- asked, then destroy those still standing (unless @keep).  Returns the errors met, if any.
function M.finish(keep, graph, quiet)
  local errors = {}
  if graph then
    local f, err = io.open(graph, "w")
    if f then
      for _, t in ipairs(made) do f:write(t:dot()) end
      f:close()
    else
      errors[#errors + 1] = err
    end
  end
  if keep then
    -- Their pins stay, still owned by this (soon ended) run: cleanup removes them.
    for _, t in ipairs(M.live()) do
      local pins = {}
      for _, node in ipairs(t._order) do pins[#pins + 1] = t.prefix .. node.name end
      if not quiet then
        io.stderr:write(("nslua: kept topology %s (%s); remove it with: nslua --cleanup %s\n")
          :format(t.prefix, table.concat(pins, " "), t.prefix))
      end
    end
  else
    for _, t in ipairs(M.live()) do
      -- A second Ctrl-C stops a destroy once (nslua then lets a third
      -- kill it): the next try takes it up where it stopped.
      for _ = 1, 3 do
        local ok, err = pcall(t.destroy, t)
        if not ok then errors[#errors + 1] = tostring(err) end
        if t._destroyed then break end
      end
    end
  end
  return errors
end

M.Topology = T
return M
