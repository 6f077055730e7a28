-- Writes the iproute2 contenders of a workload into a directory:
--   cmd-both.sh, cmd-build.sh, cmd-teardown.sh    one `ip` process per operation
--   batch-both.b, batch-build.b, batch-teardown.b  fed to one `ip -batch`
--   <ns>.b                                         a batch run inside namespace <ns>
-- The batch form uses as few ip processes as iproute2 allows.  `ip -batch`
-- cannot switch namespace between lines, and an address can only be added
-- from inside its namespace, so each namespace holding an address needs an
-- ip of its own: `netns exec <ns> ip -batch <ns>.b`, forked by the top batch
-- (no shell).  Everything else happens in the top ip: `netns add`, links
-- created directly in their namespaces (`link add X netns A ... peer name Y
-- netns B`), the bridge given index 2 so that its ports can name it as
-- `master if2` from outside sw (iproute2 reads "if<N>" as an index when no
-- link has that name), and `netns del`.  star-N: N+1 ip processes; pairs-N:
-- 2N+1; chain-N: N+1, each router's forked through a shell that writes its
-- forwarding sysctl first.  dump and exec: one ip for the whole loop.
local here = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
local topo = dofile(here .. "/topo.lua")

local M = {}

local function mkdir(dir)
  assert(os.execute("mkdir -p '" .. dir:gsub("'", "'\\''") .. "'"))
end

local function write(path, lines)
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

local function concat(a, b)
  local out = {}
  for _, l in ipairs(a) do out[#out + 1] = l end
  for _, l in ipairs(b) do out[#out + 1] = l end
  return out
end

local function sh(lines)
  return concat({ "#!/bin/sh", "set -e" }, lines)
end

-- Both phases and their sum, as shell scripts and as top-level batches.
local function emit(dir, cmd_build, cmd_down, batch_build, batch_down)
  write(dir .. "/cmd-build.sh", sh(cmd_build))
  write(dir .. "/cmd-teardown.sh", sh(cmd_down))
  write(dir .. "/cmd-both.sh", sh(concat(cmd_build, cmd_down)))
  write(dir .. "/batch-build.b", batch_build)
  write(dir .. "/batch-teardown.b", batch_down)
  write(dir .. "/batch-both.b", concat(batch_build, batch_down))
end

local function deletes(workload, n, prefix)
  local out = {}
  for _, name in ipairs(topo.names(workload, n)) do out[#out + 1] = prefix .. name end
  return out
end

function M.star(dir, n)
  mkdir(dir)
  local c = { "ip netns add sw", "ip -n sw link add br0 type bridge", "ip -n sw link set br0 up" }
  local b = { "netns add sw" }
  for i = 1, n do
    local h, p, cidr = "h" .. i, "p" .. i, topo.star_cidr(i)
    c[#c + 1] = "ip netns add " .. h
    c[#c + 1] = ("ip -n sw link add %s type veth peer name eth0 netns %s"):format(p, h)
    c[#c + 1] = ("ip -n sw link set %s master br0 up"):format(p)
    c[#c + 1] = ("ip -n %s addr add %s dev eth0"):format(h, cidr)
    c[#c + 1] = ("ip -n %s link set eth0 up"):format(h)
    c[#c + 1] = ("ip -n %s link set lo up"):format(h)
    b[#b + 1] = "netns add " .. h
    write(("%s/%s.b"):format(dir, h), {
      ("addr add %s dev eth0"):format(cidr), "link set eth0 up", "link set lo up" })
  end
  b[#b + 1] = "link add br0 netns sw index 2 up type bridge"
  for i = 1, n do
    b[#b + 1] = ("link add p%d netns sw master if2 up type veth peer name eth0 netns h%d"):format(i, i)
  end
  for i = 1, n do
    b[#b + 1] = ("netns exec h%d ip -batch %s/h%d.b"):format(i, dir, i)
  end
  emit(dir, c, deletes("star", n, "ip netns del "), b, deletes("star", n, "netns del "))
end

function M.pairs(dir, n)
  mkdir(dir)
  local c, b, execs = {}, {}, {}
  for i = 1, n do
    local a, z = "a" .. i, "b" .. i
    local ca, cz = topo.pair_cidr(i, 1), topo.pair_cidr(i, 2)
    c[#c + 1] = "ip netns add " .. a
    c[#c + 1] = "ip netns add " .. z
    c[#c + 1] = ("ip -n %s link add veth0 type veth peer name veth1 netns %s"):format(a, z)
    c[#c + 1] = ("ip -n %s addr add %s dev veth0"):format(a, ca)
    c[#c + 1] = ("ip -n %s addr add %s dev veth1"):format(z, cz)
    c[#c + 1] = ("ip -n %s link set veth0 up"):format(a)
    c[#c + 1] = ("ip -n %s link set veth1 up"):format(z)
    c[#c + 1] = ("ip -n %s link set lo up"):format(a)
    c[#c + 1] = ("ip -n %s link set lo up"):format(z)
    b[#b + 1] = "netns add " .. a
    b[#b + 1] = "netns add " .. z
    b[#b + 1] = ("link add veth0 netns %s up type veth peer name veth1 netns %s"):format(a, z)
    write(("%s/%s.b"):format(dir, a), { ("addr add %s dev veth0"):format(ca), "link set lo up" })
    write(("%s/%s.b"):format(dir, z), {
      ("addr add %s dev veth1"):format(cz), "link set veth1 up", "link set lo up" })
    execs[#execs + 1] = ("netns exec %s ip -batch %s/%s.b"):format(a, dir, a)
    execs[#execs + 1] = ("netns exec %s ip -batch %s/%s.b"):format(z, dir, z)
  end
  emit(dir, c, deletes("pairs", n, "ip netns del "), concat(b, execs), deletes("pairs", n, "netns del "))
end

-- chain-N: the per-operation script writes forwarding with
-- `ip netns exec rX sysctl`, as scripts do; the batch has no sysctl verb, so
-- each router's `netns exec` runs a shell that writes /proc/sys and then
-- becomes that router's `ip -batch`.
function M.chain(dir, n)
  mkdir(dir)
  local c, b, links, execs = {}, {}, {}, {}
  local function routes(i, out, prefix)
    for _, r in ipairs(topo.chain_routes(i, n)) do
      out[#out + 1] = ("%sroute add %s via %s"):format(prefix, r.dst, r.gateway)
    end
  end
  for i = 1, n do
    local r, prev = "r" .. i, "r" .. (i - 1)
    c[#c + 1] = "ip netns add " .. r
    c[#c + 1] = ("ip netns exec %s sysctl -qw net.ipv4.ip_forward=1"):format(r)
    c[#c + 1] = ("ip -n %s link set lo up"):format(r)
    if i > 1 then
      c[#c + 1] = ("ip -n %s link add right type veth peer name left netns %s"):format(prev, r)
      c[#c + 1] = ("ip -n %s addr add %s dev right"):format(prev, topo.chain_cidr(i - 1, 1))
      c[#c + 1] = ("ip -n %s addr add %s dev left"):format(r, topo.chain_cidr(i - 1, 2))
      c[#c + 1] = ("ip -n %s link set right up"):format(prev)
      c[#c + 1] = ("ip -n %s link set left up"):format(r)
      routes(i - 1, c, "ip -n " .. prev .. " ")
    end
    b[#b + 1] = "netns add " .. r
    if i < n then
      links[#links + 1] = ("link add right netns %s up type veth peer name left netns r%d"):format(r, i + 1)
    end
    local rb = {}
    if i > 1 then
      rb[#rb + 1] = ("addr add %s dev left"):format(topo.chain_cidr(i - 1, 2))
      rb[#rb + 1] = "link set left up"
    end
    if i < n then rb[#rb + 1] = ("addr add %s dev right"):format(topo.chain_cidr(i, 1)) end
    rb[#rb + 1] = "link set lo up"
    routes(i, rb, "")
    write(("%s/%s.b"):format(dir, r), rb)
    execs[#execs + 1] = ('netns exec %s sh -c "echo 1 > /proc/sys/net/ipv4/ip_forward && exec ip -batch %s/%s.b"')
      :format(r, dir, r)
  end
  routes(n, c, "ip -n r" .. n .. " ")
  emit(dir, c, deletes("chain", n, "ip netns del "), concat(concat(b, links), execs),
       deletes("chain", n, "netns del "))
end

-- dump: COUNT times `ip link show` and `ip addr show` in NAME, output discarded.
function M.dump(dir, name, count)
  mkdir(dir)
  local c, b = {}, {}
  for _ = 1, count do
    c[#c + 1] = ("ip -n %s link show >/dev/null"):format(name)
    c[#c + 1] = ("ip -n %s addr show >/dev/null"):format(name)
    b[#b + 1] = "link show"
    b[#b + 1] = "addr show"
  end
  write(dir .. "/cmd-both.sh", sh(c))
  write(dir .. "/dump.b", b)
  write(dir .. "/batch-both.sh", sh { ("exec ip -n %s -batch %s/dump.b >/dev/null"):format(name, dir) })
end

-- exec: COUNT times /bin/true in NAME.
function M.exec(dir, name, count)
  mkdir(dir)
  local c, b = {}, {}
  for _ = 1, count do
    c[#c + 1] = ("ip netns exec %s /bin/true"):format(name)
    b[#b + 1] = ("netns exec %s /bin/true"):format(name)
  end
  write(dir .. "/cmd-both.sh", sh(c))
  write(dir .. "/batch-both.b", b)
end

return M
