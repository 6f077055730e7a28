-- netns.events: monitors of one or many namespaces, waiting for a state,
-- and `nslua --monitor`.
--
-- The binding reads the kernel's notifications without blocking; this layer
-- queues them, waits on the sockets with poll (never a sleep loop), and
-- decides when a waited-for state holds by reading it back.

local core = require "netns.core"

local E = {}

local function raise(msg)
  return require("netns")._raise(msg)
end

local KINDS = { link = true, addr = true, route = true, neigh = true, rule = true }
local ALL_KINDS = { "link", "addr", "route", "neigh", "rule" }

local function check_timeout(timeout, fname, arg)
  -- (NaN is no number of seconds; a million seconds and more, none a wait takes)
  if timeout ~= nil and (math.type(timeout) == nil or not (timeout >= 0 and timeout < 1e6)) then
    raise(("bad argument #%d to '%s' (timeout in seconds expected, got %s)")
      :format(arg, fname, math.type(timeout) and tostring(timeout) or type(timeout)))
  end
end

---------------------------------------------------------------------------
-- Monitors

local Monitor = {}
Monitor.__index = Monitor
Monitor.__name = "netns.monitor"

function Monitor.__tostring(m)
  if m._closed then return "netns.monitor (closed)" end
  local names = {}
  for i, sub in ipairs(m._subs) do names[i] = sub.ns.name or tostring(sub.ns) end
  return ("netns.monitor (%s: %s)"):format(table.concat(names, ", "),
    table.concat(m.kinds, ", "))
end

-- The metatable of each kind's records, so that events print and behave as
-- the records of the listings do.
local function record_metatables()
  local netns = require "netns"
  return { link = netns.Link, addr = netns.Addr, route = netns.Route, neigh = netns.Neigh,
           rule = netns.Rule }
end

--- A monitor of the event kinds in @kinds across the namespaces in @list.
function E.monitor(list, kinds)
  if kinds ~= nil and type(kinds) ~= "table" then
    raise(("bad argument #1 to 'monitor' (table expected, got %s)"):format(type(kinds)))
  end
  local watched = {}
  for _, k in ipairs(kinds or {}) do
    if KINDS[k] then watched[#watched + 1] = k end
  end
  local m = setmetatable({ _subs = {}, _queue = {}, _head = 1, _fds = {}, _metas = record_metatables(),
                           kinds = #watched > 0 and watched or ALL_KINDS }, Monitor)
  -- what is open is closed at once when a namespace fails (a closed handle raises)
  local _ <close> = setmetatable({}, { __close = function(_, err) if err then m:close() end end })
  for i, ns in ipairs(list) do
    local sub, msg = ns._h:monitor(kinds)
    if not sub then raise(msg) end
    m._subs[i] = { sub = sub, ns = ns }
    m._fds[i] = sub:fileno()
  end
  if #list == 1 then m.fd = m._fds[1] end
  return m
end

function Monitor:_check()
  if self._closed then raise("attempt to use a closed monitor") end
end

-- Moves what the sockets hold now into the queue, each event naming its namespace.
function Monitor:_fill()
  local q, metas = self._queue, self._metas
  for _, s in ipairs(self._subs) do
    local events, msg = s.sub:read()
    if not events then raise(msg) end
    for _, ev in ipairs(events) do
      ev.ns = s.ns
      if ev.kind then setmetatable(ev, metas[ev.kind]) end
      q[#q + 1] = ev
    end
  end
end

function Monitor:_pop()
  local q, h = self._queue, self._head
  local ev = q[h]
  if ev == nil then return nil end
  q[h] = nil
  if q[h + 1] == nil then    -- empty: start again at 1 so indexes stay small
    self._head = 1
  else
    self._head = h + 1
  end
  return ev
end

-- Drops what is queued and what the sockets hold now; a bounded amount,
-- however fast the kernel adds more.
function Monitor:_drop()
  self._queue, self._head = {}, 1
  self:_fill()
  self._queue, self._head = {}, 1
end

-- Events that are queued or readable now, without waiting.
function Monitor:_ready()
  return self:_pop() or (self:_fill() or self:_pop())
end

--- The next event, waiting at most @timeout seconds (nil: as long as it
-- takes); nil on timeout.
function Monitor:next(timeout)
  self:_check()
  check_timeout(timeout, "next", 1)
  local ev = self:_ready()
  if ev then return ev end
  local deadline = timeout and core.monotonic() + timeout
  while true do
    local left = deadline and math.max(0, deadline - core.monotonic())
    local ready = left ~= 0 and core.wait_readable(self._fds, left)
    ev = self:_ready()
    if ev or ready == nil or left == 0 then return ev end
  end
end

--- Iterates over events until one takes longer than @timeout to come.
function Monitor:events(timeout)
  self:_check()
  check_timeout(timeout, "events", 1)
  return function() return self:next(timeout) end
end

--- The monitor's sockets, for an application's own poll loop.
function Monitor:fds()
  self:_check()
  return table.move(self._fds, 1, #self._fds, 1, {})
end

--- Drops every event queued so far and reads the watched state afresh: for
-- a monitor of one namespace, a table kind -> list as the list methods
-- return it; for several, an array of such tables, each with its `ns`.
-- Events after this call describe changes to that state.
function Monitor:resync()
  self:_check()
  self:_drop()
  local snaps = {}
  for i, s in ipairs(self._subs) do
    local ns, snap = s.ns, { ns = s.ns }
    for _, k in ipairs(self.kinds) do
      if k == "link" then snap.link = ns:links()
      elseif k == "addr" then snap.addr = ns:addrs()
      elseif k == "route" then snap.route = ns:routes{ table = "all" }
      elseif k == "neigh" then snap.neigh = ns:neighbors()
      else snap.rule = ns:rules() end
    end
    snaps[i] = snap
  end
  return #snaps == 1 and snaps[1] or snaps
end

function Monitor:close()
  for _, s in ipairs(self._subs) do s.sub:close() end
  -- the numbers are the process's to give to other files now
  self._closed, self.fd, self._fds = true, nil, {}
end
Monitor.__close = Monitor.close

--- The first of @monitors to have an event, and the event; nil after
-- @timeout seconds (nil: no limit).
local select_turn = 0

-- The first of @monitors, looking from a turn that moves on at each call,
-- with an event queued or readable now, and that event.
local function first_ready(monitors)
  local n = #monitors
  select_turn = select_turn % n + 1
  for k = 0, n - 1 do
    local m = monitors[(select_turn + k - 1) % n + 1]
    local ev = m:_ready()
    if ev then return m, ev end
  end
end

function E.select(monitors, timeout)
  if type(monitors) ~= "table" then
    raise(("bad argument #1 to 'select' (table expected, got %s)"):format(type(monitors)))
  end
  check_timeout(timeout, "select", 2)
  local fds = {}
  for i, m in ipairs(monitors) do
    if getmetatable(m) ~= Monitor then
      raise(("bad argument #1 to 'select' (monitor expected at index %d)"):format(i))
    end
    m:_check()
    for _, fd in ipairs(m._fds) do fds[#fds + 1] = fd end
  end
  if #fds == 0 then return nil end
  -- Every monitor gets its turn to go first, so that a busy one cannot
  -- starve the others until their sockets overrun.
  local m, ev = first_ready(monitors)
  if m then return m, ev end
  local deadline = timeout and core.monotonic() + timeout
  while true do
    local left = deadline and math.max(0, deadline - core.monotonic())
    local ready = left ~= 0 and core.wait_readable(fds, left)
    if ready then
      m, ev = first_ready(monitors)
      if m then return m, ev end
    elseif ready == nil or left == 0 then
      return nil
    end
  end
end

---------------------------------------------------------------------------
-- Waiting for a state

-- "10.0.0.1/32" and "10.0.0.1" name the same host route; the kernel writes the latter.
local function host_form(dst)
  if dst:find(":", 1, true) then return (dst:gsub("/128$", "")) end
  return (dst:gsub("/32$", ""))
end

local function has(list, v)
  for _, x in ipairs(list or {}) do
    if x == v then return true end
  end
  return false
end

-- Per kind: the options it takes, find (the record the condition names,
-- or nil) and holds (whether that record is in the state asked for; none:
-- found is enough).
local conditions = {}

-- The canonical form of address or network @v of option @key, or an argument error of wait's.
local function canonical_of(v, key)
  local text, why = core.canonical(v)
  if why then raise(("bad argument #1 to 'wait' (option '%s': invalid address \"%s\": %s)"):format(key, v, why)) end
  return text
end

local function check_choice(c, key, choices)
  if c[key] ~= nil and not has(choices, c[key]) then
    raise(("bad argument #1 to 'wait' (option '%s' must be one of %s, got \"%s\")")
      :format(key, table.concat(choices, ", "), c[key]))
  end
end

conditions.link = {
  kind = "link",
  check = function(c)
    local why = core.ifname_problem(c.link)
    if why then raise(("bad argument #1 to 'wait' (invalid interface name \"%s\": %s)"):format(c.link, why)) end
    check_choice(c, "operstate", { "UNKNOWN", "NOTPRESENT", "DOWN", "LOWERLAYERDOWN", "TESTING",
                                   "DORMANT", "UP" })
  end,
  options = { operstate = "string", up = "boolean", carrier = "boolean", mtu = "number",
              master = "string" },
  find = function(ns, c)
    return ns:link(c.link)    -- nil while it is missing
  end,
  holds = function(rec, c)
    return (c.operstate == nil or rec.operstate == c.operstate)
      and (c.up == nil or has(rec.flags, "UP") == c.up)
      and (c.carrier == nil or has(rec.flags, "LOWER_UP") == c.carrier)
      and (c.mtu == nil or rec.mtu == c.mtu)
      and (c.master == nil or rec.master == c.master)
  end,
}

conditions.addr = {
  kind = "addr",
  check = function(c) canonical_of(c.addr, "addr") end,
  options = { dev = "string", settled = "boolean" },
  find = function(ns, c)
    local want = core.canonical(c.addr)
    -- listed whole and filtered here: a device still to come is no error
    for _, a in ipairs(ns:addrs()) do
      if (a["local"] == want or a.cidr == want) and (c.dev == nil or a.ifname == c.dev) then
        return a
      end
    end
  end,
  holds = function(rec, c)
    return not c.settled or not (rec.tentative or rec.dadfailed)
  end,
}

-- Whether next hop @hop (a route, or one of its nexthops) goes by @dev and @gateway.
local function hop_fits(hop, dev, gateway)
  -- a gateway of another family than the route's is under via (IPv4 via IPv6)
  local via = hop.gateway or (hop.via and hop.via.host)
  return (dev == nil or hop.dev == dev) and (gateway == nil or via == gateway)
end

conditions.route = {
  kind = "route",
  check = function(c)
    if c.route ~= "default" then canonical_of(c.route, "route") end
    if c.gateway then canonical_of(c.gateway, "gateway") end
    local why = c.table ~= nil and c.table ~= "all" and core.route_problem { dst = "default", table = c.table }
    if why then raise(("bad argument #1 to 'wait' (%s)"):format(why)) end
  end,
  options = { table = "any", dev = "string", gateway = "string" },
  find = function(ns, c)   -- a route to the destination that also fits dev and gateway
    local want = host_form(core.canonical(c.route))
    local gateway = c.gateway and core.canonical(c.gateway)
    for _, r in ipairs(ns:routes{ table = c.table }) do
      if r.dst == want then
        -- a multipath route fits by any of its next hops
        if hop_fits(r, c.dev, gateway) then return r end
        for _, hop in ipairs(r.nexthops or {}) do
          if hop_fits(hop, c.dev, gateway) then return r end
        end
      end
    end
  end,
}

conditions.neigh = {
  kind = "neigh",
  check = function(c)
    canonical_of(c.neigh, "neigh")
    check_choice(c, "state", { "INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED",
                               "NOARP", "PERMANENT", "NONE" })
  end,
  options = { dev = "string", state = "string" },
  find = function(ns, c)
    local want = core.canonical(c.neigh)
    for _, n in ipairs(ns:neighbors()) do
      if n.dst == want and (c.dev == nil or n.dev == c.dev) then return n end
    end
  end,
  holds = function(rec, c)
    -- an entry in no state has none listed, as in ip -j
    if c.state == "NONE" then return rec.state == nil or #rec.state == 0 or has(rec.state, "NONE") end
    return c.state == nil or has(rec.state or {}, c.state)
  end,
}

-- Which condition table @c asks for, after checking every key of it.
local function condition_of(c)
  if type(c) ~= "table" then
    raise(("bad argument #1 to 'wait' (table expected, got %s)"):format(type(c)))
  end
  local cond
  for name, spec in pairs(conditions) do
    if c[name] ~= nil then
      if cond then raise("bad argument #1 to 'wait' (one of link, addr, route, neigh expected)") end
      if type(c[name]) ~= "string" then
        raise(("bad argument #1 to 'wait' (option '%s' must be a string)"):format(name))
      end
      cond = spec
    end
  end
  if not cond then raise("bad argument #1 to 'wait' (one of link, addr, route, neigh expected)") end
  for k, v in pairs(c) do
    local want = cond.options[k]
    if k == "timeout" then
      check_timeout(v, "wait", 1)
    elseif k == "present" then
      if type(v) ~= "boolean" then raise("bad argument #1 to 'wait' (option 'present' must be a boolean)") end
    elseif not conditions[k] and not want then
      raise(("bad argument #1 to 'wait' (unknown option '%s')"):format(tostring(k)))
    elseif want and want ~= "any" and type(v) ~= want then
      raise(("bad argument #1 to 'wait' (option '%s' must be a %s)"):format(k, want))
    end
    -- a name with a NUL in it names nothing: the wait would only run out
    if type(v) == "string" and v:find("\0", 1, true) then
      raise(("bad argument #1 to 'wait' (option '%s' holds a NUL byte)"):format(tostring(k)))
    end
  end
  -- a value nothing can match would only run the clock out
  cond.check(c)
  return cond
end

local function state_holds(ns, cond, c)
  local rec = cond.find(ns, c)
  if c.present == false then return rec == nil end
  return rec ~= nil and (cond.holds == nil or cond.holds(rec, c))
end

--- Waits until the state @c describes holds in @ns: true as soon as it does
-- (checked first, then at each event of its kind), false after c.timeout
-- seconds (default 10).
function E.wait(ns, c)
  local cond = condition_of(c)
  local timeout = c.timeout or 10
  -- Often it holds already, and a look costs less than a subscription
  -- (which names every link there is).
  if state_holds(ns, cond, c) then return true end
  -- Subscribe before the next look, so that no change falls in between.
  local m <close> = E.monitor({ ns }, { cond.kind })
  if state_holds(ns, cond, c) then return true end
  local deadline = core.monotonic() + timeout
  while true do
    -- the deadline holds even while events never stop coming
    local left = deadline - core.monotonic()
    if left <= 0 or not m:next(left) then return false end
    m:_drop()    -- a burst of events needs one look, not one each
    if state_holds(ns, cond, c) then return true end
  end
end

---------------------------------------------------------------------------
-- nslua --monitor

local function flags_text(rec)
  return "<" .. table.concat(rec.flags or {}, ",") .. ">"
end

-- Routes and rules are written as their records' tostring writes them,
-- which is how `ip route` and `ip rule` (and `ip monitor`) write them.
local function record_text(kind)
  return function(r) return require("netns")._record_text[kind](r) end
end

local text = {
  link = function(l)
    return ("%d: %s: %s mtu %d state %s%s"):format(l.ifindex, l.ifname, flags_text(l), l.mtu,
      l.operstate, l.address and (" link/" .. l.link_type .. " " .. l.address) or "")
  end,
  addr = function(a)
    return ("%d: %s    %s %s/%d scope %s%s"):format(a.ifindex, a.ifname or "?", a.family,
      a["local"], a.prefixlen, a.scope, a.tentative and " tentative" or "")
  end,
  route = record_text("route"),
  neigh = function(n)
    return ("%s dev %s%s %s"):format(n.dst, n.dev or "?",
      n.lladdr and (" lladdr " .. n.lladdr) or "", table.concat(n.state or {}, ","))
  end,
  rule = record_text("rule"),
}

--- One line for event @ev, as `ip monitor` prints it.
function E.format(ev)
  if ev.event == "overrun" then return "overrun: events were lost" end
  return (ev.event == "del" and "Deleted " or "") .. text[ev.kind](ev)
end

-- JSON for the records: strings, numbers, booleans and arrays or tables of them.
local function json(v, out)
  local t = type(v)
  if t == "string" then
    out[#out + 1] = '"' .. v:gsub('[%c"\\]', function(c)
      return ({ ['"'] = '\\"', ['\\'] = '\\\\', ['\n'] = '\\n', ['\t'] = '\\t' })[c]
        or ("\\u%04x"):format(c:byte())
    end) .. '"'
  elseif t == "number" or t == "boolean" then
    out[#out + 1] = tostring(v)
  elseif #v > 0 or next(v) == nil then
    out[#out + 1] = "["
    for i, x in ipairs(v) do
      if i > 1 then out[#out + 1] = "," end
      json(x, out)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      json(k, out)
      out[#out + 1] = ":"
      json(v[k], out)
    end
    out[#out + 1] = "}"
  end
  return out
end

--- Event @ev as one JSON object, its namespace under "netns".
function E.json(ev)
  local copy = {}
  for k, v in pairs(ev) do copy[k] = v end
  copy.ns = nil
  copy.netns = ev.ns and (ev.ns.name or tostring(ev.ns)) or nil
  return table.concat(json(copy, {}))
end

--- nslua --monitor [--json] [name ...]: prints the events of the named
-- namespaces (the current one when none is named) until interrupted;
-- returns nil and a message when a name cannot be opened.
function E.run(names, as_json)
  local netns = require "netns"
  local list = {}
  for i, name in ipairs(names) do
    local ok, ns = pcall(netns.open, name)
    if not ok then return nil, ns end   -- the user's mistake: the message alone
    list[i] = ns
  end
  if #list == 0 then list[1] = netns.current() end
  local m <close> = E.monitor(list)
  local several = #list > 1
  io.stdout:setvbuf("line")
  for ev in m:events() do
    if as_json then
      io.stdout:write(E.json(ev), "\n")
    else
      io.stdout:write(several and ("[" .. (ev.ns.name or tostring(ev.ns)) .. "] ") or "",
        E.format(ev), "\n")
    end
  end
end

E.Monitor = Monitor
return E
