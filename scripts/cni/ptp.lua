#!/usr/bin/env -S nslua --cni
-- A CNI "ptp" plugin: a veth pair between the host and the container, no
-- bridge.  As the reference plugin does, the container reaches everything
-- through the gateway the IPAM plugin names, a /32 neighbour on the link;
-- the host end holds that gateway address and a host route to the
-- container.  Keys: mtu, ipam.  Run directly or by `nslua --cni ptp.lua`.
local netns = require "netns"
local cni = require "netns.cni"

local function family_of(addr)
  return addr:find(":", 1, true) and "inet6" or "inet"
end

local function host_bits(family)
  return family == "inet" and "/32" or "/128"
end

-- The prefix route the kernel made for address @cidr on @ifname.
local function prefix_route(ns, ifname, cidr)
  local family = family_of(cidr)
  for _, r in ipairs(ns:routes { family = family }) do
    if r.dev == ifname and r.protocol == "kernel" and r.dst ~= "default"
       and not r.dst:find("^fe80:") and (family == "inet" or r.dst:find("/", 1, true)) then
      return r.dst
    end
  end
end

-- One IP of the IPAM result, on both ends of the pair.
local function configure_ip(host, ns, hname, ifname, ip)
  local family = family_of(ip.address)
  local addr, gw = ip.address:match("^([^/]+)"), ip.gateway
  if not gw then cni.error(cni.INVALID_CONFIG, ("IPAM gave %s no gateway"):format(ip.address)) end
  ns:addr_add(ifname, ip.address, family == "inet" and { broadcast = "+" } or { nodad = true })
  local subnet = prefix_route(ns, ifname, ip.address)
  if subnet then ns:route_del { dst = subnet, dev = ifname } end
  ns:route_add { dst = gw .. host_bits(family), dev = ifname, scope = "link", src = addr }
  if subnet then ns:route_add { dst = subnet, gateway = gw, dev = ifname, src = addr } end
  host:addr_add(hname, gw .. host_bits(family), { exist_ok = true, nodad = family == "inet6" or nil })
  host:route_add { dst = addr .. host_bits(family), dev = hname, scope = "host" }
  host:sysctl(family == "inet" and "net.ipv4.ip_forward" or "net.ipv6.conf.all.forwarding", 1)
  return family, gw
end

local plugin = {}

function plugin.add(conf, ns, req)
  if conf.ipMasq then cni.error(cni.UNSUPPORTED_FIELD, 'unsupported field "ipMasq"') end
  local host, ifname = netns.current(), req.ifname
  if ns:link(ifname) then
    cni.error(cni.INTERNAL, ("container veth name provided (%s) already exists"):format(ifname))
  end
  local ipam = cni.ipam(req)
  if not ipam or not ipam.ips or #ipam.ips == 0 then
    if ipam then pcall(cni.ipam, req, "DEL") end
    cni.error(cni.INVALID_CONFIG, "IPAM plugin returned missing IP config")
  end
  local hname = cni.host_veth_name()
  local ok, res = pcall(function()
    local hv, cv = host:veth(hname, ifname, { peer_ns = ns, mtu = math.tointeger(conf.mtu), up = true,
                                               peer_address = req.args.MAC })
    local gw_of, ips = {}, {}
    for i, ip in ipairs(ipam.ips) do
      local family, gw = configure_ip(host, ns, hname, ifname, ip)
      gw_of[family] = gw_of[family] or gw
      ips[i] = { address = ip.address, gateway = gw, interface = 1 }
    end
    for _, r in ipairs(ipam.routes or {}) do
      ns:route_add { dst = r.dst, gateway = r.gw or gw_of[family_of(r.dst)], dev = ifname }
    end
    ns:sysctl("net.ipv4.conf." .. ifname .. ".arp_notify", 1)
    return {
      interfaces = { { name = hname, mac = hv.address },
                     { name = ifname, mac = cv.address, sandbox = req.netns_path } },
      ips = ips, routes = ipam.routes or {}, dns = ipam.dns or {},
    }
  end)
  if ok then return res end
  ns:link_del(ifname, { missing_ok = true })
  pcall(cni.ipam, req, "DEL")
  error(res, 0)
end

plugin.del = cni.del_veth

function plugin.check(conf, ns, req)
  local l = cni.check_veth(conf, ns, req)
  if not (l.link_index and netns.current():link(l.link_index)) then
    cni.error(cni.INTERNAL, ("the host end of %s is gone"):format(req.ifname))
  end
end

return plugin
