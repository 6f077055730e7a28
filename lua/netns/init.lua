--- Linux network namespaces, links, addresses, routes and neighbours.
--
-- `local netns = require "netns"` (in nslua, also the global `netns`).
-- Records carry the field names of `ip -j`, methods the nouns and verbs of
-- `ip`: `ip -n red link set eth0 up` is `red:link_set("eth0", { up = true })`.
--
-- Errors: bad arguments (wrong types, bad names, CIDRs or MACs, unknown
-- option keys) raise ordinary Lua argument errors before anything reaches
-- the kernel; a failed system or netlink call raises a message that points at
-- the caller's line and names the operation, the object, the namespace, the
-- errno and the kernel's explanation:
-- `topo.lua:12: netns: link add veth0 (in red): File exists [EEXIST]`.
-- Look-ups that find nothing return nil.  A failed operation leaves nothing
-- half-made.  `require "netns.core"`, the C layer underneath, returns
-- `nil, message, errno` instead of raising.
--
-- This layer turns the C binding's `nil, message, errno` results into errors
-- raised at the caller's line, wraps namespace handles so that they carry
-- `name`, `path` and `id`, and gives link records their shorthand methods.
-- @module netns
-- @usage
-- local netns = require "netns"
-- local red, blue = netns.add "red", netns.add "blue"
-- local a, b = red:veth("veth0", "veth1", { peer_ns = blue, up = true })
-- a:addr_add "192.168.10.1/24"
-- b:addr_add "192.168.10.2/24"
-- assert(red:exec { "ping", "-c1", "192.168.10.2" })
-- red:delete(); blue:delete()

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

-- Whether @err is the error nslua raises for a signal ("interrupted!", ...):
-- a stop, not a failure.
local function is_interrupt(err)
  return type(err) == "string"
    and (err:find("interrupted!$") or err:find("terminated!$") or err:find("hangup!$")) ~= nil
end
M._is_interrupt = is_interrupt

-- Raises @msg at the first caller outside this layer, however deep the
-- layer called itself, so that messages point at the user's line.  A
-- signal's error, caught and raised again, says where it struck already.
local function raise(msg)
  if is_interrupt(msg) then error(msg, 0) end
  local level = 2    -- 1 is this function; 2, its caller, is always the layer
  while true do
    local info = debug.getinfo(level, "S")
    if not info or not is_layer(info.source) then break end
    level = level + 1
  end
  error(msg, level)
end
M._raise = raise
M._ERRNO = ERRNO

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
M._options = options

-- Flag @key (exist_ok, missing_ok, or nil for neither) of option table
-- @opts, argument #@arg of @fname, checked before the kernel is asked:
-- a boolean, false when absent.  The flag of the other verb means
-- nothing here and is refused as unknown.
local FLAGS = { "exist_ok", "missing_ok" }
local function flag_problem(opts, key)
  for _, f in ipairs(FLAGS) do
    local v = opts[f]
    if v ~= nil and f ~= key then
      return ("unknown option '%s'"):format(f)
    elseif v ~= nil and type(v) ~= "boolean" then
      return ("option '%s' must be a boolean, got %s"):format(f, type(v))
    end
  end
end
M._flag_problem = flag_problem

local function flag(opts, key, fname, arg)
  if type(opts) ~= "table" then return false end
  local why = flag_problem(opts, key)
  if why then raise(("bad argument #%d to '%s' (%s)"):format(arg, fname, why)) end
  return key ~= nil and opts[key] == true
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

-- Calls @fn(...), a core method, renaming its argument errors after the
-- method the user called: @fname, whose options are argument @arg.
local function as_method(fname, arg, fn, ...)
  local ok, a, b, c = pcall(fn, ...)
  if ok then return a, b, c end
  if type(a) == "string" then
    a = a:gsub("bad argument #%d+ to '[^']*'", ("bad argument #%d to '%s'"):format(arg, fname), 1)
  end
  error(a, 0)
end

-- A copy of @t without the keys in @drop, with handles unwrapped; @t itself
-- when it is no table, for the core's own message about it.
local function strip(t, drop)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do
    if not drop[k] then
      out[k] = (getmetatable(v) == NS) and v._h or v
    end
  end
  return out
end

-- -------------------------------------------------------------------------
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
  say(out, "metric", self.metric)
  say(out, "scope", self.scope ~= "global" and self.scope)
  say(out, "label", self.label ~= self.ifname and self.label)
  say(out, "tentative", self.tentative)
  say(out, "dadfailed", self.dadfailed)
  return table.concat(out, " ")
end

local function say_flags(out, flags)
  for _, f in ipairs(flags or {}) do out[#out + 1] = f end
end

-- A route's metrics as ip writes them, in its order.
local METRIC_WORDS = {
  { "mtu" }, { "window" }, { "rtt", "ms" }, { "rttvar", "ms" }, { "ssthresh" }, { "cwnd" },
  { "advmss" }, { "reordering" }, { "hoplimit" }, { "initcwnd" }, { "ecn" }, { "rto_min", "ms" },
  { "initrwnd" }, { "quickack" }, { "congestion" }, { "fastopen_no_cookie" },
}

-- A time metric as ip writes it: milliseconds, or seconds from 1000 ms on.
local function ms_text(v)
  return v >= 1000 and ("%gs"):format(v / 1e3) or v .. "ms"
end

local function say_metrics(out, metrics)
  local m = metrics and metrics[1] or {}
  for _, w in ipairs(METRIC_WORDS) do
    local v = m[w[1]]
    if w[1] == "ecn" then say(out, "features", v and "ecn")
    elseif w[1] == "congestion" then say(out, "congctl", v)
    elseif w[2] == "ms" then say(out, w[1], v and ms_text(v))
    else say(out, w[1], v) end
  end
end

-- A route as `ip route` shows it.
function Route:__tostring()
  local out = {}
  if self.type ~= "unicast" then out[1] = self.type end
  out[#out + 1] = self.dst
  say(out, "from", self.from)
  say(out, "nhid", self.nhid)
  say(out, "tos", self.tos)
  say(out, "via", self.gateway)
  say(out, "via", self.via and self.via.family .. " " .. self.via.host)
  say(out, "dev", self.dev)
  say(out, "table", self.table ~= "main" and self.table)
  say(out, "proto", self.protocol ~= "boot" and self.protocol)
  say(out, "scope", self.scope ~= "global" and self.scope)
  say(out, "src", self.prefsrc)
  say(out, "metric", self.metric)
  say_flags(out, self.flags)
  say(out, "expires", self.expires and self.expires .. "sec")
  say_metrics(out, self.metrics)
  say(out, "pref", self.pref)
  for _, nh in ipairs(self.nexthops or {}) do
    out[#out + 1] = "nexthop"
    say(out, "via", nh.gateway)
    say(out, "via", nh.via and nh.via.family .. " " .. nh.via.host)
    say(out, "dev", nh.dev)
    say(out, "weight", nh.weight)
    say_flags(out, nh.flags)
  end
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
  say(out, "iif", self.iif and self.iif .. (self.iif_detached and " [detached]" or ""))
  say(out, "oif", self.oif and self.oif .. (self.oif_detached and " [detached]" or ""))
  say(out, "ipproto", self.ipproto)
  say(out, "sport", self.sport or (self.sport_start and self.sport_start .. "-" .. self.sport_end))
  say(out, "dport", self.dport or (self.dport_start and self.dport_start .. "-" .. self.dport_end))
  say(out, "uidrange", self.uid_start and self.uid_start .. "-" .. self.uid_end)
  say(out, "lookup", self.table or self.l3mdev and "[l3mdev-table]")
  say(out, "suppress_prefixlength", self.suppress_prefixlen)
  if self.action ~= "goto" then out[#out + 1] = self.action end    -- "goto N" says it
  say(out, "goto", self["goto"])
  say(out, "[unresolved]", self.unresolved)
  say(out, "proto", self.protocol)
  return self.priority .. ":\t" .. table.concat(out, " ")
end
M._record_text = { route = Route.__tostring, rule = Rule.__tostring }

-- A list of records: one record a line.
function List:__tostring()
  local out = {}
  for i, rec in ipairs(self) do out[i] = tostring(rec) end
  return table.concat(out, "\n")
end

-- What the *_del methods make of a record of their kind: the spec that
-- matches the one object the record describes.  A record of one namespace
-- given to another deletes what matches there, as a line of `ip` would
-- (an address's device is matched by index there).

-- An address record: its device by index, which a rename leaves as it
-- was, and its address as it was added (with a peer, the prefix length is
-- the peer's).
local function addr_identity(a)
  if a.address then
    return a.ifindex or a.ifname, a["local"], { peer = a.address .. "/" .. a.prefixlen }
  end
  return a.ifindex or a.ifname, a.cidr, {}
end

-- Whether list @flags holds @wanted; nil rather than false, for a spec.
local function has_flag(flags, wanted)
  for _, f in ipairs(type(flags) == "table" and flags or {}) do
    if f == wanted then return true end
  end
end

-- The metrics route_add takes, which an IPv4 delete matches on.
local SETTABLE_METRICS = { "mtu", "advmss", "hoplimit", "initcwnd", "initrwnd", "window" }

-- A route record: every field that tells it from another route to the same
-- destination (table, metric, type, protocol, scope, preferred source, the
-- tos and metrics of an IPv4 route, its next hops or nexthop object); a
-- route by a nexthop object is matched by its id alone: the kernel would
-- hold the hops the record shows against it.
local function route_identity(r)
  local spec = { dst = r.dst, from = r.from, family = r.family, table = r.table,
                 metric = r.metric, type = r.type, protocol = r.protocol, scope = r.scope,
                 src = r.prefsrc, tos = r.tos, nhid = r.nhid }
  local metrics = type(r.metrics) == "table" and r.metrics[1]
  if r.family == "inet" and type(metrics) == "table" then
    for _, k in ipairs(SETTABLE_METRICS) do spec[k] = metrics[k] end
  end
  if r.nhid then return spec end
  spec.dev, spec.gateway = r.dev, r.gateway or (r.via and r.via.host)
  spec.onlink = has_flag(r.flags, "onlink")
  spec.nexthops = r.nexthops   -- what is no list of tables, route_del refuses
  if type(r.nexthops) == "table" then
    spec.nexthops = {}
    for i, nh in ipairs(r.nexthops) do
      spec.nexthops[i] = type(nh) ~= "table" and nh or
        { gateway = nh.gateway or (nh.via and nh.via.host), dev = nh.dev, weight = nh.weight,
          onlink = has_flag(nh.flags, "onlink") }
    end
  end
  return spec
end

local function neigh_identity(n)
  return { dst = n.dst, dev = n.dev, proxy = n.proxy }
end

-- A rule record, its fields by the names rule_add takes.
local function rule_identity(r)
  local function sel(addr, len)
    if addr == nil or addr == "all" then return nil end
    if type(addr) ~= "string" or math.type(len) ~= "integer" then return addr end
    return addr .. "/" .. len
  end
  local function ports(p, first, last) return p or (first and { first, last }) end
  return { family = r.family, priority = r.priority, ["not"] = r["not"],
           from = sel(r.src, r.srclen), to = sel(r.dst, r.dstlen), tos = r.tos,
           fwmark = r.fwmark, fwmask = r.fwmask, iif = r.iif, oif = r.oif, ipproto = r.ipproto,
           sport = ports(r.sport, r.sport_start, r.sport_end),
           dport = ports(r.dport, r.dport_start, r.dport_end),
           uidrange = r.uid_start and { r.uid_start, r.uid_end },
           table = r.table, action = r.action, ["goto"] = r["goto"],
           suppress_prefixlength = r.suppress_prefixlen, l3mdev = r.l3mdev,
           protocol = r.protocol }
end

-- The missing_ok of @opts, argument #@arg of @fname: the option table that
-- may follow a record.
local function record_missing_ok(opts, fname, arg)
  return flag(options(opts, { missing_ok = true }, fname, arg), "missing_ok", fname, arg)
end

-- Gives the records of @list their kind's metatable @mt, and @list its own.
local function records(list, mt)
  for i = 1, #list do setmetatable(list[i], mt) end
  return setmetatable(list, List)
end

-- -------------------------------------------------------------------------
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

--- A handle on a network namespace.
-- Handles come from `netns.add`, `netns.new`, `netns.open`, `netns.pid`,
-- `netns.current` and topologies.  `ns1 == ns2` when both denote the same
-- namespace; `tostring(ns)` is `netns red` or `netns <anonymous 4026532345>`.
-- A handle works with `<close>`; garbage collection only releases its
-- descriptors, it never deletes a named namespace.  Any call but `close` on
-- a closed handle raises.
--
-- Every method below raises on failure (see the module's "Errors"), unless
-- it says otherwise.
-- @type NS

--- Its name under /run/netns; nil when it is anonymous.
-- @field name

--- The file it was opened from or is pinned at; nil when there is none.
-- @field path

--- Its inode number, as `stat -L` shows it: the namespace's identity.
-- @field id

--- Releases the handle (idempotent); also what `<close>` does.
-- A named namespace lives on; an anonymous one is freed, with every link in
-- it, once nothing holds it.
-- @usage
-- do
--   local ns <close> = netns.new()
--   ns:link_set("lo", { up = true })
-- end  -- the namespace is gone here
function NS:close()
  self._h:close()
end
NS.__close = NS.close

--- The namespace's file descriptor, for `setns` by other code.
-- @treturn integer the descriptor, valid until the handle is closed
-- @raise on a closed handle
-- @usage local fd = red:fileno()
function NS:fileno()
  return self._h:fileno()
end

--- Removes a named namespace, as `ip netns del`, and closes the handle.
-- On an anonymous namespace it is `close`.  A name that another tool
-- took since (`ip netns del` then `ip netns add`) holds another namespace,
-- which stays: ENOENT, and the handle stays open.
-- @raise when the namespace cannot be unmounted or removed
-- @usage netns.add("tmp"):delete()
function NS:delete()
  self._h:info()    -- raises on a closed handle before anything is removed
  local name = self.name
  if name and self.path == "/run/netns/" .. name then
    check(self._h:unbind(true))
  end
  self._h:close()
end

--- Binds the namespace under /run/netns/`name`, so that `ip netns exec` reaches it.
-- @tparam string name a namespace name (no '/', not `.` or `..`)
-- @tparam[opt] boolean own record the pin as this run's, for `netns.cleanup` once the run has ended
-- @treturn NS the handle itself, now named
-- @raise when the name is taken (EEXIST), the namespace is pinned already (EBUSY:
-- a handle keeps one name; unpin it first) or the bind fails
-- @usage local ns = netns.new():pin("lab")   -- ip netns exec lab ...
function NS:pin(name, own)
  check(self._h:pin(name, own))
  self.name, self.path = name, "/run/netns/" .. name
  return self
end

--- Removes the pin made by `pin`; the namespace lives on in the handle.
-- @treturn NS the handle itself, now anonymous
-- @raise when the pin cannot be removed; ENOENT, the handle anonymous all
-- the same, when it was removed already or holds another namespace by now
-- @usage ns:unpin()
function NS:unpin()
  self._h:info()
  if self.name then
    local ok, msg = self._h:unbind()
    if self._h:info() == nil then self.name, self.path = nil, nil end -- the pin is gone
    check(ok, msg)
  end
  return self
end

--- The id under which namespace `other` is known inside this one, as `ip netns list-id`.
-- With `id`, assigns one first, as `ip netns set`.
-- @tparam NS other another namespace handle
-- @tparam[opt] integer|boolean id an id to assign, true for any free one (false: none, as nil)
-- @treturn ?integer the id, nil when it has none
-- @raise on a bad handle or when the kernel refuses the id
-- @usage local id = red:nsid(blue, true)
function NS:nsid(other, id)
  if getmetatable(other) ~= NS then
    raise(("bad argument #1 to 'nsid' (namespace handle expected, got %s)"):format(
      other == nil and "no value" or type(other)))
  end
  local nsid, msg = self._h:nsid(other and other._h, id)
  if nsid == nil and msg then raise(msg) end
  return nsid
end

--- Calls `fn(...)` with the calling thread inside the namespace, and returns its results.
-- Afterwards the thread is back where it was, also when `fn` raises.
-- @tparam function fn what to run
-- @param ... arguments for `fn`
-- @return what `fn` returns
-- @raise when the namespace cannot be entered, and what `fn` raises
-- @usage local id = red:run(function() return netns.current().id end)   -- red.id
function NS:run(fn, ...)
  return self._h:run(fn, ...)
end

-- -------------------------------------------------------------------------
-- Links

local function link_record(ns, rec)
  rec.ns = ns
  return setmetatable(rec, Link)
end

--- Every link of the namespace, as `ip -j -d link show` lists them.
-- @treturn {Link,...} link records, with their methods; the list prints one `ip -br link` line per link
-- @usage for _, l in ipairs(red:links()) do print(l.ifname, l.operstate) end
function NS:links()
  local list = check(self._h:links())
  for _, rec in ipairs(list) do link_record(self, rec) end
  return setmetatable(list, List)
end

--- One link, or nil when there is no such link.
-- @tparam string|integer|Link dev an interface name or index, or a link record of this namespace
-- @treturn ?Link the link record
-- @raise on a bad name and on failures other than a missing link
-- @usage local lo = red:link("lo")
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

--- Creates a link, as `ip link add`.
-- `spec` fields: `name`, `kind` (required: `veth`, `bridge`, `macvlan`,
-- `macvtap`, `vxlan` or any kind the kernel knows), `mtu`, `txqlen`,
-- `address`, `master`, `up`, `ns` (a handle: the link is made there, as with
-- `ip link add ... netns`; a vxlan keeps its socket here); for a veth `peer`, `peer_ns` (a handle: the peer
-- is made there), `peer_address`; for macvlan and macvtap `link` (the lower
-- device) and `mode`; for vxlan `id`, `port`, `group` or `remote`, `local`,
-- `link`, `ttl`; for vlan `link` and `id`.  A kind refuses another's options.
-- @tparam table spec what to create
-- @treturn Link|true the new link re-read when `spec.name` is given, else true
-- @raise on a bad spec, or when the kernel refuses (EEXIST when the name is taken)
-- @usage red:link_add { name = "mv0", kind = "macvlan", link = "eth0", mode = "bridge" }
function NS:link_add(spec)
  if type(spec) ~= "table" then
    raise(("bad argument #1 to 'link_add' (table expected, got %s)"):format(
      spec == nil and "no value" or type(spec)))
  end
  check_ns_option(spec.ns, "link_add", 1, "ns")
  check(self._h:link_add(strip(spec, {})))
  return spec.name and reread(spec.ns or self, spec.name) or true
end

--- Changes a link, as `ip link set`.
-- `changes` fields: `up` (true up, false down), `mtu`, `name`, `address`,
-- `master` (a name, or false to release), `txqlen`, `alias`, `ns` (a handle:
-- the link moves there).  A change of several fields that the kernel
-- refuses part way is undone: the link is as it was, and one that had
-- moved comes back with its addresses (not the routes through it).
-- @tparam string|integer|Link dev an interface name or index, or a link record of this namespace
-- @tparam table changes what to change
-- @treturn true
-- @raise on a bad change or when the kernel refuses it
-- @usage red:link_set("veth0", { mtu = 1400, up = true })
function NS:link_set(dev, changes)
  if type(changes) == "table" then check_ns_option(changes.ns, "link_set", 2, "ns") end
  check(self._h:link_set(dev, strip(changes, {})))
  return true
end

--- Deletes a link, as `ip link del`; a veth's peer goes with it.
-- @tparam string|integer|Link dev an interface name or index, or a link record of this namespace
-- @tparam[opt] table opts `missing_ok = true`: return false when there is no such link
-- @treturn boolean true, or false when it was missing and `missing_ok` was given
-- @raise when it cannot be deleted
-- @usage red:link_del("veth0", { missing_ok = true })
function NS:link_del(dev, opts)
  opts = options(opts, { missing_ok = true }, "link_del", 2)
  local missing_ok = flag(opts, "missing_ok", "link_del", 2)
  local ok, msg, code = self._h:link_del(dev)
  if not ok and missing_ok and code == ERRNO.ENODEV then return false end
  return (check(ok, msg))
end

local VETH_OPTIONS = { peer_ns = true, mtu = true, address = true, peer_address = true,
                       master = true, up = true }

--- Creates a veth pair and returns both ends.
-- If either end cannot be made, neither is left.
-- `opts` fields: `peer_ns` (the peer is created directly in that namespace),
-- `mtu`, `address`, `peer_address`, `master` (a bridge for the first end),
-- `up` (both ends up).
-- @tparam string name the first end, in this namespace
-- @tparam string peer the peer end, here or in `opts.peer_ns`
-- @tparam[opt] table opts options
-- @treturn Link the first end
-- @treturn Link the peer end, as seen in its namespace
-- @raise on bad names or options, or when the kernel refuses (the message names a taken peer)
-- @usage local a, b = red:veth("veth0", "veth1", { peer_ns = blue, up = true })
function NS:veth(name, peer, opts)
  check_ifname(name, "veth", 1)
  check_ifname(peer, "veth", 2)
  opts = options(opts, VETH_OPTIONS, "veth", 3)
  check_ns_option(opts.peer_ns, "veth", 3, "peer_ns")
  check(as_method("veth", 3, self._h.link_add, self._h, {
    kind = "veth", name = name, peer = peer, peer_ns = opts.peer_ns and opts.peer_ns._h,
    mtu = opts.mtu, address = opts.address, peer_address = opts.peer_address,
    master = opts.master, up = opts.up,
  }))
  local peer_ns = opts.peer_ns or self
  return reread(self, name), reread(peer_ns, peer)
end

local BRIDGE_OPTIONS = { mtu = true, address = true, up = true, master = true }

--- Creates a bridge.
-- `opts` fields: `mtu`, `address`, `up`, `master`.
-- @tparam string name its name
-- @tparam[opt] table opts options
-- @treturn Link the bridge
-- @raise on a bad name or when the kernel refuses
-- @usage local br = red:bridge("br0", { up = true })
function NS:bridge(name, opts)
  check_ifname(name, "bridge", 1)
  opts = options(opts, BRIDGE_OPTIONS, "bridge", 2)
  check(as_method("bridge", 2, self._h.link_add, self._h, { kind = "bridge", name = name,
    mtu = opts.mtu, address = opts.address, up = opts.up, master = opts.master }))
  return reread(self, name)
end

--- A link record, as `ns:links()` and `ns:link()` return it.
-- Its fields carry the names of `ip -j -d link show`: `ifindex`, `ifname`,
-- `flags` (an array such as `{ "BROADCAST", "MULTICAST", "UP", "LOWER_UP" }`),
-- `mtu`, `qdisc`, `operstate`, `txqlen`, `link_type`, `address`, `broadcast`,
-- `promiscuity`, `min_mtu`, `max_mtu`, `ifalias`, `master` (a name, or its
-- index when no name is found), `link` (the peer's name, same namespace),
-- `link_index` and `link_netnsid` (a peer elsewhere); `kind` (`veth`,
-- `bridge`, ...; nil when none), `ns` (its namespace handle) and
-- `link_netns` (the handle of a veth peer's namespace, when this process
-- holds one).
--
-- `tostring(l)` is its `ip -br link` line followed by `mtu` and `master`:
-- `veth0@veth1      UP             02:00:00:00:00:01 <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500`.
--
-- Its methods act on the link in its namespace; each returns the link
-- re-read and raises on failure.
-- @type Link

-- The methods give the binding the record itself: it acts on the record's
-- ifindex, which a rename leaves as it is, and a failure names the link
-- as the record does ("link set vb", not "link set 2"), the name a user
-- knows when it has gone since.

--- Brings the link up.
-- @treturn Link the link re-read
-- @usage veth0 = veth0:up()
function Link:up()
  check(self.ns._h:link_set(self, { up = true }))
  return reread(self.ns, self.ifindex)
end

--- Brings the link down.
-- @treturn Link the link re-read
-- @usage veth0 = veth0:down()
function Link:down()
  check(self.ns._h:link_set(self, { up = false }))
  return reread(self.ns, self.ifindex)
end

local LINK_SET_OPTIONS = { up = true, mtu = true, name = true, address = true, master = true,
                          txqlen = true, alias = true, ns = true }

--- Changes the link as `ns:link_set` does.
-- @tparam table changes `up`, `mtu`, `name`, `address`, `master`, `txqlen`, `alias`, `ns`
-- @treturn Link the link re-read, as seen in `changes.ns` when it moved
-- @usage veth0 = veth0:set { mtu = 9000 }
function Link:set(changes)
  if type(changes) ~= "table" then
    raise(("bad argument #1 to 'set' (table expected, got %s)"):format(
      changes == nil and "no value" or type(changes)))
  end
  options(changes, LINK_SET_OPTIONS, "set", 1)
  check_ns_option(changes.ns, "set", 1, "ns")
  check(self.ns._h:link_set(self, strip(changes, {})))
  if changes and changes.ns then return reread(changes.ns, changes.name or self.ifname) end
  return reread(self.ns, self.ifindex)
end

-- Calls @fn(ns, link, ...), the namespace method behind the link
-- shorthand @fname, whose arguments are one to the left of the method's:
-- argument errors are numbered as the shorthand's, and every error is
-- raised again at the caller's line.
local function as_shorthand(fname, fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then return end
  if type(err) == "string" then
    err = err:gsub("^bad argument #(%d+) to '" .. fname .. "'", function(n)
      return ("bad argument #%d to '%s'"):format(tonumber(n) - 1, fname)
    end, 1)
  end
  raise(err)
end

--- Adds an address to the link, as `ns:addr_add` does.
-- @tparam string cidr `10.0.0.1/24`, `fd00::1/64`
-- @tparam[opt] table opts as for `ns:addr_add`
-- @treturn Link the link re-read
-- @usage veth0:addr_add "10.0.0.1/24"
function Link:addr_add(cidr, opts)
  check_cidr(cidr, "addr_add", 1)
  flag(opts, "exist_ok", "addr_add", 2)
  as_shorthand("addr_add", self.ns.addr_add, self.ns, self, cidr, opts)
  return reread(self.ns, self.ifindex)
end

--- Removes an address from the link.
-- @tparam string cidr the address with its prefix length
-- @tparam[opt] table opts `missing_ok = true`: no error when it is not there
-- @treturn Link the link re-read
-- @usage veth0:addr_del "10.0.0.1/24"
function Link:addr_del(cidr, opts)
  check_cidr(cidr, "addr_del", 1)
  flag(opts, "missing_ok", "addr_del", 2)
  as_shorthand("addr_del", self.ns.addr_del, self.ns, self, cidr, opts)
  return reread(self.ns, self.ifindex)
end

--- The link's addresses, as `ns:addrs(dev)` lists them.
-- @treturn {table,...} address records
-- @usage for _, a in ipairs(veth0:addrs()) do print(a.cidr) end
function Link:addrs()
  return self.ns:addrs(self)
end

--- Moves the link into another namespace.
-- @tparam NS ns2 where it goes
-- @tparam[opt] table opts `name`: its name there
-- @treturn Link the link as seen in `ns2`
-- @usage local there = veth1:move(blue, { name = "eth0" })
function Link:move(ns2, opts)
  if getmetatable(ns2) ~= NS then
    raise(("bad argument #1 to 'move' (namespace handle expected, got %s)"):format(
      ns2 == nil and "no value" or type(ns2)))
  end
  opts = options(opts, { name = true }, "move", 2)
  check(self.ns._h:link_set(self, { ns = ns2._h, name = opts.name }))
  return reread(ns2, opts.name or self.ifname)
end

--- Deletes the link; a veth's peer goes with it.
-- @usage veth0:delete()
function Link:delete()
  check(self.ns._h:link_del(self))
end

-- -------------------------------------------------------------------------
-- Addresses and neighbours

--- @type NS

--- The addresses of the namespace, or of one link, as `ip -j addr show` lists them.
-- A record has `ifindex`, `ifname`, `family` (`inet` or `inet6`), `local`,
-- `prefixlen`, `cidr` (`10.0.0.1/24`), `scope`, `broadcast`, `address` (a
-- point-to-point peer), `label`, `metric` (of its prefix route, when
-- given), the lifetimes, and flags such as `tentative`
-- or `nodad` set to true.  `tostring(a)` is `10.0.0.1/24 dev eth0`, as
-- `ip address add` takes it.  In a namespace of many devices the handle
-- keeps their names between listings, on a socket of link events of its own.
-- @tparam[opt] string|integer|Link dev only this link's addresses
-- @treturn {table,...} address records; the list prints one a line
-- @usage print(red:addrs("veth0"))
function NS:addrs(dev)
  return records(check(self._h:addrs(dev)), Addr)
end

--- Adds an IPv4 or IPv6 address, as `ip addr add`.
-- `opts` fields: `nodad` (IPv6: usable at once), `noprefixroute`,
-- `broadcast` (IPv4: an address, or `+`), `peer` (point to point: as with
-- `ip`, the prefix length is then the peer's, `10.0.0.2/30`, a host's when
-- it has none, and `cidr` needs none), `label`, `scope` (by default
-- `global`, and `host` for IPv4 loopback addresses, 127/8, as with `ip`),
-- `metric` (of the prefix route the kernel adds for it), `exist_ok`.
-- @tparam string|integer|Link dev an interface name or index, or a link record of this namespace
-- @tparam string cidr `10.0.0.1/24`, `fd00::1/64` (`10.0.0.1` with a peer)
-- @tparam[opt] table opts options
-- @treturn boolean true, or false when it existed and `exist_ok` was given
-- @raise on a bad address or when the kernel refuses
-- @usage red:addr_add("veth0", "fd00::1/64", { nodad = true })
function NS:addr_add(dev, cidr, opts)
  local exist_ok = flag(opts, "exist_ok", "addr_add", 3)
  local ok, msg, code = self._h:addr_add(dev, cidr, opts)
  if not ok and exist_ok and code == ERRNO.EEXIST then return false end
  return (check(ok, msg))
end

--- Removes an address, as `ip addr del`; or the one an address record
-- describes: `ns:addr_del(a [, opts])`.
-- @tparam string|integer|Link|table dev an interface name or index, or a link record of this
-- namespace; or an address record (from `ns:addrs`), then followed by `opts`
-- @tparam string cidr the address with its prefix length
-- @tparam[opt] table opts `missing_ok = true`: return false when it is not there
-- (nor is its device)
-- @treturn boolean true, or false when it was missing and `missing_ok` was given
-- @raise when the kernel refuses
-- @usage red:addr_del("veth0", "10.0.0.1/24")
-- for _, a in ipairs(red:addrs "veth0") do red:addr_del(a) end
function NS:addr_del(dev, cidr, opts)
  if getmetatable(dev) == Addr then
    local missing_ok = record_missing_ok(cidr, "addr_del", 2)
    dev, cidr, opts = addr_identity(dev)
    opts.missing_ok = missing_ok
  end
  local missing_ok = flag(opts, "missing_ok", "addr_del", 3)
  local ok, msg, code = self._h:addr_del(dev, cidr, opts)
  if not ok and missing_ok and (code == ERRNO.EADDRNOTAVAIL or code == ERRNO.ENODEV) then
    return false
  end
  return (check(ok, msg))
end

--- The neighbour (ARP and NDP) entries, as `ip -j neigh show nud all` lists
-- them (NOARP entries included), or the proxy entries, as `ip -j neigh show
-- proxy` does.
-- A record has `dst`, `dev`, `lladdr`, `state` (an array such as
-- `{ "REACHABLE" }`; none, as in `ip -j`, for an entry in no state, such
-- as a proxy entry), and `router` or `proxy` set to true.  `tostring(n)` is
-- its `ip neigh` line: `10.0.0.2 dev eth0 lladdr 02:00:00:00:00:02 REACHABLE`.
-- @tparam[opt] table opts `dev` (only this link's entries), `family` (`inet`, `inet6`; both by default),
-- `proxy` (true: the proxy entries instead)
-- @treturn {table,...} neighbour records; the list prints one a line
-- @usage for _, n in ipairs(blue:neighbors()) do print(n.dst, n.lladdr, n.state[1]) end
function NS:neighbors(opts)
  return records(check(self._h:neighbors(opts)), Neigh)
end

--- Adds a neighbour entry, permanent unless `spec.state` says otherwise.
-- `spec` fields: `dst` and `dev` (required), `lladdr`, `state` (`permanent`,
-- `reachable`, `stale`, `noarp`, ..., `none` as ip's `nud none`), `router`, `proxy`, `exist_ok`.
-- @tparam table spec the entry
-- @treturn boolean true, or false when it existed and `exist_ok` was given
-- @raise on a bad spec or when the kernel refuses
-- @usage red:neigh_add { dst = "10.0.0.2", lladdr = "02:00:00:00:00:02", dev = "veth0" }
function NS:neigh_add(spec)
  local exist_ok = flag(spec, "exist_ok", "neigh_add", 1)
  local ok, msg, code = self._h:neigh_add(spec)
  if not ok and exist_ok and code == ERRNO.EEXIST then return false end
  return (check(ok, msg))
end

--- Adds or replaces a neighbour entry.
-- @tparam table spec as for `neigh_add`
-- @treturn true
-- @raise on a bad spec or when the kernel refuses
-- @usage red:neigh_replace { dst = "10.0.0.2", lladdr = "02:00:00:00:00:03", dev = "veth0" }
function NS:neigh_replace(spec)
  flag(spec, nil, "neigh_replace", 1)
  return (check(self._h:neigh_replace(spec)))
end

--- Removes a neighbour entry.
-- @tparam table spec `dst` and `dev`; `missing_ok = true` returns false when it is not there
-- (nor is its device).  Or a neighbour record (from `ns:neighbors`): that entry.
-- @tparam[opt] table opts after a record: `missing_ok`
-- @treturn boolean true, or false when it was missing and `missing_ok` was given
-- @raise when the kernel refuses
-- @usage red:neigh_del { dst = "10.0.0.2", dev = "veth0" }
function NS:neigh_del(spec, opts)
  local missing_ok = flag(spec, "missing_ok", "neigh_del", 1)
  if getmetatable(spec) == Neigh then
    spec, missing_ok = neigh_identity(spec), record_missing_ok(opts, "neigh_del", 2)
  end
  local ok, msg, code = self._h:neigh_del(spec)
  if not ok and missing_ok and (code == ERRNO.ENOENT or code == ERRNO.ENODEV) then return false end
  return (check(ok, msg))
end

--- Shapes what `dev` sends to `rate`, with a token bucket (tbf) as its root qdisc.
-- @tparam string|integer|Link dev an interface name or index, or a link record of this namespace
-- @tparam string rate `10mbit`, `1.5gbit`, `500kbps`, or bits per second
-- @tparam[opt] table opts `burst` (bytes the bucket holds), `latency` (seconds a packet may wait at most)
-- @treturn true
-- @raise on a bad rate or when the kernel refuses
-- @usage red:shape("veth0", "10mbit")
function NS:shape(dev, rate, opts)
  return (check(self._h:shape(dev, rate, opts)))
end

-- -------------------------------------------------------------------------
-- Routes

--- The routes, as `ip -j route` lists them.
-- A record has `dst` (`default`, an address or a CIDR), `from` (the
-- sources a source-specific route is for), `tos` (`"0x10"`), `family`, `gateway`,
-- `dev`, `protocol`, `scope`, `type`, `table`, `prefsrc`, `metric`, `flags`,
-- `pref`, `nhid` for a route by a nexthop object, `nexthops` for a
-- multipath route, `expires` (seconds left, IPv6: 0 in the last one, below
-- 0 once expired and not yet removed), and `metrics`
-- (`{ { mtu = 1400, advmss = 1360 } }`, as `ip -j` nests them).  `tostring(r)` is its `ip route` line (the next hops of
-- a multipath route on the same line): `default via 10.0.0.1 dev eth0`.
-- @tparam[opt] table opts `family` (`inet`, `inet6`; both by default), `table` (`main` by default, a number, or `all`)
-- @treturn {table,...} route records; the list prints one a line
-- @usage print(red:routes { family = "inet6" })
function NS:routes(opts)
  return records(check(self._h:routes(opts)), Route)
end

--- Adds a route, as `ip route add`.
-- `spec` fields: `dst` (required: `default`, an address or a CIDR),
-- `from` (IPv6: only for packets from these sources, `ip route ... from`;
-- `default` is all of them), `tos` (IPv4: only for packets with this DS
-- field, 16 or `"0x10"`), `gateway`, `dev`, `metric`, `table`, `src`,
-- `onlink`, `scope`, `protocol`, `type` (`unicast`, `blackhole`,
-- `unreachable`, ...), `nexthops` (a list of `{ gateway =, dev =, weight =,
-- onlink = }`), `nhid` (a nexthop object, as `ip route ... nhid`), `family`
-- (which family `default` means when nothing else says), the metrics `mtu`, `advmss`, `hoplimit`,
-- `initcwnd`, `initrwnd` and `window` (as `ip route add ... mtu 1400`),
-- `expires` (IPv6: seconds until the kernel removes it), `exist_ok`.  An IPv4 route may go through an
-- IPv6 gateway (`ip route add ... via inet6`); its record then has `via`.
-- @tparam table spec the route
-- @treturn boolean true, or false when it existed and `exist_ok` was given
-- @raise on a bad spec or when the kernel refuses (its explanation included)
-- @usage h2:route_add { dst = "default", gateway = "10.0.0.1" }
function NS:route_add(spec)
  local exist_ok = flag(spec, "exist_ok", "route_add", 1)
  local ok, msg, code = self._h:route_add(spec)
  if not ok and exist_ok and code == ERRNO.EEXIST then return false end
  return (check(ok, msg))
end

--- Adds or replaces a route, as `ip route replace`.
-- @tparam table spec as for `route_add`
-- @treturn true
-- @raise on a bad spec or when the kernel refuses
-- @usage red:route_replace { dst = "10.2.0.0/24", gateway = "10.0.0.3" }
function NS:route_replace(spec)
  flag(spec, nil, "route_replace", 1)
  return (check(self._h:route_replace(spec)))
end

local function hop_key(nh) return tostring(nh.gateway) .. " " .. tostring(nh.dev) end

-- The next hops to ask the kernel to delete for IPv6 multipath spec @spec,
-- made of a record; false when its route has gained hops since, and so is
-- not the route the record describes (an IPv4 delete finds none then).
-- The kernel deletes an IPv6 multipath route hop by hop and goes on past
-- a hop that is gone: a record whose route lost a hop would leave the
-- rest deleted and an error.  When hops are gone, only they are asked
-- for: that deletes nothing and fails as the whole would.
local function hops_to_delete(ns, spec)
  local present, most = {}, 0
  for _, r in ipairs(check(ns._h:routes { family = "inet6", table = spec.table })) do
    if r.dst == spec.dst and r.from == spec.from and r.metric == spec.metric then
      for _, nh in ipairs(r.nexthops or { r }) do present[hop_key(nh)] = true end
      most = math.max(most, r.nexthops and #r.nexthops or 0)
    end
  end
  local gone = {}
  for _, nh in ipairs(spec.nexthops) do
    if not present[hop_key(nh)] then gone[#gone + 1] = nh end
  end
  if #gone > 0 then return gone end
  if most > #spec.nexthops then return false end
  return spec.nexthops
end

--- Removes a route, as `ip route del`.
-- @tparam table spec as for `route_add`; `missing_ok = true` returns false when it is not there
-- (nor is the device it names).  Or a route record (from `ns:routes`): that route and no
-- other of the same destination.
-- @tparam[opt] table opts after a record: `missing_ok`
-- @treturn boolean true, or false when it was missing and `missing_ok` was given
-- @raise when the kernel refuses
-- @usage red:route_del { dst = "10.2.0.0/24" }
-- for _, r in ipairs(red:routes()) do if r.protocol == "static" then red:route_del(r) end end
function NS:route_del(spec, opts)
  local missing_ok = flag(spec, "missing_ok", "route_del", 1)
  if getmetatable(spec) == Route then
    spec, missing_ok = route_identity(spec), record_missing_ok(opts, "route_del", 2)
    if spec.family == "inet6" and spec.nexthops then spec.nexthops = hops_to_delete(self, spec) end
  end
  local ok, msg, code
  if spec.nexthops == false then
    ok, msg, code = self._h:failure("route del " .. spec.dst, ERRNO.ESRCH)
  else
    ok, msg, code = self._h:route_del(spec)
  end
  -- a missing IPv4 route is ESRCH, a missing IPv6 one ENOENT; a route via a missing device is none
  if not ok and missing_ok and (code == ERRNO.ESRCH or code == ERRNO.ENOENT or code == ERRNO.ENODEV) then
    return false
  end
  return (check(ok, msg))
end

-- -------------------------------------------------------------------------
-- Policy rules

--- The policy routing rules, as `ip -j rule` lists them.
-- A record has `family`, `priority`, `src` (`all` or an address) and
-- `srclen`, `dst` and `dstlen`, `not`, `tos`, `fwmark`, `fwmask`, `iif`,
-- `oif`, `iif_detached` and `oif_detached` (true while there is no such
-- device), `ipproto` (named from /etc/protocols, as ip names it), ports,
-- `table`, `action` (also for `goto` and `nop`, which `ip -j` names by
-- their own keys: `goto`, and `nop` true), `unresolved` (true for a goto to no rule),
-- `protocol` (when neither unspec nor kernel, as ip shows it).  `tostring(r)` is its
-- `ip rule` line: `32766:	from all lookup main`.
-- @tparam[opt] table opts `family` (`inet`, `inet6`; both by default)
-- @treturn {table,...} rule records; the list prints one a line
-- @usage print(red:rules { family = "inet" })
function NS:rules(opts)
  return records(check(self._h:rules(opts)), Rule)
end

--- Adds a rule, as `ip rule add`.
-- `spec` fields: `priority`, `from`, `to`, `iif`, `oif`, `fwmark`, `fwmask`,
-- `table`, `action` (`table`, `goto`, `nop`, `blackhole`, `unreachable`,
-- `prohibit`), `goto`, `not`, `tos`, `ipproto`, `sport`, `dport`, `uidrange`
-- (`1000`, `{ 1000, 2000 }` or `"1000-2000"`),
-- `suppress_prefixlength`, `l3mdev` (the table of the packet's VRF device),
-- `protocol` (a name such as `static`, or a number; as `ip rule add ... proto`),
-- `family`, `exist_ok`.
-- @tparam table spec the rule
-- @treturn boolean true, or false when it existed and `exist_ok` was given
-- @raise on a bad spec or when the kernel refuses
-- @usage red:rule_add { from = "10.1.0.0/24", table = 100, priority = 1000 }
function NS:rule_add(spec)
  local exist_ok = flag(spec, "exist_ok", "rule_add", 1)
  local ok, msg, code = self._h:rule_add(spec)
  if not ok and exist_ok and code == ERRNO.EEXIST then return false end
  return (check(ok, msg))
end

--- Deletes the first rule matching `spec`, as `ip rule del`.
-- @tparam table spec as for `rule_add`; `missing_ok = true` returns false when none matches.
-- Or a rule record (from `ns:rules`): the rule with all its selectors.
-- @tparam[opt] table opts after a record: `missing_ok`
-- @treturn boolean true, or false when none matched and `missing_ok` was given
-- @raise when the kernel refuses
-- @usage red:rule_del { priority = 1000 }
function NS:rule_del(spec, opts)
  local missing_ok = flag(spec, "missing_ok", "rule_del", 1)
  if getmetatable(spec) == Rule then
    spec, missing_ok = rule_identity(spec), record_missing_ok(opts, "rule_del", 2)
  end
  local ok, msg, code = self._h:rule_del(spec)
  if not ok and missing_ok and code == ERRNO.ENOENT then return false end
  return (check(ok, msg))
end

-- -------------------------------------------------------------------------
-- Events (netns.events)

--- A monitor of the namespace's events: links, addresses, routes, neighbours and rules coming and going.
-- @tparam[opt] table kinds some of `link`, `addr`, `route`, `neigh`, `rule` (all by default);
-- `rcvbuf` sets the socket's buffer
-- @treturn Monitor the monitor
-- @raise when its socket cannot be opened
-- @usage
-- local m <close> = red:monitor { "link" }
-- red:link_set("veth0", { up = false })
-- print(m:next(1).operstate)
function NS:monitor(kinds)
  return require("netns.events").monitor({ self }, kinds)
end

--- Waits until a state holds: true as soon as it does, false on timeout.
-- `cond` names one object: `link` (with `operstate`, `up`, `carrier`, `mtu`,
-- `master`), `addr` (with `dev`, `settled`: past duplicate address
-- detection), `route` (with `table`, `dev`, `gateway`) or `neigh` (with
-- `dev`, `state`); `present = false` waits until it is gone; `timeout` in
-- seconds, 10 by default.
-- @tparam table cond the condition
-- @treturn boolean whether it held in time
-- @raise on a bad condition
-- @usage assert(red:wait { addr = "fd00::1", settled = true })
function NS:wait(cond)
  return require("netns.events").wait(self, cond)
end

-- -------------------------------------------------------------------------
-- Programs and sysctls

--- Runs a program inside the namespace, waits, and returns what `os.execute` returns.
-- The program sees the namespace as under `ip netns exec`: its own
-- /sys/class/net, and /etc/netns/NAME files over /etc.  It inherits no
-- descriptor but 0, 1 and 2.  `opts` fields: `env` (merged over the
-- caller's environment; false removes a variable; a program named without
-- '/' is looked for along the PATH it gives, as env(1) does), `cwd`, `stdin` (a
-- string), `timeout` (seconds, then it is killed: `nil, "signal", 9`),
-- `stdout` and `stderr` (`inherit` or `null`).
-- @tparam string|{string,...} cmd an argv table (no shell), or a string run by `/bin/sh -c`
-- @tparam[opt] table opts options
-- @treturn ?boolean true when it exited with status 0
-- @treturn string `exit` or `signal`
-- @treturn integer the exit status or the signal number
-- @raise on bad arguments and when the program cannot be started; a failing program does not raise
-- @usage assert(red:exec { "ping", "-c1", "192.168.10.2" })
function NS:exec(cmd, opts)
  local ok, how, code = self._h:exec(cmd, opts)
  if ok or how == "exit" or how == "signal" then return ok, how, code end
  raise(how)
end

--- Runs a program like `exec` and returns its standard output.
-- Its standard error is kept for the message of a failure, as far as the
-- program wrote it before it ended (a daemon it starts may hold it open),
-- unless option `stderr` sends it elsewhere.
-- @tparam string|{string,...} cmd an argv table, or a string run by `/bin/sh -c`
-- @tparam[opt] table opts as for `exec` but `stdout`, and `check` (false: a
-- failing program's output is returned with its status, as `exec` returns it)
-- @treturn string what it wrote on its standard output
-- @treturn ?true with `check = false`: `true`, `"exit"`, 0 when it succeeded, else `nil`, how and
-- code, or `nil, "timeout"` when its `timeout` ran out
-- @raise when it cannot run or (unless `check = false`) exits non-zero, with its standard error in the message
-- @usage print(red:output "ip -br addr")
function NS:output(cmd, opts)
  if type(opts) == "table" and opts.check == false then
    -- the program's failure is the caller's to judge; only not running it raises
    local r = table.pack(self._h:output(cmd, opts))
    if r[1] == nil then raise(r[2]) end
    return table.unpack(r, 1, r.n)
  end
  return (check(self._h:output(cmd, opts)))
end

--- `io.popen` inside the namespace: a Lua file whose `close` returns like `exec`.
-- @tparam string|{string,...} cmd an argv table, or a string run by `/bin/sh -c`
-- @tparam[opt="r"] string mode `r` or `w`
-- @treturn file the program's standard output (`r`) or input (`w`)
-- @raise when the program cannot be started
-- @usage
-- local f = red:popen { "ip", "monitor" }
-- print(f:read("l"))
function NS:popen(cmd, mode)
  return (check(self._h:popen(cmd, mode)))
end

--- Starts a program in the background.
-- It dies with the process (strictly: the thread) that spawned it.  It
-- runs in a process group of its own (unless it reads the terminal), which
-- `p:kill` and the end of its handle signal: a shell command's pipeline
-- goes with its shell.  `opts`
-- fields: `env`, `cwd`, and `stdin`, `stdout`, `stderr` (`inherit` or `null`).
-- @tparam string|{string,...} cmd an argv table, or a string run by `/bin/sh -c`
-- @tparam[opt] table opts options
-- @treturn Process its handle
-- @raise on bad arguments and when the program cannot be started
-- @usage
-- local p = red:spawn { "sleep", "10" }
-- p:kill()
-- print(p:wait())   --> nil  signal  15
function NS:spawn(cmd, opts)
  return (check(self._h:spawn(cmd, opts)))
end

--- ICMP echo from inside the namespace, without a `ping` program.
-- With a list of addresses, all are pinged at once and the result is a
-- table address -> round trip in ms, or false.
-- @tparam string|{string,...} addrs an IPv4 or IPv6 address, or a list of them
-- @tparam[opt] table opts `count` (requests per address, 3 by default), `timeout` (seconds, 2 by default)
-- @treturn boolean whether a reply came back (the table for a list)
-- @treturn ?number the round trip in milliseconds
-- @raise on a bad address or when the socket cannot be opened
-- @usage local ok, ms = red:ping("192.168.10.2", { count = 1 })
function NS:ping(addrs, opts)
  local ok, rtt = self._h:ping(addrs, opts)
  if ok == nil then raise(rtt) end
  return ok, rtt
end

--- Reads or writes a sysctl of the namespace.
-- @tparam string key a `net.` key, as sysctl(8) takes it: `net.ipv4.ip_forward`,
-- or with '/' between names when a name holds a dot: `net/ipv4/conf/eth0.100/rp_filter`
-- @tparam[opt] string|number|boolean value what to write (true and false write 1 and 0)
-- @treturn string|true the value read (without its newline), or true after a write
-- @raise on a bad key, or when the file cannot be read or written
-- @usage red:sysctl("net.ipv4.ip_forward", 1)
function NS:sysctl(key, value)
  return (check(self._h:sysctl(key, value)))
end

-- -------------------------------------------------------------------------
-- Module functions

--- Namespaces, topologies and leftovers.
-- @section functions

--- Creates a named namespace bound at /run/netns/`name`, as `ip netns add`.
-- iproute2 sees it, and this module sees those `ip netns add` makes.
-- @tparam string name a namespace name (no '/', not `.` or `..`)
-- @tparam[opt] table opts `exist_ok = true`: open it when it exists
-- @treturn NS its handle
-- @raise on a bad name, or when it exists (EEXIST) or cannot be made
-- @usage local red = netns.add "red"
function M.add(name, opts)
  opts = options(opts, { exist_ok = true }, "add", 2)
  local exist_ok = flag(opts, "exist_ok", "add", 2)
  local h, msg, code = core.add(name)
  if not h and exist_ok and code == ERRNO.EEXIST then
    h, msg = core.open(name)
  end
  return checked_wrap(h, msg)
end

--- Creates an anonymous namespace: no file; the kernel frees it, with every link in it, once nothing holds it.
-- @treturn NS its handle
-- @raise when it cannot be made
-- @usage local scratch <close> = netns.new()
function M.new()
  return checked_wrap(core.new())
end

--- Creates @count anonymous namespaces at once, the work shared among up to one thread for
-- each core this process may use (at most 8, and one for every 16 namespaces).  The kernel
-- sets namespaces up in parallel: on two cores a thousand take about two thirds of the time
-- of a thousand `netns.new()`.  `netns.build` makes its hosts and switches this way.
-- @tparam integer count how many, from 0 to 1000000
-- @tparam[opt] table opts `sysctl = { [key] = value, ... }`: sysctls written in each
-- namespace, as `ns:sysctl` writes them, by the thread that made it while it is still
-- inside (cheaper than entering each namespace again)
-- @treturn {NS,...} their handles
-- @raise when any cannot be made or a sysctl cannot be written; then none is left open
-- @usage local routers = netns.new_many(100, { sysctl = { ["net.ipv4.ip_forward"] = 1 } })
function M.new_many(count, opts)
  if math.type(count) ~= "integer" then
    raise(("bad argument #1 to 'new_many' (integer expected, got %s)"):format(math.type(count) or type(count)))
  end
  opts = options(opts, { sysctl = true }, "new_many", 2)
  if opts.sysctl ~= nil and type(opts.sysctl) ~= "table" then
    raise(("bad argument #2 to 'new_many' (option 'sysctl' must be a table, got %s)"):format(type(opts.sysctl)))
  end
  local list, msg = core.new_many(count, opts.sysctl)
  if not list then raise(msg) end
  for i, h in ipairs(list) do list[i] = wrap(h) end
  return list
end

--- Opens an existing namespace.
-- @tparam string name_or_path a name under /run/netns, or, with a '/', a path
-- (`/proc/123/ns/net`, a Docker `SandboxKey`)
-- @treturn NS its handle
-- @raise when there is no such namespace
-- @usage local red = netns.open "red"
function M.open(name_or_path)
  return checked_wrap(core.open(name_or_path))
end

--- Opens the namespace of process `pid` (a container's, say).
-- @tparam integer pid a process id
-- @treturn NS its handle
-- @raise when there is no such process
-- @usage local there = netns.pid(1234)
function M.pid(pid)
  return checked_wrap(core.pid(pid))
end

--- Opens the calling thread's namespace.
-- @treturn NS its handle
-- @usage local here = netns.current()
function M.current()
  return checked_wrap(core.current())
end

--- The names under /run/netns, sorted, as `ip netns list`.
-- @treturn {string,...} names
-- @raise when /run/netns cannot be read
-- @usage for _, name in ipairs(netns.list()) do print(name) end
function M.list()
  return (check(core.list()))
end

--- Whether namespace `name` exists under /run/netns.
-- @tparam string name a namespace name
-- @treturn boolean
-- @raise on a bad name
-- @usage if not netns.exists "red" then netns.add "red" end
function M.exists(name)
  return core.exists(name)
end

--- Deletes a named namespace, as `ip netns del`.
-- @tparam string name a namespace name
-- @tparam[opt] table opts `missing_ok = true`: return false when there is none
-- @treturn boolean true, or false when it was missing and `missing_ok` was given
-- @raise when it cannot be removed
-- @usage netns.delete("red", { missing_ok = true })
function M.delete(name, opts)
  opts = options(opts, { missing_ok = true }, "delete", 2)
  local missing_ok = flag(opts, "missing_ok", "delete", 2)
  local ok, msg, code = core.delete(name)
  if not ok and missing_ok and code == ERRNO.ENOENT then return false end
  return (check(ok, msg))
end

--- Whether `v` is a namespace handle of this module.
-- @param v any value
-- @treturn boolean
-- @usage assert(netns.is_ns(netns.current()))
function M.is_ns(v)
  return getmetatable(v) == NS
end

--- Removes the pins that killed runs left under /run/netns.
-- Only names that start with `prefix` and were made by a run that has ended go;
-- Pins of live runs and those `ip netns add` made are never touched.
-- @tparam[opt=""] string prefix only names starting with it
-- @treturn {string,...} the names removed
-- @raise when /run/netns cannot be read
-- @usage netns.cleanup "lab-"
function M.cleanup(prefix)
  return (check(core.cleanup(prefix)))
end

--- One monitor over several namespaces; each event names its `ns`.
-- @tparam {NS,...} list the namespaces
-- @tparam[opt] table kinds as for `ns:monitor`
-- @treturn Monitor the monitor
-- @raise on a bad list, or when a socket cannot be opened
-- @usage local m <close> = netns.monitor({ red, blue }, { "addr" })
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

--- The first of several monitors to have an event, and that event.
-- @tparam {Monitor,...} monitors the monitors
-- @tparam[opt] number timeout seconds (nil: as long as it takes)
-- @treturn ?Monitor the monitor, nil on timeout
-- @treturn ?table the event
-- @raise on bad arguments or a failed read
-- @usage local m, ev = netns.select({ m1, m2 }, 5)
function M.select(monitors, timeout)
  return require("netns.events").select(monitors, timeout)
end

--- A new, empty topology, which owns and undoes all it makes (see `netns.topology`).
-- @tparam[opt] table opts `prefix`: its pins are `/run/netns/<prefix><name>` (no '/'; "" by default)
-- @treturn netns.topology.Topology the topology
-- @raise on a bad prefix
-- @usage local t <close> = netns.topology { prefix = "lab-" }
function M.topology(opts)
  return require("netns.topology").new(opts)
end

--- A whole topology from one table, all or nothing: a failed step tears it down and raises.
-- `spec` fields: `prefix`, `hosts` (name -> options of `t:host`, or true),
-- `switches` (names), `links` (`{ "h1", "s1", addrs =, names =, mtu =, rate = }`,
-- made in order), `routes` (host name -> list of `route_add` specs).
-- It makes every namespace at once (`netns.new_many`), then the links, and
-- sends each namespace's other changes (links up, ports to their bridge,
-- addresses, routes) in one batch once its last link is made: a failure
-- among those names its request and namespace.  It returns once every
-- link end is up, so that traffic sent at once goes through.
-- @tparam table spec the topology
-- @treturn netns.topology.Topology the topology
-- @raise on a malformed spec or a bad value in it, named by its entry
-- (`hosts.h1`, `links[2]`, `routes.h1[1]`), before anything is made; or what
-- the failed step raised, once all is undone (and what could not be undone, if any)
-- @usage
-- local t <close> = netns.build {
--   prefix = "lab-", hosts = { h1 = true, h2 = true }, switches = { "s1" },
--   links = { { "h1", "s1", addrs = { "10.0.0.1/24" } }, { "h2", "s1", addrs = { "10.0.0.2/24" } } },
-- }
function M.build(spec)
  return require("netns.topology").build(spec)
end

--- Graphviz DOT of what exists in these namespaces, however it was made.
-- One cluster per namespace, bridges with their ports, veth pairs joined
-- across namespaces.
-- @tparam {NS,...} list the namespaces
-- @treturn string the DOT text
-- @raise when a namespace cannot be read
-- @usage io.open("net.dot", "w"):write(netns.graph { red, blue })
function M.graph(list)
  return require("netns.topology").graph(list)
end

-- Called by nslua when the script ends, however it ends: the topologies
-- still standing are drawn (--graph) and destroyed (unless --keep).
function M.atexit()
  local made = core.topologies
  if next(made.live) == nil and next(made.made) == nil then return end
  local host = package.loaded["netns.host"] or {}
  local errors = require("netns.topology").finish(host.keep, host.graph, host.quiet)
  if #errors > 0 then error(table.concat(errors, "\n"), 0) end
end

-- -------------------------------------------------------------------------
-- Objects the binding and netns.events make, documented here

--- A program started by `ns:spawn`.
-- It dies with the process that spawned it; a handle that is garbage
-- collected kills and reaps its program.  Works with `<close>`.
-- @type Process

--- The program's process id.
-- @field pid

--- Waits for the program to end; returns like `ns:exec`.
-- What it leaves running in its process group (`sh -c "server &"`) ends
-- with it.  Does not raise when the wait fails: returns `nil, message,
-- errno`.  A signal that interrupts the wait (nslua's Ctrl-C) stops the program.
-- @tparam[opt] number timeout seconds; when they run out, it returns `nil, "timeout"` and the program runs on
-- @treturn ?boolean true when it exited with status 0
-- @treturn string `exit`, `signal`, `timeout`, or a message
-- @treturn ?integer the exit status, the signal number, or an errno
-- @usage local ok, how, code = p:wait(5)
-- @function Process:wait

--- Sends the program, and its process group, a signal.
-- Does not raise when the program has ended: returns `nil, message, errno`.
-- @tparam[opt="TERM"] integer|string sig a number, or a name: `TERM`, `KILL`, `INT`, `HUP`, `USR1`,
-- `USR2`, `STOP`, `CONT`, `QUIT`, also with a `SIG` prefix
-- @treturn ?true true when it was sent
-- @treturn ?string a message
-- @treturn ?integer an errno
-- @usage p:kill "INT"
-- @function Process:kill

--- Whether the program still runs; reaps it when it has ended (and ends
-- what it left running in its process group, as `p:wait()` does).
-- @treturn boolean
-- @usage while p:running() do os.execute "sleep 0.1" end
-- @function Process:running

--- Releases the handle: kills and reaps a program that still runs
-- (`p:wait()` then says how it ended).
-- @usage p:close()
-- @function Process:close

--- The kernel's notifications of one or more namespaces, from `ns:monitor` or `netns.monitor`.
-- An event is the record its kind's listing returns (a link, an address,
-- a route, a neighbour, a rule) with `event` (`new` or `del`), `kind`
-- (`link`, `addr`, `route`, `neigh`, `rule`) and `ns` added.  An event
-- `{ event = "overrun" }` says events were lost: read the state again with
-- `m:resync()`.  Works with `<close>`.
-- @type Monitor

--- The kinds watched.
-- @field kinds

--- The next event, waiting at most `timeout` seconds.
-- @tparam[opt] number timeout seconds (nil: as long as it takes)
-- @treturn ?table the event, nil on timeout
-- @raise when a socket fails
-- @usage local ev = m:next(1)
-- @function Monitor:next

--- Iterates over the events until none comes for `timeout` seconds.
-- @tparam[opt] number timeout seconds (nil: as long as it takes)
-- @treturn function an iterator for `for ev in m:events(1) do ... end`
-- @usage for ev in m:events(0.5) do print(ev.kind, ev.event) end
-- @function Monitor:events

--- The sockets of every namespace watched, for an application's own poll loop.
-- @treturn {integer,...} file descriptors
-- @usage local fds = m:fds()
-- @function Monitor:fds

--- Drops the queued events and reads the watched state afresh.
-- @treturn table kind -> list of records (for several namespaces, an array of such tables, each with `ns`)
-- @raise when the state cannot be read
-- @usage local state = m:resync()
-- @function Monitor:resync

--- Closes the sockets (idempotent); also what `<close>` does.
-- @usage m:close()
-- @function Monitor:close

M.NS, M.Link = NS, Link
M.Addr, M.Route, M.Neigh, M.Rule, M.List = Addr, Route, Neigh, Rule, List
M._VERSION = "netns 0.1"

return M
