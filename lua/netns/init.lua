-- netns: Linux network namespaces, links, addresses, routes and neighbours.
--
-- This layer turns the C binding's `nil, message, errno` results into errors
-- raised at the caller's line, wraps namespace handles so that they carry
-- `name`, `path` and `id`, and gives link records their shorthand methods.

local core = require "netns.core"

local M = {}

local NS = {}          -- methods of a namespace handle
NS.__index = NS
NS.__name = "netns"

local Link = {}        -- methods of a link record

-- rec.link_netns: the handle of the namespace a veth's peer is in, looked
-- up only when asked for, among the handles this process holds.
local ns_by_nsid
function Link.__index(rec, key)
  if key == "link_netns" and rec.link_netnsid then
    return ns_by_nsid(rec.ns, rec.link_netnsid)
  end
  return Link[key]
end

local ERRNO = { EEXIST = 17, ENOENT = 2, ENODEV = 19, ESRCH = 3, EADDRNOTAVAIL = 99 }

-- Whether a chunk is one of this layer's files (".../netns/NAME.lua").
local function is_layer(source)
  return source:match("^@netns/[^/]+%.lua$") or source:match("^@.*/netns/[^/]+%.lua$")
end

-- Raises @msg at the first caller outside this layer, however deep the
-- layer called itself, so that messages point at the user's line.
local function raise(msg)
  local level = 2    -- 1 is this function; 2, its caller, is always the layer
  while true do
    local info = debug.getinfo(level, "S")
    if not info or not is_layer(info.source) then break end
    level = level + 1
  end
  error(msg, level)
end
M._raise = raise

-- Raises the message of a failed call; passes a successful one's results on.
local function check(ok, msg, ...)
  if ok == nil or ok == false then raise(msg) end
  return ok, msg, ...
end

-- Checks that table @opts has only @known keys; @fname and @arg for the message.
local function options(opts, known, fname, arg)
  if opts == nil then return {} end
  if type(opts) ~= "table" then
    raise(("bad argument #%d to '%s' (table expected, got %s)"):format(arg, fname, type(opts)))
  end
  for k in pairs(opts) do
    if not known[k] then
      raise(("bad argument #%d to '%s' (unknown option '%s')"):format(arg, fname, tostring(k)))
    end
  end
  return opts
end

-- Argument checks made here, so that messages name the method the user called.
local function check_ifname(v, fname, arg)
  if type(v) ~= "string" then
    raise(("bad argument #%d to '%s' (string expected, got %s)"):format(arg, fname,
      v == nil and "no value" or type(v)))
  end
  local why = core.ifname_problem(v)
  if why then
    raise(("bad argument #%d to '%s' (invalid interface name \"%s\": %s)"):format(arg, fname, v, why))
  end
end

local function check_cidr(v, fname, arg)
  if type(v) ~= "string" then
    raise(("bad argument #%d to '%s' (string expected, got %s)"):format(arg, fname,
      v == nil and "no value" or type(v)))
  end
  local why = core.cidr_problem(v)
  if why then raise(("bad argument #%d to '%s' (invalid CIDR \"%s\": %s)"):format(arg, fname, v, why)) end
end

local function check_ns_option(v, fname, arg, key)
  if v ~= nil and getmetatable(v) ~= NS then
    raise(("bad argument #%d to '%s' (option '%s' must be a namespace handle, got %s)")
      :format(arg, fname, key, type(v)))
  end
end

-- A copy of @t without the keys in @drop, with handles unwrapped.
local function strip(t, drop)
  if t == nil then return nil end
  local out = {}
  for k, v in pairs(t) do
    if not drop[k] then
      out[k] = (getmetatable(v) == NS) and v._h or v
    end
  end
  return out
end

---------------------------------------------------------------------------
-- Records print as `ip` prints them: one metatable per kind, shared by
-- all records of that kind, and one for the lists the methods return.

local Addr, Route, Neigh, Rule, List = {}, {}, {}, {}, {}
Addr.__name, Route.__name, Neigh.__name, Rule.__name = "netns.addr", "netns.route",
  "netns.neigh", "netns.rule"

-- Appends to @out the word @key, followed by @value unless it is true;
-- nothing when @value is nil or false.
local function say(out, key, value)
  if value == nil or value == false then return end
  out[#out + 1] = value == true and key or key .. " " .. tostring(value)
end

-- A link as `ip -br link` shows it, then its MTU and its master.
function Link:__tostring()
  local peer = self.link or (self.link_index and "if" .. self.link_index)
  local out = { ("%-16s %-14s %s<%s>"):format(peer and self.ifname .. "@" .. peer or self.ifname,
    self.operstate or "UNKNOWN", self.address and self.address .. " " or "",
    table.concat(self.flags or {}, ",")) }
  say(out, "mtu", self.mtu)
  say(out, "master", self.master)
  return table.concat(out, " ")
end

-- An address as `ip address add` takes it: "10.0.0.1/24 dev eth0"; with a
-- peer, the prefix length is the peer's ("10.9.0.1 peer 10.9.0.2/32").
function Addr:__tostring()
  local out = { self.address and self["local"] or self.cidr }
  say(out, "peer", self.address and self.address .. "/" .. self.prefixlen)
  say(out, "dev", self.ifname or self.ifindex)
  say(out, "scope", self.scope ~= "global" and self.scope)
  say(out, "label", self.label ~= self.ifname and self.label)
  say(out, "tentative", self.tentative)
  say(out, "dadfailed", self.dadfailed)
  return table.concat(out, " ")
end

local function say_flags(out, flags)
  for _, f in ipairs(flags or {}) do out[#out + 1] = f end
end

-- A route as `ip route` shows it.
function Route:__tostring()
  local out = {}
  if self.type ~= "unicast" then out[1] = self.type end
  out[#out + 1] = self.dst
  say(out, "via", self.gateway)
  say(out, "dev", self.dev)
  say(out, "table", self.table ~= "main" and self.table)
  say(out, "proto", self.protocol ~= "boot" and self.protocol)
  say(out, "scope", self.scope ~= "global" and self.scope)
  say(out, "src", self.prefsrc)
  say(out, "metric", self.metric)
  say_flags(out, self.flags)
  for _, nh in ipairs(self.nexthops or {}) do
    out[#out + 1] = "nexthop"
    say(out, "via", nh.gateway)
    say(out, "dev", nh.dev)
    say(out, "weight", nh.weight)
    say_flags(out, nh.flags)
  end
  say(out, "pref", self.pref)
  return table.concat(out, " ")
end

-- A neighbour as `ip neigh` shows it.
function Neigh:__tostring()
  local out = { self.dst }
  say(out, "dev", self.dev)
  say(out, "lladdr", self.lladdr)
  say(out, "router", self.router)
  say(out, "proxy", self.proxy)
  say_flags(out, self.state)
  return table.concat(out, " ")
end

-- A rule as `ip rule` shows it: "32766:\tfrom all lookup main".
function Rule:__tostring()
  local function sel(addr, len) return addr and (len and addr .. "/" .. len or addr) end
  local out = {}
  say(out, "not", self["not"])
  say(out, "from", sel(self.src, self.srclen))
  say(out, "to", sel(self.dst, self.dstlen))
  say(out, "tos", self.tos)
  say(out, "fwmark", sel(self.fwmark, self.fwmask))
  say(out, "iif", self.iif)
  say(out, "oif", self.oif)
  say(out, "ipproto", self.ipproto)
  say(out, "sport", self.sport or (self.sport_start and self.sport_start .. "-" .. self.sport_end))
  say(out, "dport", self.dport or (self.dport_start and self.dport_start .. "-" .. self.dport_end))
  say(out, "uidrange", self.uid_start and self.uid_start .. "-" .. self.uid_end)
  say(out, "lookup", self.table)
  say(out, "suppress_prefixlength", self.suppress_prefixlen)
  out[#out + 1] = self.action
  say(out, "goto", self["goto"])
  return self.priority .. ":\t" .. table.concat(out, " ")
end

-- A list of records: one record a line.
function List:__tostring()
  local out = {}
  for i, rec in ipairs(self) do out[i] = tostring(rec) end
  return table.concat(out, "\n")
end

-- Gives the records of @list their kind's metatable @mt, and @list its own.
local function records(list, mt)
  for i = 1, #list do setmetatable(list[i], mt) end
  return setmetatable(list, List)
end

---------------------------------------------------------------------------
-- Namespace handles

-- The handles given out, so that a link's peer namespace can be found among them.
local live = setmetatable({}, { __mode = "k" })

local function wrap(h)
  local name, path, id, dev = h:info()
  local ns = setmetatable({ _h = h, name = name, path = path, id = id, _dev = dev }, NS)
  live[ns] = true
  return ns
end

-- The handle, among those open, of the namespace known as @nsid inside @ns.
function ns_by_nsid(ns, nsid)
  for other in pairs(live) do
    local ok, id = pcall(ns._h.nsid, ns._h, other._h)
    if ok and id == nsid then return other end
  end
  return nil
end

local function checked_wrap(h, msg)
  if not h then raise(msg) end
  return wrap(h)
end

function NS.__eq(a, b)
  return a.id == b.id and a._dev == b._dev
end

function NS.__tostring(ns)
  return tostring(ns._h)
end

function NS:close()
  self._h:close()
end
NS.__close = NS.close

--- The handle's namespace file descriptor (for `setns` by other code).
function NS:fileno()
  return self._h:fileno()
end

function NS:delete()
  self._h:info()    -- raises on a closed handle before anything is removed
  local name = self.name
  if name and self.path == "/run/netns/" .. name then
    check(core.delete(name))
  end
  self._h:close()
end

function NS:pin(name, own)
  check(self._h:pin(name, own))
  self.name, self.path = name, "/run/netns/" .. name
  return self
end

function NS:unpin()
  self._h:info()
  if self.name then
    check(core.unpin(self.name))
    self._h:forget_name()
    self.name, self.path = nil, nil
  end
  return self
end

--- The id under which namespace @other is known inside this one (nil when it
-- has none), as `ip netns list-id`; @id (a number, or true for any) assigns one.
function NS:nsid(other, id)
  if getmetatable(other) ~= NS then
    raise(("bad argument #1 to 'nsid' (namespace handle expected, got %s)"):format(
      other == nil and "no value" or type(other)))
  end
  local nsid, msg = self._h:nsid(other and other._h, id)
  if nsid == nil and msg then raise(msg) end
  return nsid
end

function NS:run(fn, ...)
  return self._h:run(fn, ...)
end

---------------------------------------------------------------------------
-- Links

local function link_record(ns, rec)
  rec.ns = ns
  return setmetatable(rec, Link)
end

function NS:links()
  local list = check(self._h:links())
  for _, rec in ipairs(list) do link_record(self, rec) end
  return setmetatable(list, List)
end

function NS:link(dev)
  local rec, msg = self._h:link(dev)
  if rec then return link_record(self, rec) end
  if msg then raise(msg) end
  return nil
end

-- Re-reads link @dev after a change, raising if it vanished.
local function reread(ns, dev)
  local rec = ns:link(dev)
  if not rec then raise(("netns: link %s vanished (in %s)"):format(dev, tostring(ns))) end
  return rec
end

function NS:link_add(spec)
  check(self._h:link_add(strip(spec, {})))
  return spec.name and reread(self, spec.name) or true
end

function NS:link_set(dev, changes)
  if type(changes) == "table" then check_ns_option(changes.ns, "link_set", 2, "ns") end
  check(self._h:link_set(dev, strip(changes, {})))
  return true
end

function NS:link_del(dev, opts)
  opts = options(opts, { missing_ok = true }, "link_del", 2)
  local ok, msg, code = self._h:link_del(dev)
  if not ok and opts.missing_ok and code == ERRNO.ENODEV then return false end
  return check(ok, msg)
end

local VETH_OPTIONS = { peer_ns = true, mtu = true, address = true, peer_address = true,
                       master = true, up = true }

function NS:veth(name, peer, opts)
  check_ifname(name, "veth", 1)
  check_ifname(peer, "veth", 2)
  opts = options(opts, VETH_OPTIONS, "veth", 3)
  check_ns_option(opts.peer_ns, "veth", 3, "peer_ns")
  check(self._h:link_add {
    kind = "veth", name = name, peer = peer, peer_ns = opts.peer_ns and opts.peer_ns._h,
    mtu = opts.mtu, address = opts.address, peer_address = opts.peer_address,
    master = opts.master, up = opts.up,
  })
  local peer_ns = opts.peer_ns or self
  return reread(self, name), reread(peer_ns, peer)
end

local BRIDGE_OPTIONS = { mtu = true, address = true, up = true, master = true }

function NS:bridge(name, opts)
  check_ifname(name, "bridge", 1)
  opts = options(opts, BRIDGE_OPTIONS, "bridge", 2)
  check(self._h:link_add { kind = "bridge", name = name, mtu = opts.mtu,
                           address = opts.address, up = opts.up, master = opts.master })
  return reread(self, name)
end

function Link:up()
  check(self.ns._h:link_set(self.ifindex, { up = true }))
  return reread(self.ns, self.ifindex)
end

function Link:down()
  check(self.ns._h:link_set(self.ifindex, { up = false }))
  return reread(self.ns, self.ifindex)
end

local LINK_SET_OPTIONS = { up = true, mtu = true, name = true, address = true, master = true,
                          txqlen = true, alias = true, ns = true }

function Link:set(changes)
  if type(changes) ~= "table" then
    raise(("bad argument #1 to 'set' (table expected, got %s)"):format(
      changes == nil and "no value" or type(changes)))
  end
  options(changes, LINK_SET_OPTIONS, "set", 1)
  check_ns_option(changes.ns, "set", 1, "ns")
  check(self.ns._h:link_set(self.ifindex, strip(changes, {})))
  if changes and changes.ns then return reread(changes.ns, changes.name or self.ifname) end
  return reread(self.ns, self.ifindex)
end

function Link:addr_add(cidr, opts)
  check_cidr(cidr, "addr_add", 1)
  self.ns:addr_add(self.ifindex, cidr, opts)
  return reread(self.ns, self.ifindex)
end

function Link:addr_del(cidr, opts)
  check_cidr(cidr, "addr_del", 1)
  self.ns:addr_del(self.ifindex, cidr, opts)
  return reread(self.ns, self.ifindex)
end

function Link:addrs()
  return self.ns:addrs(self.ifindex)
end

function Link:move(ns2, opts)
  opts = options(opts, { name = true }, "move", 2)
  check(self.ns._h:link_set(self.ifindex, { ns = ns2._h, name = opts.name }))
  return reread(ns2, opts.name or self.ifname)
end

function Link:delete()
  check(self.ns._h:link_del(self.ifindex))
end

---------------------------------------------------------------------------
-- Addresses and neighbours

function NS:addrs(dev)
  return records(check(self._h:addrs(dev)), Addr)
end

function NS:addr_add(dev, cidr, opts)
  local ok, msg, code = self._h:addr_add(dev, cidr, opts)
  if not ok and opts and opts.exist_ok and code == ERRNO.EEXIST then return false end
  return check(ok, msg)
end

function NS:addr_del(dev, cidr, opts)
  local ok, msg, code = self._h:addr_del(dev, cidr, opts)
  if not ok and opts and opts.missing_ok and code == ERRNO.EADDRNOTAVAIL then return false end
  return check(ok, msg)
end

function NS:neighbors(opts)
  return records(check(self._h:neighbors(opts)), Neigh)
end

function NS:neigh_add(spec)
  local ok, msg, code = self._h:neigh_add(spec)
  if not ok and spec.exist_ok and code == ERRNO.EEXIST then return false end
  return check(ok, msg)
end

function NS:neigh_replace(spec)
  return check(self._h:neigh_replace(spec))
end

function NS:neigh_del(spec)
  local ok, msg, code = self._h:neigh_del(spec)
  if not ok and spec.missing_ok and code == ERRNO.ENOENT then return false end
  return check(ok, msg)
end

--- Shapes what @dev sends to @rate ("10mbit", "1gbit", "500kbps") with a
-- token bucket (tbf); opts: burst (bytes), latency (seconds queued at most).
function NS:shape(dev, rate, opts)
  return check(self._h:shape(dev, rate, opts))
end

---------------------------------------------------------------------------
-- Routes

function NS:routes(opts)
  return records(check(self._h:routes(opts)), Route)
end

function NS:route_add(spec)
  local ok, msg, code = self._h:route_add(spec)
  if not ok and spec.exist_ok and code == ERRNO.EEXIST then return false end
  return check(ok, msg)
end

function NS:route_replace(spec)
  return check(self._h:route_replace(spec))
end

function NS:route_del(spec)
  local ok, msg, code = self._h:route_del(spec)
  -- a missing IPv4 route is ESRCH, a missing IPv6 one ENOENT
  if not ok and spec.missing_ok and (code == ERRNO.ESRCH or code == ERRNO.ENOENT) then
    return false
  end
  return check(ok, msg)
end

---------------------------------------------------------------------------
-- Policy rules

function NS:rules(opts)
  return records(check(self._h:rules(opts)), Rule)
end

function NS:rule_add(spec)
  local ok, msg, code = self._h:rule_add(spec)
  if not ok and spec.exist_ok and code == ERRNO.EEXIST then return false end
  return check(ok, msg)
end

function NS:rule_del(spec)
  local ok, msg, code = self._h:rule_del(spec)
  if not ok and spec.missing_ok and code == ERRNO.ENOENT then return false end
  return check(ok, msg)
end

---------------------------------------------------------------------------
-- Events (netns.events)

function NS:monitor(kinds)
  return require("netns.events").monitor({ self }, kinds)
end

function NS:wait(cond)
  return require("netns.events").wait(self, cond)
end

---------------------------------------------------------------------------
-- Programs and sysctls

function NS:exec(cmd, opts)
  local ok, how, code = self._h:exec(cmd, opts)
  if ok or how == "exit" or how == "signal" then return ok, how, code end
  raise(how)
end

function NS:output(cmd, opts)
  return (check(self._h:output(cmd, opts)))
end

function NS:popen(cmd, mode)
  return (check(self._h:popen(cmd, mode)))
end

function NS:spawn(cmd, opts)
  return (check(self._h:spawn(cmd, opts)))
end

--- ICMP echo from inside the namespace: true and the round trip in ms, or
-- false; with a list of addresses, a table address -> ms or false.
function NS:ping(addrs, opts)
  local ok, rtt = self._h:ping(addrs, opts)
  if ok == nil then raise(rtt) end
  return ok, rtt
end

function NS:sysctl(key, value)
  return (check(self._h:sysctl(key, value)))
end

---------------------------------------------------------------------------
-- Module functions

function M.add(name, opts)
  opts = options(opts, { exist_ok = true }, "add", 2)
  local h, msg, code = core.add(name)
  if not h and opts.exist_ok and code == ERRNO.EEXIST then
    h, msg = core.open(name)
  end
  return checked_wrap(h, msg)
end

function M.new()
  return checked_wrap(core.new())
end

function M.open(name_or_path)
  return checked_wrap(core.open(name_or_path))
end

function M.pid(pid)
  return checked_wrap(core.pid(pid))
end

function M.current()
  return checked_wrap(core.current())
end

function M.list()
  return (check(core.list()))
end

function M.exists(name)
  return core.exists(name)
end

function M.delete(name, opts)
  opts = options(opts, { missing_ok = true }, "delete", 2)
  local ok, msg, code = core.delete(name)
  if not ok and opts.missing_ok and code == ERRNO.ENOENT then return false end
  return check(ok, msg)
end

--- Whether @v is a namespace handle of this module.
function M.is_ns(v)
  return getmetatable(v) == NS
end

--- Removes what killed runs left under /run/netns: names starting with
-- @prefix that hold no namespace.  Returns the names removed.
function M.cleanup(prefix)
  return (check(core.cleanup(prefix)))
end

--- One monitor over every namespace in @list (see NS:monitor).
function M.monitor(list, kinds)
  if type(list) ~= "table" or #list == 0 then
    raise(("bad argument #1 to 'monitor' (array of namespaces expected, got %s)"):format(type(list)))
  end
  for i, ns in ipairs(list) do
    if getmetatable(ns) ~= NS then
      raise(("bad argument #1 to 'monitor' (namespace expected at index %d, got %s)")
        :format(i, type(ns)))
    end
  end
  return require("netns.events").monitor(list, kinds)
end

--- The first of @monitors with an event, and that event; nil on timeout.
function M.select(monitors, timeout)
  return require("netns.events").select(monitors, timeout)
end

--- A new topology (see netns.topology).
function M.topology(opts)
  return require("netns.topology").new(opts)
end

--- A whole topology from one table, all or nothing.
function M.build(spec)
  return require("netns.topology").build(spec)
end

--- Graphviz DOT of what really exists across the namespaces in @list.
function M.graph(list)
  return require("netns.topology").graph(list)
end

-- Called by nslua when the script ends, however it ends: the topologies
-- still standing are drawn (--graph) and destroyed (unless --keep).
function M.atexit()
  local topology = package.loaded["netns.topology"]
  if not topology then return end
  local host = package.loaded["netns.host"] or {}
  local errors = topology.finish(host.keep, host.graph, host.quiet)
  if #errors > 0 then error(table.concat(errors, "\n"), 0) end
end

M.NS, M.Link = NS, Link
M.Addr, M.Route, M.Neigh, M.Rule, M.List = Addr, Route, Neigh, Rule, List
M._VERSION = "netns 0.1"

return M
