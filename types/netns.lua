---@meta netns
-- Type annotations of the `netns` module for lua-language-server: add the
-- folder holding this file to `Lua.workspace.library`.  Nothing here runs;
-- the module itself is lua/netns/init.lua over the C layer `netns.core`.
--
-- Errors: bad arguments (wrong types, bad names, CIDRs or MACs, unknown
-- option keys) raise Lua argument errors before anything reaches the kernel;
-- failed system or netlink calls raise "file:line: netns: <operation>
-- <object> (in <namespace>): <reason> [ERRNO]: <kernel's explanation>".
-- "Raises" below means both; look-ups that find nothing return nil instead.
--
-- Its functions are bodies for the annotations: no argument, and no local
-- table of methods, is used.
-- luacheck: no unused

---------------------------------------------------------------------------
-- Option tables

---@alias netns.Dev string|integer|netns.Link an interface name or ifindex, or a link record of the same namespace
---@alias netns.Cmd string|string[] an argv table (no shell), or a string run by `/bin/sh -c`
---@alias netns.Family "inet"|"inet6"
---@alias netns.Node string|netns.NS a host or switch of a topology, by name or handle
---@alias netns.PingResults table<string, number|false> address -> round-trip time in ms, or false

---@class netns.ExistOk
---@field exist_ok? boolean return false instead of raising when it exists already (EEXIST)

---@class netns.MissingOk
---@field missing_ok? boolean return false instead of raising when there is nothing to remove

---@class netns.LinkAddOptions
---@field kind string required: "veth", "bridge", "macvlan", "macvtap", "vxlan" or any kind the kernel knows
---@field name? string interface name (the result is re-read when given)
---@field mtu? integer MTU, 68 or more
---@field txqlen? integer transmit queue length
---@field address? string link-layer address ("02:00:00:00:00:01")
---@field master? netns.Dev bridge (or other master) to enslave the new link to; not with `ns`
---@field up? boolean bring the link (both ends of a veth) up
---@field ns? netns.NS make the link in this namespace (a vxlan keeps its socket in the caller's)
---@field peer? string veth: name of the peer end
---@field peer_ns? netns.NS veth: create the peer directly inside this namespace
---@field peer_address? string veth: link-layer address of the peer
---@field link? netns.Dev macvlan/macvtap/vxlan/vlan: the lower device
---@field mode? "bridge"|"private"|"vepa"|"passthru"|"source" macvlan/macvtap
---@field id? integer vxlan: VNI, 0 to 16777215 (required); vlan: 0 to 4094 (required)
---@field port? integer vxlan: UDP destination port
---@field group? string vxlan: multicast group address
---@field remote? string vxlan: unicast remote address (not with `group`)
---@field local? string vxlan: local source address
---@field ttl? integer vxlan: TTL of the outer packets, 0 to 255

---@class netns.LinkSetOptions
---@field up? boolean true brings the link up, false down
---@field mtu? integer new MTU
---@field name? string new interface name
---@field address? string new link-layer address
---@field master? netns.Dev|false enslave to this master; false releases it
---@field txqlen? integer transmit queue length
---@field alias? string interface alias (`ifalias`)
---@field ns? netns.NS move the link into this namespace

---@class netns.LinkMoveOptions
---@field name? string the link's name in the namespace it moves to

---@class netns.VethOptions
---@field peer_ns? netns.NS create the peer end directly inside this namespace
---@field mtu? integer MTU of both ends
---@field address? string link-layer address of the first end
---@field peer_address? string link-layer address of the peer end
---@field master? netns.Dev bridge to enslave the first end to
---@field up? boolean bring both ends up

---@class netns.BridgeOptions
---@field mtu? integer MTU of the bridge
---@field address? string link-layer address of the bridge
---@field up? boolean bring the bridge up
---@field master? netns.Dev master to enslave the bridge to

---@class netns.AddrOptions: netns.ExistOk, netns.MissingOk
---@field nodad? boolean IPv6: skip duplicate address detection, usable at once
---@field noprefixroute? boolean do not add the prefix route
---@field broadcast? string IPv4 broadcast address, or "+" for the all-ones host part
---@field peer? string address of the other end of a point-to-point link
---@field label? string address label ("eth0:1")
---@field scope? "global"|"site"|"link"|"host"|integer address scope

---@class netns.NeighListOptions
---@field dev? netns.Dev only the entries of this interface
---@field family? netns.Family|"all" address family, both by default
---@field proxy? boolean the proxy entries instead (ip neigh show proxy)

---@class netns.NeighSpec: netns.ExistOk, netns.MissingOk
---@field dst string required: the neighbour's IP address (no prefix length)
---@field dev netns.Dev required: the interface
---@field lladdr? string its link-layer address
---@field state? string NUD state name ("permanent", "reachable", "stale", "noarp", ..., "none"); permanent by default
---@field router? boolean the neighbour is a router
---@field proxy? boolean a proxy entry

---@class netns.RouteListOptions
---@field family? netns.Family|"all" address family, both by default
---@field table? "main"|"local"|"default"|"all"|integer routing table, "main" by default; "all" or 0: all

---@class netns.NexthopSpec
---@field gateway? string next-hop address (IPv6 for an IPv4 route: ip's "via inet6")
---@field dev? netns.Dev outgoing interface
---@field weight? integer 1 to 256
---@field onlink? boolean take this gateway as on-link

---@class netns.RouteSpec: netns.ExistOk, netns.MissingOk
---@field dst string required: "default", an address or a CIDR
---@field gateway? string gateway address (IPv6 for an IPv4 route: ip's "via inet6")
---@field dev? netns.Dev outgoing interface
---@field metric? integer route metric (priority)
---@field table? "main"|"local"|"default"|integer routing table, "main" by default
---@field src? string preferred source address
---@field onlink? boolean take the gateway as on-link, whatever the addresses say
---@field scope? "global"|"site"|"link"|"host"|"nowhere"|integer route scope, chosen as `ip route` does when absent
---@field protocol? string|integer "boot" (default), "static", "kernel", ... or a number
---@field type? string|integer "unicast" (default), "local", "blackhole", "unreachable", "prohibit", ...
---@field nexthops? netns.NexthopSpec[] multipath: 1 to 32 next hops
---@field nhid? integer the nexthop object to go by (made with ip nexthop)
---@field family? netns.Family which family "default" means when nothing else says
---@field from? string IPv6: only for packets from these sources (a CIDR, or "default")
---@field tos? integer|string IPv4: only for packets with this DS field (16 or "0x10")
---@field expires? integer IPv6: seconds until the kernel removes it
---@field mtu? integer
---@field advmss? integer
---@field hoplimit? integer
---@field initcwnd? integer
---@field initrwnd? integer
---@field window? integer

---@class netns.ExecOptions
---@field env? table<string, string|false> merged over the caller's environment; false removes a variable
---@field cwd? string working directory of the program
---@field stdin? string fed to the program's standard input
---@field timeout? number seconds, then the program is killed (result `nil, "signal", 9`)
---@field stdout? "inherit"|"null" the program's standard output ("inherit" by default)
---@field stderr? "inherit"|"null" the program's standard error ("inherit" by default)

---@class netns.OutputOptions
---@field env? table<string, string|false> merged over the caller's environment; false removes a variable
---@field cwd? string working directory of the program
---@field stdin? string fed to the program's standard input
---@field timeout? number seconds, then the program is killed
---@field stderr? "inherit"|"null" where the program's standard error goes (kept for the error message by default)
---@field check? boolean false: return a failing program's output and status instead of raising

---@class netns.SpawnOptions
---@field env? table<string, string|false> merged over the caller's environment; false removes a variable
---@field cwd? string working directory of the program
---@field stdin? "inherit"|"null" the program's standard input ("inherit" by default)
---@field stdout? "inherit"|"null" the program's standard output ("inherit" by default)
---@field stderr? "inherit"|"null" the program's standard error ("inherit" by default)

---@class netns.PingOptions
---@field count? integer echo requests per address, 1 to 100 (3 by default)
---@field timeout? number seconds to wait for replies (2 by default)

---@class netns.ShapeOptions
---@field burst? integer bucket size in bytes (10 ms of traffic by default, at least 3200)
---@field latency? number seconds a packet may wait in the queue at most (0.05 by default)

---@class netns.TopologyOptions
---@field prefix? string prefix of the pins /run/netns/<prefix><name> (no '/'; "" by default)

---@class netns.HostOptions
---@field forward? boolean|"ipv4"|"ipv6" true turns IPv4 and IPv6 forwarding on, "ipv4" or "ipv6" one of them
---@field lo? boolean false leaves lo down (it is brought up by default)

---@class netns.TopologyLinkOptions
---@field addrs? { [1]: string?, [2]: string? } one CIDR per end; nil skips an end
---@field names? { [1]: string?, [2]: string? } interface names (default <node>-eth<N>)
---@field mtu? integer MTU of both ends
---@field rate? string shape both ends to this rate ("10mbit")
---@field vxlan? netns.VxlanOptions a link to a host on another machine, which one end names

--- A link to a host on another machine: a VXLAN device made in the underlay and moved into the host here.
---@class netns.VxlanOptions
---@field id integer VNI, 0 to 16777215
---@field remote string the other machine's underlay address
---@field local? string this machine's underlay address
---@field dev? string underlay device ("eth0")
---@field port? integer UDP port, 4789 by default
---@field ttl? integer
---@field underlay? netns.NS where the device is made and its socket stays (the current namespace by default)

---@class netns.BuildLink: netns.TopologyLinkOptions
---@field [1] string first node's name
---@field [2] string second node's name

---@class netns.BuildSpec
---@field prefix? string as in netns.topology
---@field hosts? table<string, netns.HostOptions|true> host name -> its options
---@field switches? string[] switch names
---@field links? netns.BuildLink[] links between hosts and switches, made in order
---@field routes? table<string, netns.RouteSpec[]> host name -> routes added in it

---------------------------------------------------------------------------
-- Records
--
-- tostring() of a record is the line `ip` shows for it: `ip -br link` (then
-- mtu and master), "10.0.0.1/24 dev eth0", `ip route`, `ip neigh`, `ip rule`;
-- of the list a method returns, one record a line.

---@class netns.Link
---@field ifindex integer interface index
---@field ifname string interface name
---@field flags string[] "UP", "BROADCAST", "LOWER_UP", ...; "NO-CARRIER" first, "M-DOWN" last, as `ip` writes them
---@field mtu integer MTU
---@field qdisc? string root qdisc kind
---@field operstate string "UP", "DOWN", "UNKNOWN", "LOWERLAYERDOWN", ...
---@field txqlen integer transmit queue length
---@field link_type string "ether", "loopback", "none", ...
---@field address? string link-layer address
---@field broadcast? string link-layer broadcast address
---@field promiscuity integer promiscuous mode count
---@field min_mtu integer smallest MTU the device takes
---@field max_mtu integer largest MTU the device takes
---@field ifalias? string interface alias
---@field kind? string `linkinfo.info_kind`: "veth", "bridge", "vxlan", ...; nil when none
---@field master? string|integer name of its master (its index when that is not visible)
---@field link? string peer or lower device's name, in the same namespace
---@field link_index? integer peer or lower device's index, when in another namespace or not visible
---@field link_netnsid? integer nsid of the namespace the peer is in
---@field link_netns? netns.NS handle of the namespace the peer is in, when this process holds one
---@field ns netns.NS the namespace the link is in
local Link = {}

--- Brings the link up.  Raises.
---@return netns.Link link the link re-read
function Link:up() end

--- Brings the link down.  Raises.
---@return netns.Link link the link re-read
function Link:down() end

--- Changes the link as `ns:link_set` does.  Raises.
---@param changes netns.LinkSetOptions
---@return netns.Link link the link re-read (as seen in `changes.ns` when it moved)
function Link:set(changes) end

--- Adds an address to the link.  Raises.
---@param cidr string "10.0.0.1/24", "fd00::1/64"
---@param opts? netns.AddrOptions
---@return netns.Link link the link re-read
function Link:addr_add(cidr, opts) end

--- Removes an address from the link.  Raises.
---@param cidr string
---@param opts? netns.AddrOptions
---@return netns.Link link the link re-read
function Link:addr_del(cidr, opts) end

--- The link's addresses.  Raises.
---@return netns.Addr[]
function Link:addrs() end

--- Moves the link into another namespace.  Raises.
---@param ns2 netns.NS
---@param opts? netns.LinkMoveOptions
---@return netns.Link link the link as seen in `ns2`
function Link:move(ns2, opts) end

--- Deletes the link (a veth's peer goes with it).  Raises.
function Link:delete() end

---@class netns.Addr
---@field ifindex integer interface index
---@field ifname? string interface name
---@field family netns.Family address family
---@field local string the address
---@field prefixlen integer prefix length
---@field cidr string `local` and `prefixlen`: "10.0.0.1/24"
---@field address? string peer address of a point-to-point link
---@field broadcast? string IPv4 broadcast address
---@field scope string "global", "site", "link", "host", "nowhere" or a number
---@field label? string address label
---@field valid_life_time? integer seconds (4294967295: forever)
---@field preferred_life_time? integer seconds (4294967295: forever)
---@field secondary? true IPv4: a secondary address
---@field temporary? true IPv6: a temporary (privacy) address
---@field home? true IPv6 home address
---@field mngtmpaddr? true IPv6: manages temporary addresses
---@field optimistic? true IPv6 optimistic DAD
---@field dynamic? true not permanent
---@field tentative? true IPv6 DAD not yet done
---@field dadfailed? true IPv6 DAD failed
---@field deprecated? true IPv6 preferred lifetime over
---@field nodad? true added without DAD
---@field noprefixroute? true added without a prefix route
---@field autojoin? true joins its multicast group
---@field ["stable-privacy"]? true IPv6: made with a stable secret

---@class netns.Nexthop
---@field gateway? string next-hop address
---@field dev? string outgoing interface
---@field weight integer next-hop weight
---@field flags string[] "onlink", "linkdown", "dead"

---@class netns.Route
---@field dst string "default", an address, or a CIDR
---@field family netns.Family address family
---@field gateway? string gateway address
---@field dev? string outgoing interface
---@field protocol string|integer "kernel", "boot", "static", ... or a number
---@field scope string|integer "global", "link", "host", ... or a number
---@field type string|integer "unicast", "local", "blackhole", ... or a number
---@field table string|integer "main", "local", "default" or a number
---@field prefsrc? string preferred source address
---@field metric? integer route metric
---@field flags string[] "dead", "onlink", "linkdown" (in ip's order)
---@field nhid? integer the nexthop object it goes by (ip nexthop)
---@field nexthops? netns.Nexthop[] next hops of a multipath route
---@field pref? string IPv6 router preference: "low", "medium", "high"
---@field from? string IPv6: the sources it is for
---@field tos? string IPv4: the DS field it is for, "0x10"
---@field expires? integer IPv6: seconds left (0 in its last second, below 0 once expired)
---@field metrics? table[] `{ { mtu = 1400, ... } }`, as ip -j nests them

---@class netns.Neighbor
---@field dst string the neighbour's IP address
---@field dev? string interface name
---@field lladdr? string its link-layer address
---@field state string[] NUD states: "REACHABLE", "STALE", "PERMANENT", "NOARP", ..., "NONE"
---@field router? true the neighbour is a router
---@field proxy? true a proxy entry

---@class netns.RuleListOptions
---@field family? netns.Family|"all" address family, both by default

---@class netns.RuleSpec: netns.ExistOk, netns.MissingOk
---@field priority? integer rule priority ("pref"); the kernel picks one below the others when absent
---@field from? string source address or CIDR, or "all"
---@field to? string destination address or CIDR, or "all"
---@field iif? string input interface name
---@field oif? string output interface name
---@field fwmark? integer|string firewall mark: 16, "0x10" or "0x10/0xff"
---@field fwmask? integer mask for fwmark
---@field table? "main"|"local"|"default"|integer table to look up
---@field action? "table"|"goto"|"nop"|"blackhole"|"unreachable"|"prohibit" what to do instead of a lookup
---@field goto? integer priority to go on from, with action "goto"
---@field not? boolean invert the selector
---@field tos? integer type of service
---@field ipproto? string|integer IP protocol: a name from /etc/protocols ("tcp", "gre") or a number
---@field sport? integer|integer[]|string source port, { lo, hi } or "lo-hi"
---@field dport? integer|integer[]|string destination port, { lo, hi } or "lo-hi"
---@field uidrange? integer|integer[]|string user ids: 1000, { lo, hi } or "lo-hi"
---@field suppress_prefixlength? integer reject lookups yielding prefixes this short or shorter
---@field l3mdev? boolean look up the table of the packet's VRF device
---@field protocol? "static"|"boot"|"kernel"|integer who made the rule (ip rule ... proto)
---@field family? netns.Family the family when no address says

---@class netns.Rule
---@field family netns.Family
---@field priority integer
---@field not? true inverted selector
---@field src string "all" or an address
---@field srclen? integer when not a single host
---@field dst? string destination address
---@field dstlen? integer when not a single host
---@field tos? string "0x10"
---@field fwmark? string "0x10"
---@field fwmask? string "0xff", when not all ones
---@field iif? string
---@field iif_detached? true there is no such device (ip's "[detached]")
---@field oif? string
---@field oif_detached? true there is no such device
---@field ipproto? string|integer named from /etc/protocols: "tcp", "gre", ...
---@field sport? integer
---@field dport? integer
---@field uid_start? integer
---@field uid_end? integer
---@field table? string|integer "main", "local", "default" or a number
---@field l3mdev? true looks up the table of the packet's VRF device (no table)
---@field action? string "prohibit", "blackhole", "unreachable", "goto" or "nop", for rules that look up no table
---@field goto? integer
---@field protocol? string|integer who made it, when neither unspec nor kernel: "static", 4
---@field unresolved? true a goto to a priority that has no rule

--- An event: the record of its kind's listing with these fields added.
---@class netns.Event: netns.Link, netns.Addr, netns.Route, netns.Neighbor, netns.Rule
---@field event "new"|"del"|"overrun" overrun: events were lost; read the state again (`m:resync()`)
---@field kind? "link"|"addr"|"route"|"neigh"|"rule" nil for an overrun
---@field info_kind? string a link event's own kind ("veth", "bridge", ...)
---@field ns netns.NS the namespace it happened in

---@class netns.MonitorKinds
---@field [integer] "link"|"addr"|"route"|"neigh"|"rule" all of them when none is given
---@field rcvbuf? integer socket receive buffer in bytes (a small one overruns sooner)

--- The kernel's notifications of one or more namespaces.  Works with `<close>`.
---@class netns.Monitor
---@field fd? integer the socket, for an application's poll loop (monitors of one namespace)
---@field kinds string[] the kinds watched
local Monitor = {}

--- The next event, or nil when `timeout` seconds pass first (nil: wait as long as it takes).  Raises.
---@param timeout? number
---@return netns.Event|nil
function Monitor:next(timeout) end

--- Iterates over events until none comes for `timeout` seconds.
---@param timeout? number
---@return fun(): netns.Event|nil
function Monitor:events(timeout) end

--- The sockets of every namespace watched.
---@return integer[]
function Monitor:fds() end

--- Drops queued events and reads the watched state afresh: kind -> list (for
--- several namespaces, an array of such tables, each with `ns`).  Raises.
---@return table
function Monitor:resync() end

--- Closes the sockets (idempotent).
function Monitor:close() end

--- What `ns:wait` waits for: exactly one of link, addr, route, neigh.
---@class netns.WaitCondition
---@field link? string a link name; with operstate=, up=, carrier=, mtu=, master=
---@field operstate? string
---@field up? boolean
---@field carrier? boolean
---@field mtu? integer
---@field master? string
---@field addr? string an address or CIDR; with dev=, settled=
---@field settled? boolean no longer tentative (past duplicate address detection)
---@field route? string a destination as `ip route` writes it; with table=, dev=, gateway=
---@field table? string|integer
---@field gateway? string
---@field neigh? string a neighbour's address; with dev=, state=
---@field state? string a NUD state the entry must be in, e.g. "REACHABLE"
---@field dev? string
---@field present? boolean false: wait until it is gone
---@field timeout? number seconds, 10 by default

---------------------------------------------------------------------------
-- Process handles

--- A program started by `ns:spawn`; it dies with the process that spawned it,
--- and a handle that is garbage collected kills and reaps it.  Works with `<close>`.
---@class netns.Process
---@field pid integer the program's process id
local Process = {}

--- Waits for the program to end.  Does not raise for a failed wait: returns `nil, message, errno`.
---@param timeout? number seconds; when they run out, returns `nil, "timeout"` and the program runs on
---@return true|nil ok true when it exited with status 0
---@return "exit"|"signal"|"timeout"|string how how it ended, "timeout", or an error message
---@return integer? code exit status, signal number, or errno
function Process:wait(timeout) end

--- Sends a signal.  Does not raise when the program has ended: returns `nil, message, errno`.
---@param sig? integer|string a number, or "TERM" (default), "KILL", "INT", "HUP", "USR1", "USR2", "STOP", "CONT",
---"QUIT", also with a "SIG" prefix
---@return true|nil ok
---@return string? message
---@return integer? errno
function Process:kill(sig) end

--- Whether the program is still running (reaps it when it has ended).
---@return boolean
function Process:running() end

--- Releases the handle: kills and reaps a program still running.
function Process:close() end

---------------------------------------------------------------------------
-- Namespace handles

--- A handle on a network namespace.  `ns1 == ns2` when both denote the same
--- namespace; `tostring(ns)` is "netns red" or "netns <anonymous 4026532345>".
--- Works with `<close>`.  Any call but `close` on a closed handle raises.
---@class netns.NS
---@field name string|nil its name under /run/netns, nil when anonymous
---@field path string|nil the file it was opened from or is pinned at
---@field id integer its inode number, as `stat -L` shows
local NS = {}

--- Releases the handle (idempotent).  Never deletes a named namespace.
function NS:close() end

--- Removes a named namespace (as `ip netns del`) and closes the handle; on an anonymous one it is `close`.  Raises.
function NS:delete() end

--- Binds the namespace under /run/netns/<name>, so that `ip netns exec` reaches it.  Raises.
---@param name string
---@return netns.NS self
function NS:pin(name) end

--- Removes the pin made by `pin`; the namespace lives on in the handle.  Raises.
---@return netns.NS self
function NS:unpin() end

--- Calls `fn(...)` with the calling thread inside the namespace, then returns home (also when `fn` raises).
--- Raises when the namespace cannot be entered, and what `fn` raises.
---@param fn function
---@param ... any arguments for `fn`
---@return any ... what `fn` returns
function NS:run(fn, ...) end

--- The namespace's file descriptor (for `setns` by other code).  Raises on a closed handle.
---@return integer fd
function NS:fileno() end

--- The id under which namespace `other` is known inside this one, as `ip netns list-id`;
--- with `id`, assigns one first (as `ip netns set`).  Raises.
---@param other netns.NS
---@param id? integer|true an id to assign, or true for any free one
---@return integer|nil nsid nil when it has none
function NS:nsid(other, id) end

--- Every link of the namespace, as `ip -j -d link show`.  Raises.
---@return netns.Link[]
function NS:links() end

--- One link, or nil when there is no such link.  Raises on other failures.
---@param dev netns.Dev
---@return netns.Link|nil
function NS:link(dev) end

--- Creates a link (`ip link add`).  Raises.
---@param spec netns.LinkAddOptions
---@return netns.Link|true link the new link re-read when `spec.name` is given, else true
function NS:link_add(spec) end

--- Changes a link (`ip link set`).  Raises.
---@param dev netns.Dev
---@param changes netns.LinkSetOptions
---@return true
function NS:link_set(dev, changes) end

--- Deletes a link (`ip link del`).  Raises.
---@param dev netns.Dev
---@param opts? netns.MissingOk
---@return boolean deleted false when it was missing and `missing_ok` was given
function NS:link_del(dev, opts) end

--- Creates a veth pair; both are gone again if either end fails.  Raises.
---@param name string the first end, in this namespace
---@param peer string the peer end, here or in `opts.peer_ns`
---@param opts? netns.VethOptions
---@return netns.Link first
---@return netns.Link peer
function NS:veth(name, peer, opts) end

--- Creates a bridge.  Raises.
---@param name string
---@param opts? netns.BridgeOptions
---@return netns.Link
function NS:bridge(name, opts) end

--- The addresses of the namespace, or of one link (`ip -j addr show`).  Raises.
---@param dev? netns.Dev
---@return netns.Addr[]
function NS:addrs(dev) end

--- Adds an IPv4 or IPv6 address (`ip addr add`).  Raises.
---@param dev netns.Dev
---@param cidr string "10.0.0.1/24", "fd00::1/64"
---@param opts? netns.AddrOptions
---@return boolean added false when it existed and `exist_ok` was given
function NS:addr_add(dev, cidr, opts) end

--- Removes an address (`ip addr del`).  Raises.
---@param dev netns.Dev
---@param cidr string
---@param opts? netns.AddrOptions
---@return boolean removed false when it was missing and `missing_ok` was given
---@overload fun(self: netns.NS, a: netns.Addr, opts?: netns.MissingOk): boolean
function NS:addr_del(dev, cidr, opts) end

--- The neighbour (ARP and NDP) entries (`ip -j neigh`).  Raises.
---@param opts? netns.NeighListOptions
---@return netns.Neighbor[]
function NS:neighbors(opts) end

--- Adds a neighbour entry, permanent unless `spec.state` says otherwise.  Raises.
---@param spec netns.NeighSpec
---@return boolean added false when it existed and `exist_ok` was given
function NS:neigh_add(spec) end

--- Adds or replaces a neighbour entry.  Raises.
---@param spec netns.NeighSpec
---@return true
function NS:neigh_replace(spec) end

--- Removes a neighbour entry.  Raises.
---@param spec netns.NeighSpec `dst` and `dev` are enough
---@return boolean removed false when it was missing and `missing_ok` was given
---@overload fun(self: netns.NS, n: netns.Neighbor, opts?: netns.MissingOk): boolean
function NS:neigh_del(spec) end

--- The routes (`ip -j route`), of table "main" unless told.  Raises.
---@param opts? netns.RouteListOptions
---@return netns.Route[]
function NS:routes(opts) end

--- Adds a route (`ip route add`).  Raises.
---@param spec netns.RouteSpec
---@return boolean added false when it existed and `exist_ok` was given
function NS:route_add(spec) end

--- Adds or replaces a route (`ip route replace`).  Raises.
---@param spec netns.RouteSpec
---@return true
function NS:route_replace(spec) end

--- Removes a route (`ip route del`); given a record, that route and not another
--- to the same destination.  Raises.
---@param spec netns.RouteSpec
---@return boolean removed false when it was missing and `missing_ok` was given
---@overload fun(self: netns.NS, r: netns.Route, opts?: netns.MissingOk): boolean
function NS:route_del(spec) end

--- Runs a program inside the namespace and waits; returns what `os.execute` returns.
--- Raises on bad arguments and when the program cannot be started; a failing program does not raise.
---@param cmd netns.Cmd
---@param opts? netns.ExecOptions
---@return boolean|nil ok true when it exited with status 0
---@return "exit"|"signal" how
---@return integer code exit status or signal number
function NS:exec(cmd, opts) end

--- Runs a program like `exec` and returns its standard output.
--- Raises when it cannot run or exits non-zero (with its stderr in the message).
---@param cmd netns.Cmd
---@param opts? netns.OutputOptions
---@return string stdout
---@return true|nil ok with `check = false`: as `os.execute`
---@return "exit"|"signal"|nil how
---@return integer|nil code
function NS:output(cmd, opts) end

--- `io.popen` inside the namespace: a Lua file whose `close` returns like `exec`.  Raises.
---@param cmd netns.Cmd
---@param mode? "r"|"w" "r" by default
---@return file*
function NS:popen(cmd, mode) end

--- Starts a program in the background.  Raises.
---@param cmd netns.Cmd
---@param opts? netns.SpawnOptions
---@return netns.Process
function NS:spawn(cmd, opts) end

--- Reads (`value` absent) or writes a sysctl of the namespace: `ns:sysctl("net.ipv4.ip_forward", 1)`.  Raises.
---@param key string a "net." key as sysctl(8) takes it, or "net/..." with '/' between names when one holds a dot
---@param value? string|number|boolean true and false write "1" and "0"
---@return string|true value the value read (without its newline), or true after a write
---@overload fun(self: netns.NS, key: string): string
---@overload fun(self: netns.NS, key: string, value: string|number|boolean): true
function NS:sysctl(key, value) end

--- ICMP echo from inside the namespace (no `ping` binary).  Raises.
---@param addr string an IPv4 or IPv6 address
---@param opts? netns.PingOptions
---@return boolean replied
---@return number? ms round-trip time in milliseconds when it replied
---@overload fun(self: netns.NS, addrs: string[], opts?: netns.PingOptions): netns.PingResults
function NS:ping(addr, opts) end

--- Policy rules, as `ip -j rule`.  Raises.
---@param opts? netns.RuleListOptions
---@return netns.Rule[]
function NS:rules(opts) end

--- Adds a rule, as `ip rule add`.  Raises (EEXIST unless `exist_ok`).
---@param spec netns.RuleSpec
---@return boolean added false when it existed and `exist_ok` was given
function NS:rule_add(spec) end

--- Deletes the first rule matching `spec`, as `ip rule del`.  Raises (ENOENT unless `missing_ok`).
---@param spec netns.RuleSpec
---@return boolean deleted
---@overload fun(self: netns.NS, r: netns.Rule, opts?: netns.MissingOk): boolean
function NS:rule_del(spec) end

--- A monitor of this namespace's events.  Raises.
---@param kinds? netns.MonitorKinds
---@return netns.Monitor
function NS:monitor(kinds) end

--- Waits until a state holds: true as soon as it does, false on timeout.  Raises on a bad condition.
---@param cond netns.WaitCondition
---@return boolean
function NS:wait(cond) end

--- Shapes what `dev` sends to `rate` with a token bucket (tbf) as root qdisc.  Raises.
---@param dev netns.Dev
---@param rate string "10mbit", "1.5gbit", "500kbps", or bits per second
---@param opts? netns.ShapeOptions
---@return true
function NS:shape(dev, rate, opts) end

---------------------------------------------------------------------------
-- Topologies

---@class netns.TopologyNode
---@field name string node name
---@field kind "host"|"switch"
---@field ns netns.NS its namespace

---@class netns.TopologyLink
---@field a string first node's name
---@field b string second node's name
---@field names { [1]: string, [2]: string } interface names at a and b
---@field addrs { [1]: string?, [2]: string? } CIDRs at a and b

--- Hosts, switches and links that the topology owns and undoes, newest first, on `destroy`,
--- on `<close>`, when a step fails and (in nslua) when the script ends.
---@class netns.Topology
---@field prefix string prefix of its pins under /run/netns
local Topology = {}

--- A host: an anonymous namespace with lo up, pinned at /run/netns/<prefix><name>.  Raises.
---@param name string letters, digits, '_', '.', '-'
---@param opts? netns.HostOptions
---@return netns.NS
function Topology:host(name, opts) end

--- A switch: a bridge named like the switch, in a namespace of its own.  Raises.
---@param name string
---@return netns.NS
function Topology:switch(name) end

--- A veth between two nodes, both ends up.  Raises (and undoes the step).
---@param a netns.Node a host or switch of this topology
---@param b netns.Node
---@param opts? netns.TopologyLinkOptions
---@return netns.Link at_a
---@return netns.Link at_b
function Topology:link(a, b, opts) end

--- ICMP echo from `host` to `addr`.  Raises.
---@param host netns.Node
---@param addr string
---@param opts? netns.PingOptions
---@return boolean replied
---@return number? ms
---@overload fun(self: netns.Topology, host: netns.Node, addrs: string[], opts?: netns.PingOptions): netns.PingResults
function Topology:ping(host, addr, opts) end

--- Every host pings every other host's global addresses.  Raises.
---@param opts? netns.PingOptions
---@return table<string, netns.PingResults> matrix source host -> address -> ms or false
---@return string summary printable, ending "*** Results: N% dropped (R/S received)"
function Topology:pingall(opts) end

--- The hosts and switches, in the order they were made.
---@return netns.TopologyNode[]
function Topology:hosts() end

--- The namespace handle of host or switch `name`, nil when there is none.
---@param name string
---@return netns.NS?
function Topology:ns(name) end

--- The links, in the order they were made.
---@return netns.TopologyLink[]
function Topology:links() end

--- Graphviz DOT of the topology.
---@return string
function Topology:dot() end

--- Removes everything the topology made: its pins, then the rest newest first; harmless twice.
--- Raises when an undo failed.
function Topology:destroy() end

---------------------------------------------------------------------------
-- CNI plugins: `local cni = require "netns.cni" ---@type netns.cni`

--- One CNI invocation, as the runtime asked for it.
---@class netns.cni.Request
---@field command "ADD"|"DEL"|"CHECK"|"STATUS"|"GC"
---@field containerid? string CNI_CONTAINERID
---@field netns_path? string CNI_NETNS
---@field netns? netns.NS the open handle on CNI_NETNS (nil on DEL when it is gone)
---@field ifname? string CNI_IFNAME
---@field args table<string, string> CNI_ARGS ("K1=V1;K2=V2")
---@field path string[] CNI_PATH, split
---@field config table the decoded network configuration
---@field prevResult? table config.prevResult
---@field runtimeConfig? table config.runtimeConfig
---@field cniVersion string config.cniVersion
---@field stdin string the configuration as received (what delegated plugins get)

---@alias netns.cni.Handler fun(conf: table, ns: netns.NS|nil, req: netns.cni.Request): table|nil

--- What a plugin file returns.  `add` returns the result (interfaces, ips, routes, dns).
---@class netns.cni.Handlers
---@field add netns.cni.Handler
---@field del? netns.cni.Handler missing: DEL succeeds
---@field check? netns.cni.Handler missing: CHECK succeeds
---@field status? netns.cni.Handler
---@field gc? netns.cni.Handler
---@field version? string[]|fun(): string[] the versions spoken (default netns.cni.VERSIONS)

--- The CNI protocol around a plugin written in Lua.
---@class netns.cni
---@field VERSIONS string[] "0.3.0" to "1.1.0"
---@field INCOMPATIBLE_VERSION integer 1
---@field UNSUPPORTED_FIELD integer 2
---@field UNKNOWN_CONTAINER integer 3
---@field INVALID_ENVIRONMENT integer 4
---@field IO_FAILURE integer 5
---@field DECODE_FAILURE integer 6
---@field INVALID_CONFIG integer 7
---@field TRY_AGAIN_LATER integer 11
---@field INTERNAL integer 999 (what any other error of a handler becomes)
---@field error fun(code: integer, msg: string, details?: string) raises a CNI error object
---@field is_error fun(v: any): boolean
---@field ipam fun(req: netns.cni.Request, cmd?: string): table|nil runs config.ipam.type from CNI_PATH; its result
---@field delegate fun(req: netns.cni.Request, name: string, cmd?: string): table|nil the same for any plugin
---@field find_plugin fun(req: netns.cni.Request, name: string): string|nil
---@field host_veth_name fun(): string "veth" and 8 random hex digits (a host end's name)
---@field del_veth fun(conf: table, ns: netns.NS|nil, req: netns.cni.Request) DEL of a veth plugin
---@field check_veth fun(conf: table, ns: netns.NS, req: netns.cni.Request): netns.Link CHECK's common part
---@field load fun(path: string): netns.cni.Handlers
---@field run fun(plugin: netns.cni.Handlers|string, opts?: table): integer one invocation; the exit status
---@field main fun(plugin: netns.cni.Handlers|string) runs one invocation and exits

---------------------------------------------------------------------------
-- The module

--- Linux network namespaces.  `require "netns"`; in nslua also the global `netns`.
---@class netns
---@field _VERSION string "netns 0.1"
local netns = {}

--- A new named namespace bound at /run/netns/<name>, as `ip netns add`.  Raises.
---@param name string
---@param opts? netns.ExistOk with exist_ok, opens the namespace when it exists
---@return netns.NS
function netns.add(name, opts) end

--- A new anonymous namespace: freed with every link in it once nothing holds it.  Raises.
---@return netns.NS
function netns.new() end

--- @count new anonymous namespaces at once, made in parallel on the machine's cores, each with
--- `opts.sysctl` (key -> value) written in it.  All or nothing.  Raises.
---@param count integer
---@param opts? { sysctl?: table<string, string|number|boolean> }
---@return netns.NS[]
function netns.new_many(count, opts) end

--- An existing namespace: a name under /run/netns, or a path when the string has a '/'.  Raises.
---@param name_or_path string
---@return netns.NS
function netns.open(name_or_path) end

--- The namespace of process `pid`.  Raises.
---@param pid integer
---@return netns.NS
function netns.pid(pid) end

--- The calling thread's namespace.  Raises.
---@return netns.NS
function netns.current() end

--- Sorted names under /run/netns, as `ip netns list`.  Raises.
---@return string[]
function netns.list() end

--- Whether namespace `name` exists under /run/netns.  Raises on an invalid name.
---@param name string
---@return boolean
function netns.exists(name) end

--- Deletes a named namespace, as `ip netns del`.  Raises.
---@param name string
---@param opts? netns.MissingOk
---@return boolean deleted false when it was missing and `missing_ok` was given
function netns.delete(name, opts) end

--- Removes the pins that killed runs left under /run/netns (never those of live runs or `ip netns add`).  Raises.
---@param prefix? string only names starting with it ("" by default: all)
---@return string[] removed
function netns.cleanup(prefix) end

--- One monitor over several namespaces; each event names its `ns`.  Raises.
---@param list netns.NS[]
---@param kinds? netns.MonitorKinds
---@return netns.Monitor
function netns.monitor(list, kinds) end

--- The first monitor with an event and that event, or nil after `timeout` seconds.  Raises.
---@param monitors netns.Monitor[]
---@param timeout? number
---@return netns.Monitor|nil
---@return netns.Event|nil
function netns.select(monitors, timeout) end

--- A new, empty topology.  Raises on a bad prefix.
---@param opts? netns.TopologyOptions
---@return netns.Topology
function netns.topology(opts) end

--- A whole topology from one table, all or nothing: a failed step tears it down and raises.
---@param spec netns.BuildSpec
---@return netns.Topology
function netns.build(spec) end

--- Graphviz DOT of what exists in these namespaces, however it was made.  Raises.
---@param list netns.NS[]
---@return string
function netns.graph(list) end

--- Whether `v` is a namespace handle of this module.
---@param v any
---@return boolean
function netns.is_ns(v) end

return netns
