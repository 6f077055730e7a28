#!/usr/bin/env -S nslua --cni
-- A CNI "bridge" plugin: the container joins a bridge on the host through
-- a veth pair, with addresses and routes from the IPAM plugin the
-- configuration names (host-local, say).  The reference plugin's common
-- keys: bridge (default "cni0"), isGateway, isDefaultGateway, mtu, ipam.
-- Runtimes execute this file directly; `nslua --cni bridge.lua` does the same.
local netns = require "netns"
local cni = require "netns.cni"

-- Keys of the reference plugin that this one does not implement.
local UNSUPPORTED = { ipMasq = true, hairpinMode = true, promiscMode = true, vlan = true,
                      macspoofchk = true, forceAddress = true }

-- The configuration, checked, with its defaults.
local function settings(conf)
  for key in pairs(UNSUPPORTED) do
    if conf[key] ~= nil and conf[key] ~= false then
      cni.error(cni.UNSUPPORTED_FIELD, ("unsupported field %q"):format(key))
    end
  end
  return { bridge = conf.bridge or "cni0", mtu = math.tointeger(conf.mtu),
           gateway = conf.isGateway or conf.isDefaultGateway, default = conf.isDefaultGateway }
end

-- The bridge, made and brought up when missing.
local function ensure_bridge(host, s)
  local br = host:link(s.bridge)
  if br and br.kind ~= "bridge" then
    cni.error(cni.INTERNAL, ("%q already exists but is not a bridge"):format(s.bridge))
  end
  if not br then
    local ok, made = pcall(host.bridge, host, s.bridge, { mtu = s.mtu, up = true })
    br = ok and made or host:link(s.bridge) or error(made, 0)  -- another ADD may have made it
  end
  for _, flag in ipairs(br.flags or {}) do
    if flag == "UP" then return br end
  end
  return br:up()
end

-- Addresses, the gateway on the bridge, routes: what the IPAM result asks.
local function configure(host, ns, s, ifname, ipam)
  local gw_of = {}
  for _, ip in ipairs(ipam.ips or {}) do
    local family = ip.address:find(":", 1, true) and "inet6" or "inet"
    local opts = family == "inet" and { broadcast = "+" } or { nodad = true }
    ns:addr_add(ifname, ip.address, opts)
    if ip.gateway then
      gw_of[family] = gw_of[family] or ip.gateway
      if s.gateway then
        opts.exist_ok = true
        host:addr_add(s.bridge, ip.gateway .. ip.address:match("/%d+$"), opts)
        host:sysctl(family == "inet" and "net.ipv4.ip_forward" or "net.ipv6.conf.all.forwarding", 1)
      end
    end
  end
  local routes = ipam.routes or {}
  if s.default then
    for family, gw in pairs(gw_of) do
      routes[#routes + 1] = { dst = family == "inet" and "0.0.0.0/0" or "::/0", gw = gw }
    end
  end
  for _, r in ipairs(routes) do
    local gw = r.gw or gw_of[r.dst:find(":", 1, true) and "inet6" or "inet"]
    ns:route_add { dst = r.dst, gateway = gw, dev = ifname }
  end
  return routes
end

local plugin = {}

function plugin.add(conf, ns, req)
  local s, host = settings(conf), netns.current()
  local ifname = req.ifname
  if ns:link(ifname) then
    cni.error(cni.INTERNAL, ("container veth name provided (%s) already exists"):format(ifname))
  end
  ensure_bridge(host, s)
  local hname = cni.host_veth_name()
  local hv, cv = host:veth(hname, ifname, { peer_ns = ns, mtu = s.mtu, master = s.bridge,
                                             up = true, peer_address = req.args.MAC })
  local ok, res = pcall(function()
    local ipam = cni.ipam(req) or {}
    local routes = configure(host, ns, s, ifname, ipam)
    ns:sysctl("net.ipv4.conf." .. ifname .. ".arp_notify", 1)
    local ips = {}
    for i, ip in ipairs(ipam.ips or {}) do
      ips[i] = { address = ip.address, gateway = ip.gateway, interface = 2 }
    end
    return {
      interfaces = { { name = s.bridge, mac = host:link(s.bridge).address },
                     { name = hname, mac = hv.address },
                     { name = ifname, mac = cv.address, sandbox = req.netns_path } },
      ips = ips, routes = routes, dns = ipam.dns or {},
    }
  end)
  if ok then return res end
  ns:link_del(ifname, { missing_ok = true })     -- takes the host end with it
  if conf.ipam then pcall(cni.ipam, req, "DEL") end
  error(res, 0)
end

plugin.del = cni.del_veth

function plugin.check(conf, ns, req)
  local s, host = settings(conf), netns.current()   -- the configuration first, as the reference plugin
  local l = cni.check_veth(conf, ns, req)
  local peer = l.link_index and host:link(l.link_index)
  if not peer or peer.master ~= s.bridge then
    cni.error(cni.INTERNAL, ("the host end of %s is not on bridge %s"):format(req.ifname, s.bridge))
  end
end

return plugin
