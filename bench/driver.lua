-- The bench driver, run by bench/run inside spec/sandbox with build/nslua.
-- Checks that every contender builds the same thing, then times each
-- workload for every contender, alternating contenders within each
-- repetition, and prints one table per workload and size.
local netns   -- required once the options are read (--help needs no build)

local here = arg[0]:match("^(.*)/[^/]*$") or "."
local root = here:match("^(.*)/bench$") or (here == "bench" and ".") or here .. "/.."
local topo = dofile(here .. "/topo.lua")
local gen = dofile(here .. "/gen_ip.lua")

local OUT = root .. "/build/bench"
-- bench/run copies build/nslua here, so that a rebuild during a run does not mix versions.
local HARNESS, FLOOR, NSLUA = OUT .. "/harness", OUT .. "/floor", OUT .. "/nslua"
local PYTHON = "/usr/bin/python3"

local USAGE = [[
usage: bench/run [options]
  --reps N             repetitions of every measurement (default 3)
  --sizes 10,100,1000  N for star-N and pairs-N (default 10,100,1000; more is opt-in;
                       star-N stops at 1023, the most ports a Linux bridge takes)
  --chain-sizes LIST   N for chain-N (default 10,100; --full adds 1000)
  --workloads LIST     star,pairs,chain,dump,exec (default all)
  --contenders LIST    floor,nslua,build,ip,batch,pyroute2,mininet (default all)
  --peers-max N        largest N the peers (ip, ip -batch, pyroute2, Mininet) build
                       (default 100: at 1000 they take minutes a run)
  --mininet-max N      largest star-N Mininet builds (default 300)
  --mininet-reps N     repetitions for Mininet (default 1: 50x the floor, ~0.5 s a host)
  --dump-count N       dumps in the dump workload (default 100)
  --exec-count N       programs in the exec workload (default 500)
  --pyroute2-dumps N   dumps in pyroute2's run (default 10: ~0.7 s a dump)
  --pyroute2-execs N   programs in pyroute2's run (default 50: ~0.1 s a program)
  --full               every contender at every size, Mininet up to 300, all
                       repetitions and counts for everyone (about an hour)
  --quick              --reps 1 --sizes 10,100 --chain-sizes 10,100
  --syscalls           also run each contender once under strace -f -c and print
                       its system calls per unit (the most frequent ones)
  --profile            also run each contender once under perf record and print
                       where its CPU time went: kernel, Lua, libc, ... and the
                       functions that took most (needs perf)
  --no-check           skip the check that every contender builds the same topology
  --help               this text
Tables compare the time per unit (host, pair, router, dump, program), so counts may
differ between contenders.  Runs inside spec/sandbox (bench/run enters it);
logs go to build/bench/logs.
]]

---------------------------------------------------------------------------
-- Options

local opt = {
  reps = 3, sizes = { 10, 100, 1000 }, workloads = { "star", "pairs", "chain", "dump", "exec" },
  contenders = { "floor", "nslua", "build", "ip", "batch", "pyroute2", "mininet" },
  peers_max = 100, mininet_max = 300, mininet_reps = 1, dump_count = 100, exec_count = 500,
  pyroute2_dumps = 10, pyroute2_execs = 50, check = true,
}

local function split(s)
  local out = {}
  for item in s:gmatch("[^,%s]+") do out[#out + 1] = item end
  return out
end

local function numbers(s)
  local out = {}
  for _, item in ipairs(split(s)) do
    out[#out + 1] = assert(math.tointeger(tonumber(item)), "not a number: " .. item)
  end
  return out
end

do
  local i = 1
  local function value()
    i = i + 1
    if arg[i] == nil then io.stderr:write(USAGE); os.exit(2) end
    return arg[i]
  end
  while arg[i] do
    local a = arg[i]
    if a == "--reps" then opt.reps = numbers(value())[1]
    elseif a == "--sizes" then opt.sizes = numbers(value())
    elseif a == "--chain-sizes" then opt.chain_sizes = numbers(value())
    elseif a == "--workloads" then opt.workloads = split(value())
    elseif a == "--contenders" then opt.contenders = split(value())
    elseif a == "--peers-max" then opt.peers_max = numbers(value())[1]
    elseif a == "--mininet-max" then opt.mininet_max = numbers(value())[1]
    elseif a == "--mininet-reps" then opt.mininet_reps = numbers(value())[1]
    elseif a == "--dump-count" then opt.dump_count = numbers(value())[1]
    elseif a == "--exec-count" then opt.exec_count = numbers(value())[1]
    elseif a == "--pyroute2-dumps" then opt.pyroute2_dumps = numbers(value())[1]
    elseif a == "--pyroute2-execs" then opt.pyroute2_execs = numbers(value())[1]
    elseif a == "--full" then opt.full = true
    elseif a == "--quick" then opt.reps, opt.sizes, opt.quick = 1, { 10, 100 }, true
    elseif a == "--no-check" then opt.check = false
    elseif a == "--syscalls" then opt.syscalls = true
    elseif a == "--profile" then opt.profile = true
    elseif a == "--help" or a == "-h" then io.stdout:write(USAGE); os.exit(0)
    else io.stderr:write("bench/run: unknown option ", a, "\n", USAGE); os.exit(2)
    end
    i = i + 1
  end
end

if opt.full then
  opt.peers_max, opt.mininet_reps = math.huge, opt.reps
  opt.pyroute2_dumps, opt.pyroute2_execs = opt.dump_count, opt.exec_count
end
opt.chain_sizes = opt.chain_sizes or ((opt.full and not opt.quick) and { 10, 100, 1000 } or { 10, 100 })

if os.getenv("NETNS_SANDBOX") ~= "1" then
  io.stderr:write("bench: run me through bench/run: I must be inside spec/sandbox\n")
  os.exit(2)
end
netns = require "netns"

---------------------------------------------------------------------------
-- Processes

local function quote(s)
  s = tostring(s)
  if s:match("^[%w%./_,=:%-]+$") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

local function cmdline(argv)
  local out = {}
  for i, a in ipairs(argv) do out[i] = quote(a) end
  return table.concat(out, " ")
end

-- Output of a shell command line, and whether it succeeded.
local function capture(line)
  local f = assert(io.popen(line, "r"))
  local out = f:read("a")
  return out, f:close()
end

local function read_file(path)
  local f = io.open(path)
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function tail(text, n)
  local lines = {}
  for l in (text or ""):gmatch("[^\n]+") do lines[#lines + 1] = l end
  return table.concat(lines, "\n    ", math.max(1, #lines - n + 1))
end

local function progress(fmt, ...)
  io.stderr:write(fmt:format(...), "\n")
  io.stderr:flush()
end

-- Waits until the kernel has destroyed every namespace deleted so far;
-- returns how long that took.
local function settle()
  local out, ok = capture(HARNESS .. " settle 600")
  if not ok then error("bench: the kernel did not finish tearing namespaces down: " .. out) end
  return tonumber(out) or 0
end

local run_no = 0

-- Runs @argv under the stopwatch: { wall, user, sys, rss (KiB), faults, status, log, out }.
local function measure(argv)
  run_no = run_no + 1
  local res_path = ("%s/logs/%04d.time"):format(OUT, run_no)
  local log = ("%s/logs/%04d.log"):format(OUT, run_no)
  local _, ok = capture(cmdline { HARNESS, "measure", res_path, log, table.unpack(argv) })
  local line = read_file(res_path) or ""
  local w, u, s, rss, status, faults = line:match("^(%S+) (%S+) (%S+) (%S+) (%S+) (%S+)")
  if not ok or not w then error("bench: harness failed for " .. cmdline(argv)) end
  return { wall = tonumber(w), user = tonumber(u), sys = tonumber(s), rss = tonumber(rss),
           faults = tonumber(faults), status = tonumber(status), log = log,
           out = read_file(log) or "" }
end

-- Deletes every named namespace but @keep (a set); true when there were some.
local function sweep(keep)
  local left = {}
  for _, name in ipairs(netns.list()) do
    if not (keep and keep[name]) then
      left[#left + 1] = name
      netns.delete(name, { missing_ok = true })
    end
  end
  return #left > 0, left
end

---------------------------------------------------------------------------
-- Contenders

local GEN = OUT .. "/gen"
local STAR_MAX = 1023   -- the kernel's limit on a bridge's ports (BR_MAX_PORTS - 1)

-- The generated iproute2 scripts of workload @w at size @n.
local function gen_dir(w, n)
  return ("%s/%s-%s"):format(GEN, w, n)
end

local C = {}
local order = {}
local function contender(key, c)
  c.key = key
  C[key] = c
  order[#order + 1] = key
end

-- argv(workload, n, phase) for star/pairs/chain; argv(workload, name, count) for dump/exec.
contender("floor", {
  label = "floor (C)",
  argv = function(w, a, b) return { FLOOR, w, a, b } end,
})
contender("nslua", {
  label = "nslua imperative",
  argv = function(w, a, b) return { NSLUA, here .. "/nslua_api.lua", w, a, b } end,
})
contender("build", {
  label = "nslua netns.build",
  only = { star = true, pairs = true, chain = true },
  argv = function(w, n, phase)
    if phase == "build" then return { NSLUA, "--keep", here .. "/nslua_build.lua", w, n, phase } end
    if phase == "teardown" then return { NSLUA, here .. "/nslua_api.lua", w, n, phase } end
    return { NSLUA, here .. "/nslua_build.lua", w, n, phase }
  end,
})
contender("ip", {
  label = "ip per operation",
  peer = true,
  argv = function(w, n, phase)
    if w == "dump" or w == "exec" then return { "sh", gen_dir(w, "x") .. "/cmd-both.sh" } end
    return { "sh", ("%s/cmd-%s.sh"):format(gen_dir(w, n), phase) }
  end,
})
contender("batch", {
  label = "ip -batch",
  peer = true,
  argv = function(w, n, phase)
    if w == "dump" then return { "sh", gen_dir(w, "x") .. "/batch-both.sh" } end
    if w == "exec" then return { "ip", "-batch", gen_dir(w, "x") .. "/batch-both.b" } end
    return { "ip", "-batch", ("%s/batch-%s.b"):format(gen_dir(w, n), phase) }
  end,
})
contender("pyroute2", {
  label = "pyroute2",
  peer = true,
  argv = function(w, a, b) return { PYTHON, here .. "/pyroute2_bench.py", w, a, b } end,
  count = function(w)
    if w == "dump" then return opt.pyroute2_dumps end
    if w == "exec" then return opt.pyroute2_execs end
  end,
})
contender("mininet", {
  label = "Mininet (lxbr)",
  peer = true,
  only = { star = true },
  fits = function(w, n) return w == "star" and n <= opt.mininet_max end,
  reps = function() return opt.mininet_reps end,
  -- Mininet raises global sysctls when it can: it gets a read-only /proc/sys.
  argv = function(_, n)
    return { "unshare", "--mount", "--propagation", "private", "sh", "-c",
             "mount -o bind,ro /proc/sys /proc/sys && exec mn --topo single," .. n ..
             " --switch lxbr --controller none --test none" }
  end,
})

local notes = {}
local function note(fmt, ...)
  local s = fmt:format(...)
  notes[#notes + 1] = s
  progress("note: %s", s)
end

local function have(line)
  local _, ok = capture(line .. " >/dev/null 2>&1")
  return ok
end

local function version(line, pattern)
  local out = capture(line .. " 2>&1")
  return out:match(pattern) or "?"
end

local function available(key)
  if key == "pyroute2" then
    if have(PYTHON .. " -c 'import pyroute2'") then return true end
    note("pyroute2 skipped: %s cannot import pyroute2 (apt-get install python3-pyroute2)", PYTHON)
    return false
  elseif key == "mininet" then
    if have("command -v mn") and have("command -v brctl") then return true end
    note("Mininet skipped: mn or brctl missing (apt-get install mininet bridge-utils)")
    return false
  elseif key == "ip" or key == "batch" then
    return have("command -v ip")
  end
  return true
end

local active = {}
for _, key in ipairs(opt.contenders) do
  if not C[key] then
    io.stderr:write("bench/run: unknown contender ", key, "\n", USAGE)
    os.exit(2)
  end
  if available(key) then active[#active + 1] = key end
end
if opt.profile and not have("command -v perf") then
  note("--profile skipped: perf missing (apt-get install linux-perf)")
  opt.profile = false
end

local function applies(c, w, n)
  if c.only and not c.only[w] then return false end
  if c.peer and n and n > opt.peers_max then return false end
  if c.fits then return c.fits(w, n) end
  return true
end

-- Units (programs, dumps) contender @c runs in workload @w; nil for builds.
local function count_of(c, w)
  local n = c.count and c.count(w)
  if n then return n end
  if w == "dump" then return opt.dump_count end
  if w == "exec" then return opt.exec_count end
end

---------------------------------------------------------------------------
-- Checking what a contender built

local function flagged_up(link)
  for _, f in ipairs(link.flags or {}) do if f == "UP" then return true end end
  return false
end

local function links_by_name(ns)
  local out = {}
  for _, l in ipairs(ns:links()) do out[l.ifname] = l end
  return out
end

local function has_addr(ns, ifname, cidr)
  for _, a in ipairs(ns:addrs(ifname)) do
    if a.cidr == cidr then return true end
  end
  return false
end

local function has_route(ns, want)
  for _, r in ipairs(ns:routes { family = "inet" }) do
    if r.dst == want.dst and r.gateway == want.gateway then return true end
  end
  return false
end

-- Whether `ping -c1 -W1 addr` from namespace @name gets an answer (a few tries).
local function pings(name, addr)
  for _ = 1, 3 do
    local _, ok = capture(cmdline { "ip", "netns", "exec", name, "ping", "-c1", "-W1", addr } .. " >/dev/null 2>&1")
    if ok then return true end
  end
  return false
end

-- The sandbox's own IPv4 forwarding, as the driver found it: a contender must not change it.
local SANDBOX_FORWARD = "/proc/sys/net/ipv4/ip_forward"
local sandbox_forward = read_file(SANDBOX_FORWARD)

-- The problems with the star-N, pairs-N or chain-N now standing (empty: none).
local function verify(w, n)
  local bad = {}
  local function expect(cond, fmt, ...)
    if not cond then bad[#bad + 1] = fmt:format(...) end
  end
  -- Namespace @name with lo up and, for each { ifname, cidr } in @ifaces, that link up with that address.
  local function host(name, ifaces, more)
    if not netns.exists(name) then return expect(false, "no namespace %s", name) end
    local ns <close> = netns.open(name)
    local l = links_by_name(ns)
    expect(l.lo and flagged_up(l.lo), "%s: lo down", name)
    for _, want in ipairs(ifaces) do
      local ifname, cidr = want[1], want[2]
      expect(l[ifname] and flagged_up(l[ifname]), "%s: %s missing or down", name, ifname)
      expect(l[ifname] and has_addr(ns, ifname, cidr), "%s: no %s on %s", name, cidr, ifname)
    end
    if more then more(ns) end
  end
  if w == "chain" then
    -- Forwarding is read by another program, so that a contender writing
    -- the sysctl in the wrong namespace cannot be confirmed by the same mistake.
    for i = 1, n do
      local name, ifaces = "r" .. i, {}
      if i > 1 then ifaces[#ifaces + 1] = { "left", topo.chain_cidr(i - 1, 2) } end
      if i < n then ifaces[#ifaces + 1] = { "right", topo.chain_cidr(i, 1) } end
      host(name, ifaces, function(ns)
        for _, r in ipairs(topo.chain_routes(i, n)) do
          expect(has_route(ns, r), "%s: no route to %s via %s", name, r.dst, r.gateway)
        end
      end)
      local fwd = capture(cmdline { "ip", "netns", "exec", name, "cat", "/proc/sys/net/ipv4/ip_forward" })
      expect(fwd:match("^%s*(%S*)") == "1", "%s: net.ipv4.ip_forward is %q", name, fwd:match("^%s*(%S*)"))
    end
    local own = read_file(SANDBOX_FORWARD)
    if own ~= sandbox_forward then
      expect(false, "the sandbox's own net.ipv4.ip_forward changed to %s", own)
      local f = assert(io.open(SANDBOX_FORWARD, "w"))
      f:write(sandbox_forward)
      f:close()
    end
    if #bad == 0 then
      local far = topo.chain_addr(n - 1, 2)
      expect(pings("r1", far), "r1 cannot ping %s (r%d)", far, n)
    end
  elseif w == "star" then
    if not netns.exists("sw") then return { "no namespace sw" } end
    local sw <close> = netns.open("sw")
    local l = links_by_name(sw)
    local bridge = l.br0 and "br0" or "sw"
    expect(l[bridge] and l[bridge].kind == "bridge" and flagged_up(l[bridge]), "sw: no bridge up")
    for i = 1, n do
      local p = l["p" .. i]
      expect(p and p.master == bridge and flagged_up(p), "sw: p%d missing, not in %s or down", i, bridge)
      host("h" .. i, { { "eth0", topo.star_cidr(i) } })
    end
  else
    for i = 1, n do
      host("a" .. i, { { "veth0", topo.pair_cidr(i, 1) } })
      host("b" .. i, { { "veth1", topo.pair_cidr(i, 2) } })
    end
  end
  return bad
end

local function fail_check(c, what, res)
  note("%s excluded: %s%s", c.label, what,
       res and ("\n    " .. tail(res.out, 6) .. "\n    (log " .. res.log .. ")") or "")
  for i, key in ipairs(active) do
    if key == c.key then table.remove(active, i) break end
  end
end

-- Each contender builds star-3, pairs-3 and chain-5 (the smallest chain
-- with a router that routes both ways), which are checked, then tears them down.
local CHECKS = { { "star", 3 }, { "pairs", 3 }, { "chain", 5 } }
local function check_builds()
  for _, check in ipairs(CHECKS) do
    local w, N = check[1], check[2]
    gen[w](gen_dir(w, N), N)
    for _, key in ipairs({ table.unpack(active) }) do
      local c = C[key]
      if applies(c, w, N) and key ~= "mininet" then
        local res = measure(c.argv(w, N, "build"))
        if res.status ~= 0 then
          fail_check(c, ("%s-%d build exited %d"):format(w, N, res.status), res)
        else
          local bad = verify(w, N)
          if #bad > 0 then fail_check(c, ("%s-%d built wrong: %s"):format(w, N, table.concat(bad, "; ")))
          else
            res = measure(c.argv(w, N, "teardown"))
            local left, names = sweep()
            if res.status ~= 0 then fail_check(c, ("%s-%d teardown exited %d"):format(w, N, res.status), res)
            elseif left then fail_check(c, ("%s-%d teardown left %s"):format(w, N, table.concat(names, " ")))
            end
          end
        end
        sweep()
        settle()
      end
    end
  end
  local checked = {}
  for _, key in ipairs(active) do
    if key ~= "mininet" then checked[#checked + 1] = key end
  end
  progress("check: %s build star-3, pairs-3 and chain-5 correctly (Mininet has its own names:"
           .. " only its exit status is checked)", table.concat(checked, ", "))
end

---------------------------------------------------------------------------
-- Fixtures of dump and exec (made here, not timed)

local function make_dump_ns()
  local d = netns.add(topo.DUMP_NS)
  for k = 1, topo.DUMP_LINKS // 2 do
    local a, b = "d" .. (2 * k - 1), "d" .. (2 * k)
    d:link_add { kind = "veth", name = a, peer = b }
    d:addr_add(a, ("10.%d.%d.1/24"):format((2 * k - 1) >> 8, (2 * k - 1) & 255))
    d:addr_add(b, ("10.%d.%d.1/24"):format((2 * k) >> 8, (2 * k) & 255))
  end
  d:close()
end

local function make_exec_ns()
  local e = netns.add(topo.EXEC_NS)
  e:link_set("lo", { up = true })
  e:close()
end

---------------------------------------------------------------------------
-- Measuring

local function median(xs)
  local s = { table.unpack(xs) }
  table.sort(s)
  local m = #s
  if m == 0 then return nil end
  if m % 2 == 1 then return s[(m + 1) // 2] end
  return (s[m // 2] + s[m // 2 + 1]) / 2
end

local function minmax(xs)
  local lo, hi = math.huge, -math.huge
  for _, x in ipairs(xs) do lo, hi = math.min(lo, x), math.max(hi, x) end
  return lo, hi
end

-- The median of the ratios of @r's time per unit to @floor's in the same
-- repetition (run next to each other, alternating): the machine's speed
-- drifts between repetitions, by as much as the differences measured.
local function paired_ratio(r, units, floor, floor_units)
  if not floor then return nil end
  local ratios = {}
  for rep, wall in pairs(r.by_rep) do
    local fwall = floor.by_rep[rep]
    if fwall and fwall > 0 then ratios[#ratios + 1] = (wall / units) / (fwall / floor_units) end
  end
  return median(ratios)
end

local results = {}   -- cases: { id, workload, n, keys, skipped, rows = { [key] = stats } }

-- "N links, M addresses" printed by the dump contenders that print it.
local function dump_answer(out)
  return out:match("(%d+ links, %d+ addresses)")
end

-- System calls of one run of @argv under strace -f -c: total and { name, calls } sorted.
local function count_syscalls(argv)
  local file = ("%s/logs/strace-%04d.txt"):format(OUT, run_no + 1)
  local res = measure { "strace", "-f", "-c", "-o", file, table.unpack(argv) }
  if res.status ~= 0 then return nil end
  local calls, total = {}, 0
  for line in (read_file(file) or ""):gmatch("[^\n]+") do
    local fields = {}
    for f in line:gmatch("%S+") do fields[#fields + 1] = f end
    local name, n = fields[#fields], nil
    if #fields == 6 then n = tonumber(fields[4]) elseif #fields == 5 then n = tonumber(fields[4]) end
    if name == "total" then
      total = tonumber(fields[4]) or total
    elseif n and name:match("^[%w_]+$") and tonumber(fields[1]) then
      calls[#calls + 1] = { name = name, calls = n }
    end
  end
  table.sort(calls, function(x, y) return x.calls > y.calls end)
  return { total = total, calls = calls }
end

-- Where one run of @argv spent its CPU time, from perf record's samples
-- (children included): { places = { {name, pct}... }, symbols = { {name, pct}... } },
-- each sorted, largest first.  A place is a program or library, or "kernel".
local function profile(argv)
  local file = ("%s/logs/perf-%04d.data"):format(OUT, run_no + 1)
  local res = measure { "perf", "record", "-q", "-F", "1999", "-o", file, "--", table.unpack(argv) }
  if res.status ~= 0 then return nil end
  local function report(sort)
    local out = capture(cmdline { "perf", "report", "-i", file, "--stdio", "--no-children",
                                  "-g", "none", "--percent-limit", "0.5", "--sort", sort }
                        .. " 2>/dev/null")
    local rows = {}
    for line in out:gmatch("[^\n]+") do
      local pct, rest = line:match("^%s*([%d.]+)%%%s+(.-)%s*$")
      if pct then rows[#rows + 1] = { pct = tonumber(pct), text = rest } end
    end
    return rows
  end
  local places, symbols = {}, {}
  for _, row in ipairs(report("dso")) do
    local dso = row.text:gsub("^%[kernel%.kallsyms%]$", "kernel"):gsub("%.so[%.%d]*$", "")
    places[#places + 1] = { name = dso, pct = row.pct }
  end
  for _, row in ipairs(report("sym")) do
    -- "[k] mutex_spin_on_owner" or "[.] luaH_newkey"; unresolved addresses are left out
    local name = row.text:match("^%[.%]%s+(%S+)")
    if name and not name:match("^0x") then symbols[#symbols + 1] = { name = name, pct = row.pct } end
  end
  os.remove(file)
  return { places = places, symbols = symbols }
end

-- Times every active contender on one workload instance, alternating
-- contenders within each repetition (each repetition starts one further on).
local function bench_case(w, n, fixture)
  local id = fixture and w or ("%s-%d"):format(w, n)
  local keys, skipped = {}, {}
  for _, key in ipairs(active) do
    if applies(C[key], w, n) then keys[#keys + 1] = key
    elseif not C[key].only or C[key].only[w] then skipped[#skipped + 1] = C[key].label end
  end
  if #keys == 0 then return end
  local runs, answers = {}, {}
  for _, key in ipairs(keys) do
    runs[key] = { wall = {}, user = {}, sys = {}, rss = {}, faults = {}, after = {}, by_rep = {},
                  failed = 0 }
  end
  local keep = fixture and { [fixture] = true } or nil
  for rep = 1, opt.reps do
    for j = 0, #keys - 1 do
      local key = keys[(j + rep - 1) % #keys + 1]
      local c, r = C[key], runs[key]
      if rep <= (c.reps and c.reps() or opt.reps) then
        local argv = fixture and c.argv(w, fixture, count_of(c, w)) or c.argv(w, n, "both")
        local res = measure(argv)
        local left, names = sweep(keep)
        local after = settle()
        if res.status ~= 0 or left then
          r.failed = r.failed + 1
          progress("%-9s rep %d/%d %-18s FAILED (exit %d%s; log %s)\n    %s", id, rep, opt.reps,
                   c.label, res.status, left and ", left " .. #names .. " namespaces" or "",
                   res.log, tail(res.out, 4))
        else
          for _, k in ipairs { "wall", "user", "sys", "rss", "faults" } do table.insert(r[k], res[k]) end
          r.by_rep[rep] = res.wall
          table.insert(r.after, after)
          answers[c.label] = dump_answer(res.out)
          progress("%-9s rep %d/%d %-18s %8.3f s  (kernel teardown after it: %.3f s)",
                   id, rep, opt.reps, c.label, res.wall, after)
        end
      end
    end
  end
  local case = { id = id, workload = w, n = n, keys = keys, skipped = skipped, rows = {} }
  for _, key in ipairs(keys) do
    local r, units = runs[key], n or count_of(C[key], w)
    if #r.wall > 0 then
      local lo, hi = minmax(r.wall)
      case.rows[key] = { wall = median(r.wall), lo = lo, hi = hi, user = median(r.user),
                         sys = median(r.sys), rss = median(r.rss), faults = median(r.faults),
                         after = median(r.after),
                         units = units, per = median(r.wall) / units, runs = #r.wall,
                         paired = paired_ratio(r, units, runs.floor, n or count_of(C.floor or {}, w)),
                         failed = r.failed }
    else
      case.rows[key] = { failed = r.failed }
    end
  end
  -- One more run of each contender under a tool: strace's counts, perf's profile.
  local function one_run_each(field, tool)
    for _, key in ipairs(keys) do
      local c = C[key]
      local argv = fixture and c.argv(w, fixture, count_of(c, w)) or c.argv(w, n, "both")
      case.rows[key][field] = tool(argv)
      sweep(keep)
      settle()
    end
  end
  if opt.syscalls then one_run_each("syscalls", count_syscalls) end
  if opt.profile then one_run_each("profile", profile) end
  if w == "dump" then
    local seen, list = {}, {}
    for label, a in pairs(answers) do
      if not seen[a] then seen[a] = true; list[#list + 1] = label .. ": " .. a end
    end
    if #list > 1 then note("dump: the contenders disagree: %s", table.concat(list, "; ")) end
  end
  results[#results + 1] = case
  return case
end

---------------------------------------------------------------------------
-- Tables

local UNIT = { star = "host", pairs = "pair", chain = "router", dump = "dump", exec = "program" }

local function ratio(a, b)
  if not a or not b or b == 0 then return "-" end
  return ("%.2f"):format(a / b)
end

local function print_case(case)
  local floor, ns = case.rows.floor, case.rows.nslua
  local fper, nper = floor and floor.per, ns and ns.per
  local unit = UNIT[case.workload]
  print(("%s   (median of %d runs, min-max; ms/%s; ratios of the time per %s)"):format(
    case.id, opt.reps, unit, unit))
  print(("  %-22s %9s %-17s %9s %7s %7s %8s %8s %8s %8s %9s"):format(
    "contender", "wall s", "(min-max)", "ms/" .. unit, "xfloor", "xnslua", "user s", "sys s",
    "RSS MiB", "faults", "kernel s"))
  for _, key in ipairs(case.keys) do
    local r, label = case.rows[key], C[key].label
    if r.wall then
      if not case.n and r.units ~= count_of({}, case.workload) then
        label = ("%s (%d)"):format(label, r.units)
      end
      local flags = {}
      if r.runs < opt.reps then flags[#flags + 1] = r.runs .. " run" .. (r.runs > 1 and "s" or "") end
      if r.failed > 0 then flags[#flags + 1] = r.failed .. " failed" end
      print(("  %-22s %9.3f %-17s %9.3f %7s %7s %8.3f %8.3f %8.1f %8.0f %9.3f%s"):format(
        label, r.wall, ("(%.3f-%.3f)"):format(r.lo, r.hi), r.per * 1000,
        ratio(r.per, fper), ratio(r.per, nper), r.user, r.sys, r.rss / 1024, r.faults, r.after,
        #flags > 0 and ("  [" .. table.concat(flags, ", ") .. "]") or ""))
    else
      print(("  %-22s %9s all %d runs failed (see build/bench/logs)"):format(label, "-", r.failed))
    end
  end
  if opt.syscalls then
    print(("  system calls per %s (strace -f -c, one run; most frequent first):"):format(unit))
    for _, key in ipairs(case.keys) do
      local r = case.rows[key]
      local sc = r.syscalls
      if sc and r.units then
        local top = {}
        for i = 1, math.min(6, #sc.calls) do
          top[i] = ("%s %.1f"):format(sc.calls[i].name, sc.calls[i].calls / r.units)
        end
        print(("    %-22s %8.1f  (%s)"):format(C[key].label, sc.total / r.units, table.concat(top, ", ")))
      end
    end
  end
  if opt.profile then
    print("  where the CPU time went (perf record, one run; % of its samples, kernel included):")
    for _, key in ipairs(case.keys) do
      local p = case.rows[key].profile
      if p then
        local function top(list, count)
          local out = {}
          for i = 1, math.min(count, #list) do out[i] = ("%s %.0f%%"):format(list[i].name, list[i].pct) end
          return table.concat(out, ", ")
        end
        print(("    %-22s %s"):format(C[key].label, top(p.places, 5)))
        print(("    %-22s %s"):format("", top(p.symbols, 5)))
      end
    end
  end
  if #case.skipped > 0 then
    print(("  not run at this size: %s (--peers-max %s, --mininet-max %d; --full runs all)"):format(
      table.concat(case.skipped, ", "), tostring(opt.peers_max), opt.mininet_max))
  end
  print()
  io.stdout:flush()
end

-- One matrix: a row per case, a column per contender, @cell(row) for each.
local function matrix(title, cell)
  print(title)
  local cols = {}
  for _, key in ipairs(order) do
    for _, case in ipairs(results) do
      if case.rows[key] then cols[#cols + 1] = key break end
    end
  end
  local head = ("  %-10s"):format("")
  for _, key in ipairs(cols) do head = head .. ("%10s"):format(key) end
  print(head)
  for _, case in ipairs(results) do
    local line = ("  %-10s"):format(case.id)
    for _, key in ipairs(cols) do
      local r = case.rows[key]
      line = line .. ("%10s"):format(r and (r.per and cell(case, r) or "failed") or "")
    end
    print(line)
  end
  print()
end

local function print_summary()
  matrix("Time per unit relative to the floor (1.00 = the kernel's own cost):", function(case, r)
    return ratio(r.per, case.rows.floor and case.rows.floor.per)
  end)
  matrix("Paired: the median over repetitions of each run's time per unit over the floor's\n"
         .. "in the same repetition (the machine's speed drifts between repetitions):", function(_, r)
    return r.paired and ("%.2f"):format(r.paired) or "-"
  end)
  matrix("Milliseconds per unit (host, pair, router, dump, program):", function(_, r)
    return ("%.2f"):format(r.per * 1000)
  end)
end

---------------------------------------------------------------------------
-- Main

local function machine()
  local cpu = (read_file("/proc/cpuinfo") or ""):match("model name%s*:%s*([^\n]+)") or "?"
  local cores = capture("nproc"):match("%d+") or "?"
  local mem = (read_file("/proc/meminfo") or ""):match("MemTotal:%s*(%d+)")
  return ("%s, %s cores, %.0f GiB, Linux %s"):format(cpu, cores, (tonumber(mem) or 0) / 1048576,
    capture("uname -r"):gsub("%s+$", ""))
end

os.execute("mkdir -p " .. quote(OUT .. "/logs") .. " " .. quote(GEN))
os.execute("rm -f " .. quote(OUT .. "/logs") .. "/*")

local started = os.time()
print("netns bench: " .. os.date("!%Y-%m-%d %H:%M UTC"))
print("machine: " .. machine())
do
  -- Page faults are cheap on bare metal and dear in some VMs, where they
  -- make up much of a short run's user time (the tables count them).
  local cost, user = capture(HARNESS .. " pagecost"):match("^(%S+) (%S+)")
  if cost then
    print(("page faults: the first touch of a page costs %s us here, %d%% of it counted as user time")
      :format(cost, math.floor(tonumber(user) * 100 + 0.5)))
  end
end
do
  local commit = capture("git -C " .. quote(root) .. " rev-parse --short HEAD 2>/dev/null"):gsub("%s+$", "")
  local _, clean = capture("git -C " .. quote(root) .. " diff --quiet HEAD -- core lua 2>/dev/null")
  print(("library: commit %s%s"):format(commit ~= "" and commit or "?",
    (commit ~= "" and not clean) and " plus uncommitted changes in core/ or lua/" or ""))
end
print(("versions: %s; iproute2 %s; pyroute2 %s; Mininet %s; %s"):format(
  netns._VERSION or "netns", version("ip -V", "iproute2%-([%d.]+)"),
  version("dpkg-query -W -f '${Version}' python3-pyroute2", "^(%S+)"),
  version("dpkg-query -W -f '${Version}' mininet", "^(%S+)"), _VERSION))
print(("reps %d (Mininet %d), sizes %s, chain %s (peers up to %s, Mininet up to %d); dump: %d x the links"
  .. " and addresses of %d links (pyroute2 %d); exec: %d x /bin/true (pyroute2 %d)"):format(
  opt.reps, math.min(opt.reps, opt.mininet_reps), table.concat(opt.sizes, ","),
  table.concat(opt.chain_sizes, ","), tostring(opt.peers_max), opt.mininet_max,
  opt.dump_count, topo.DUMP_LINKS, opt.pyroute2_dumps, opt.exec_count, opt.pyroute2_execs))
print()
io.stdout:flush()

sweep()
settle()
if opt.check then check_builds() end

for _, w in ipairs(opt.workloads) do
  if w == "star" or w == "pairs" or w == "chain" then
    for _, n in ipairs(w == "chain" and opt.chain_sizes or opt.sizes) do
      if w == "star" and n > STAR_MAX then
        note("star-%d skipped: a Linux bridge takes at most %d ports", n, STAR_MAX)
      else
        gen[w](gen_dir(w, n), n)
        local case = bench_case(w, n)
        if case then print_case(case) end
      end
    end
  elseif w == "dump" or w == "exec" then
    local fixture = w == "dump" and topo.DUMP_NS or topo.EXEC_NS
    gen[w](gen_dir(w, "x"), fixture, count_of({}, w))
    if w == "dump" then make_dump_ns() else make_exec_ns() end
    settle()
    local case = bench_case(w, nil, fixture)
    netns.delete(fixture)
    settle()
    if case then print_case(case) end
  else
    io.stderr:write("bench/run: unknown workload ", w, "\n")
    os.exit(2)
  end
end

print_summary()
for _, s in ipairs(notes) do print("note: " .. s) end
print(("total %d s"):format(os.time() - started))
