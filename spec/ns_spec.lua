-- Namespaces: netns.add/new/open/pid/current/list/exists/delete and the
-- handle's fields and methods, each checked against what the kernel and
-- iproute2 (`ip netns`, `stat -L`, /proc/self/mountinfo) report.

local H = require "helper"
local netns = require "netns"

local SRC = debug.getinfo(1, "S").short_src

local PID = H.pid

local fd_count = H.fd_count

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local run = H.run

-- Names `ip netns list` shows, sorted.
local function ip_list()
  local names = {}
  for line in run("ip netns list"):gmatch("[^\n]+") do
    names[#names + 1] = line:match("^(%S+)")
  end
  table.sort(names)
  return names
end

local function contains(list, x)
  for _, v in ipairs(list) do
    if v == x then return true end
  end
  return false
end

-- Whether something is mounted on @path in this mount namespace.
local function mounted(path)
  for line in io.lines("/proc/self/mountinfo") do
    local point = line:match("^%S+ %S+ %S+ %S+ (%S+)")
    if point == path then return true end
  end
  return false
end

-- The inode number `stat -L` reports for @path.
local function stat_ino(path)
  return tonumber(trim(run("stat -L -c %i " .. H.quote(path))))
end

-- The inode of the namespace `ip netns exec NAME` puts a program in.
local function exec_ns_ino(name)
  local link = trim(run("ip netns exec " .. H.quote(name) .. " readlink /proc/self/ns/net"))
  return tonumber(link:match("^net:%[(%d+)%]$"))
end

local function thread_ns_ino()
  return tonumber(H.thread_ns():match("^net:%[(%d+)%]$"))
end

-- Unique namespace names, removed (with ip, not the library) after each test.
local seq, made = 0, {}
local function fresh(tag)
  seq = seq + 1
  local name = ("nsspec-%s-%d-%d"):format(tag or "n", PID, seq)
  made[#made + 1] = name
  return name
end

-- Waits until process @pid runs @comm (it has exec'd, so it is where it will stay).
local function wait_comm(pid, comm)
  for _ = 1, 100 do
    local f = io.open("/proc/" .. pid .. "/comm")
    if f then
      local c = f:read("l")
      f:close()
      if c == comm then return true end
    end
    H.sh("sleep 0.02")
  end
  error("process " .. pid .. " never became " .. comm)
end

-- What must not change when a call fails: descriptors, thread, names.
local function snapshot()
  return { fds = fd_count(), thread = H.thread_ns(), names = ip_list() }
end

local function assert_unchanged(before)
  assert.are.equal(before.fds, fd_count())
  assert.are.equal(before.thread, H.thread_ns())
  assert.are.same(before.names, ip_list())
end

local raises = H.raises

-- The full error message @fn raises (with its position).
local function error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  assert.is_false(ok)
  return err
end

after_each(function()
  for _, name in ipairs(made) do
    if H.sh("test -e /run/netns/" .. H.quote(name) .. " && echo y"):match("y") then
      H.sh("ip netns del " .. H.quote(name) .. " 2>/dev/null")
    end
  end
  made = {}
end)

describe("netns.add", function()
  it("creates a namespace that ip netns list and ip netns exec see", function()
    local name = fresh("add")
    assert.is_false(contains(ip_list(), name))
    local ns = netns.add(name)
    H.defer(finally, function() ns:close() end)
    assert.is_true(contains(ip_list(), name))
    assert.are.equal(ns.id, exec_ns_ino(name))
    assert.are.equal(ns.id, stat_ino("/run/netns/" .. name))
    assert.is_true(mounted("/run/netns/" .. name))
    assert.are.equal(name, ns.name)
    assert.are.equal("/run/netns/" .. name, ns.path)
    assert.are.equal("netns " .. name, tostring(ns))
    -- a new namespace: not the one this thread is in
    assert.are_not.equal(thread_ns_ino(), ns.id)
  end)

  it("is seen by ip, and a namespace made by ip add is seen by netns.open and exists", function()
    local name = fresh("ipadd")
    assert.is_false(netns.exists(name))
    run("ip netns add " .. H.quote(name))
    assert.is_true(netns.exists(name))
    local ns = netns.open(name)
    H.defer(finally, function() ns:close() end)
    assert.are.equal(stat_ino("/run/netns/" .. name), ns.id)
    assert.are.equal(exec_ns_ino(name), ns.id)
    assert.are.equal(name, ns.name)
    assert.are.equal("/run/netns/" .. name, ns.path)
  end)

  it("with exist_ok returns the existing namespace instead of raising", function()
    local name = fresh("exok")
    local a = netns.add(name)
    H.defer(finally, function() a:close() end)
    local b = netns.add(name, { exist_ok = true })
    H.defer(finally, function() b:close() end)
    assert.are.equal(a.id, b.id)
    assert.is_true(a == b)
    assert.are.equal(stat_ino("/run/netns/" .. name), b.id)
    -- and with exist_ok a missing one is simply created
    local other = fresh("exok2")
    local c = netns.add(other, { exist_ok = true })
    H.defer(finally, function() c:close() end)
    assert.are.equal(exec_ns_ino(other), c.id)
  end)

  it("of an existing name raises EEXIST at the caller's line and changes nothing", function()
    local name = fresh("dup")
    local ns = netns.add(name)
    H.defer(finally, function() ns:close() end)
    local ino = stat_ino("/run/netns/" .. name)
    local before = snapshot()
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; netns.add(name)
    end)
    assert.are.equal(("%s:%d: netns: netns add %s: File exists [EEXIST]"):format(SRC, line, name), err)
    raises(("netns: netns add %s: File exists [EEXIST]"):format(name), netns.add, name)
    assert_unchanged(before)
    -- the namespace bound there is still the first one
    assert.are.equal(ino, stat_ino("/run/netns/" .. name))
    assert.are.equal(ns.id, exec_ns_ino(name))
  end)

  it("of a name ip netns add made raises EEXIST too", function()
    local name = fresh("dupip")
    run("ip netns add " .. H.quote(name))
    local ino = stat_ino("/run/netns/" .. name)
    local before = snapshot()
    raises(("netns: netns add %s: File exists [EEXIST]"):format(name), netns.add, name)
    assert_unchanged(before)
    assert.are.equal(ino, exec_ns_ino(name))
  end)

  it("rejects invalid names with argument errors before touching anything", function()
    local before = snapshot()
    raises([[bad argument #1 to 'add' (invalid namespace name "": must not be empty)]],
      netns.add, "")
    raises([[bad argument #1 to 'add' (invalid namespace name ".": must not be '.' or '..')]],
      netns.add, ".")
    raises([[bad argument #1 to 'add' (invalid namespace name "..": must not be '.' or '..')]],
      netns.add, "..")
    raises([[bad argument #1 to 'add' (invalid namespace name "a/b": must not contain '/')]],
      netns.add, "a/b")
    -- the position is the caller's line, like any argument error
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; netns.add("a/b")
    end)
    assert.are.equal(([[%s:%d: bad argument #1 to 'add' (invalid namespace name "a/b": must not contain '/')]])
      :format(SRC, line), err)
    assert_unchanged(before)
    assert.are.equal("", run("ls -A /run/netns | grep -x -e a -e . -e .. || true"))
  end)

  it("rejects wrong argument types and unknown options", function()
    local before = snapshot()
    raises("bad argument #1 to 'add' (string expected, got table)", netns.add, {})
    raises("bad argument #1 to 'add' (string expected, got boolean)", netns.add, true)
    raises("bad argument #2 to 'add' (table expected, got number)", netns.add, fresh("t"), 5)
    raises("bad argument #2 to 'add' (unknown option 'foo')", netns.add, fresh("t"), { foo = 1 })
    raises("bad argument #1 to 'open' (string expected, got boolean)", netns.open, true)
    raises("bad argument #1 to 'pid' (number expected, got string)", netns.pid, "abc")
    raises("bad argument #1 to 'delete' (string expected, got table)", netns.delete, {})
    raises("bad argument #2 to 'delete' (unknown option 'foo')", netns.delete, fresh("t"), { foo = 1 })
    raises("bad argument #1 to 'exists' (string expected, got table)", netns.exists, {})
    assert_unchanged(before)
  end)
end)

describe("netns.open", function()
  it("of a missing name raises ENOENT and leaves nothing behind", function()
    local name = fresh("missing")
    local before = snapshot()
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; netns.open(name)
    end)
    assert.are.equal(("%s:%d: netns: netns open %s: No such file or directory [ENOENT]")
      :format(SRC, line, name), err)
    raises("netns: netns open /run/netns/" .. name .. ": No such file or directory [ENOENT]",
      netns.open, "/run/netns/" .. name)
    assert_unchanged(before)
  end)

  it("rejects invalid names, and a path that is no namespace", function()
    local before = snapshot()
    raises([[bad argument #1 to 'open' (invalid namespace name "": must not be empty)]],
      netns.open, "")
    raises([[bad argument #1 to 'open' (invalid namespace name "..": must not be '.' or '..')]],
      netns.open, "..")
    raises("netns: netns open /etc/hostname: Invalid argument [EINVAL]: /etc/hostname is not a network namespace",
      netns.open, "/etc/hostname")
    assert_unchanged(before)
  end)

  it("says why a pin file that is not mounted cannot be opened", function()
    -- what a run killed between making a pin's file and mounting it leaves
    local name = fresh("plain")
    H.write_file("/run/netns/" .. name, "")
    local before = snapshot()
    local msg = ("netns: netns open %s: Invalid argument [EINVAL]: /run/netns/%s is not a network namespace")
      :format(name, name)
    raises(msg, netns.open, name)
    raises(msg, netns.add, name, { exist_ok = true })
    assert_unchanged(before)
    os.remove("/run/netns/" .. name)
  end)

  it("takes a path: /run/netns/NAME and /proc/PID/ns/net", function()
    local name = fresh("path")
    local ns = netns.add(name)
    H.defer(finally, function() ns:close() end)
    local byp = netns.open("/run/netns/" .. name)
    H.defer(finally, function() byp:close() end)
    assert.are.equal(ns.id, byp.id)
    assert.is_true(ns == byp)
    assert.is_nil(byp.name)
    assert.are.equal("/run/netns/" .. name, byp.path)

    local p = ns:spawn({ "sleep", "30" })
    H.defer(finally, function() if p:running() then p:kill(9); p:wait() end end)
    wait_comm(p.pid, "sleep")
    local path = "/proc/" .. p.pid .. "/ns/net"
    local byproc = netns.open(path)
    H.defer(finally, function() byproc:close() end)
    assert.are.equal(stat_ino(path), byproc.id)
    assert.are.equal(ns.id, byproc.id)
    assert.are.equal(path, byproc.path)
    assert.is_nil(byproc.name)
  end)
end)

describe("netns.list", function()
  it("is the sorted array of names ip netns list shows", function()
    local names = { fresh("zeta"), fresh("alpha"), fresh("mid") }
    for _, n in ipairs(names) do run("ip netns add " .. H.quote(n)) end
    local ns = netns.add(fresh("beta"))
    H.defer(finally, function() ns:close() end)
    local list = netns.list()
    assert.are.same(ip_list(), list)
    for i = 2, #list do assert.is_true(list[i - 1] < list[i]) end
    for _, n in ipairs(names) do assert.is_true(contains(list, n)) end
    assert.is_true(contains(list, ns.name))
  end)
end)

describe("netns.delete", function()
  it("removes the name: gone from ip netns list, unmounted, exists is false", function()
    local name = fresh("del")
    local ns = netns.add(name)
    local path = "/run/netns/" .. name
    ns:close()
    assert.is_true(mounted(path))
    assert.is_true(netns.delete(name) ~= false)
    assert.is_false(contains(ip_list(), name))
    assert.is_false(mounted(path))
    assert.is_false(netns.exists(name))
    assert.are.equal("", run("ls -A /run/netns | grep -x -F " .. H.quote(name) .. " || true"))
  end)

  it("removes a namespace ip netns add made", function()
    local name = fresh("delip")
    run("ip netns add " .. H.quote(name))
    netns.delete(name)
    assert.is_false(contains(ip_list(), name))
    assert.is_false(mounted("/run/netns/" .. name))
  end)

  it("of a missing name raises ENOENT; with missing_ok returns false", function()
    local name = fresh("delmissing")
    local before = snapshot()
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; netns.delete(name)
    end)
    assert.are.equal(("%s:%d: netns: netns delete %s: No such file or directory [ENOENT]")
      :format(SRC, line, name), err)
    assert.are.equal(false, netns.delete(name, { missing_ok = true }))
    assert_unchanged(before)
    -- and missing_ok still deletes one that is there
    run("ip netns add " .. H.quote(name))
    assert.is_true(netns.delete(name, { missing_ok = true }))
    assert.is_false(contains(ip_list(), name))
  end)

  it("rejects invalid names", function()
    local before = snapshot()
    raises([[bad argument #1 to 'delete' (invalid namespace name "": must not be empty)]],
      netns.delete, "")
    raises([[bad argument #1 to 'delete' (invalid namespace name ".": must not be '.' or '..')]],
      netns.delete, ".")
    raises([[bad argument #1 to 'delete' (invalid namespace name "..": must not be '.' or '..')]],
      netns.delete, "..")
    raises([[bad argument #1 to 'delete' (invalid namespace name "a/b": must not contain '/')]],
      netns.delete, "a/b")
    assert_unchanged(before)
  end)

  it("ns:delete removes a named namespace and closes the handle", function()
    local name = fresh("hdel")
    local ns = netns.add(name)
    local before = fd_count()
    ns:delete()
    assert.is_false(contains(ip_list(), name))
    assert.is_false(mounted("/run/netns/" .. name))
    assert.is_true(fd_count() < before)
    raises(H.closed(ns), ns.links, ns)
  end)

  it("ns:delete on a handle from netns.open(name) removes that name", function()
    local name = fresh("hdel2")
    run("ip netns add " .. H.quote(name))
    local ns = netns.open(name)
    ns:delete()
    assert.is_false(contains(ip_list(), name))
    assert.is_false(mounted("/run/netns/" .. name))
  end)

  it("ns:delete and ns:unpin leave a pin that another tool made again under the name", function()
    for _, verb in ipairs { "delete", "unpin" } do
      local name = fresh("again")
      local ns = netns.add(name)
      run("ip netns del " .. H.quote(name) .. " && ip netns add " .. H.quote(name))
      raises(("netns: netns %s %s: No such file or directory [ENOENT]: /run/netns/%s holds another namespace now")
             :format(verb, name, name), ns[verb], ns)
      assert.is_true(contains(ip_list(), name))
      assert.is_true(mounted("/run/netns/" .. name))
      if verb == "unpin" then assert.is_nil(ns.name) end -- no longer pinned
      ns:close()
      netns.delete(name)
    end
  end)

  it("ns:delete on an anonymous namespace only closes it", function()
    local names = ip_list()
    local ns = netns.new()
    local before = fd_count()
    ns:delete()
    assert.is_true(fd_count() < before)
    assert.are.same(names, ip_list())
    raises(H.closed(ns), ns.links, ns)
  end)
end)

describe("netns.new", function()
  it("makes an anonymous namespace: no file, tostring names its inode", function()
    local names = ip_list()
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    assert.are.same(names, ip_list())
    assert.is_nil(ns.name)
    assert.is_nil(ns.path)
    local ino = stat_ino(("/proc/%s/fd/%d"):format(PID, ns:fileno()))
    assert.are.equal(ino, ns.id)
    assert.are.equal(("netns <anonymous %d>"):format(ino), tostring(ns))
    assert.are_not.equal(thread_ns_ino(), ns.id)
    -- a namespace of its own: ip inside it sees only lo
    local links = H.ip(ns, "link show")
    assert.are.equal(1, #links)
    assert.are.equal("lo", links[1].ifname)
  end)

  it("is freed by the kernel, with its links, once the handle is closed", function()
    local holder = netns.new()
    H.defer(finally, function() holder:close() end)
    local ns = netns.new()
    ns:veth("anon0", "anon1", { peer_ns = holder })
    local function peer_there()
      for _, l in ipairs(H.ip(holder, "link show")) do
        if l.ifname == "anon1" then return true end
      end
      return false
    end
    assert.is_true(peer_there())
    ns:close()
    local gone = false
    for _ = 1, 100 do
      if not peer_there() then gone = true break end
      H.sh("sleep 0.05")
    end
    assert.is_true(gone, "the veth peer outlived its anonymous namespace")
  end)

  it("gives different namespaces each time", function()
    local a, b = netns.new(), netns.new()
    H.defer(finally, function() a:close(); b:close() end)
    assert.are_not.equal(a.id, b.id)
    assert.is_false(a == b)
    assert.is_true(a ~= b)
  end)
end)

describe("netns.new_many", function()
  local function threads()
    return tonumber(H.read_file("/proc/self/status"):match("Threads:%s*(%d+)"))
  end

  it("makes that many anonymous namespaces, each of its own, and leaves the thread home", function()
    local home, names, fds = thread_ns_ino(), ip_list(), fd_count()
    local list = netns.new_many(40)
    H.defer(finally, function() for _, ns in ipairs(list) do ns:close() end end)
    assert.are.equal(40, #list)
    assert.are.equal(home, thread_ns_ino())
    -- the helpers are gone: a joined thread leaves the count a moment later
    local deadline = os.time() + 5
    while threads() > 1 and os.time() < deadline do H.sh("sleep 0.01") end
    assert.are.equal(1, threads())
    assert.are.same(names, ip_list())
    local seen = {}
    for _, ns in ipairs(list) do
      assert.is_nil(ns.name)
      assert.are_not.equal(home, ns.id)
      assert.is_nil(seen[ns.id])
      seen[ns.id] = true
      assert.are.equal(ns.id, stat_ino(("/proc/%s/fd/%d"):format(PID, ns:fileno())))
    end
    -- each usable at once: its own socket answers, ip sees only lo there
    for _, i in ipairs { 1, 20, 40 } do
      local links = H.ip(list[i], "link show")
      assert.are.equal(1, #links)
      assert.are.equal("lo", links[1].ifname)
      assert.are.equal(1, #list[i]:links())
    end
    for _, ns in ipairs(list) do ns:close() end
    assert.are.equal(fds, fd_count())
  end)

  it("makes none for 0, and takes only an integer", function()
    assert.are.same({}, netns.new_many(0))
    raises("bad argument #1 to 'new_many' (integer expected, got float)", netns.new_many, 1.5)
    raises("bad argument #1 to 'new_many' (integer expected, got string)", netns.new_many, "3")
    raises("bad argument #1 to 'new_many' (integer expected, got nil)", netns.new_many)
    raises("bad argument #1 to 'new_many' (count out of range)", netns.new_many, -1)
  end)

  it("writes the sysctls it is given in each namespace, and none outside", function()
    local function inside(ns, key)
      return trim(ns:output { "cat", "/proc/sys/" .. key:gsub("%.", "/") })
    end
    local home_forward = trim(H.read_file("/proc/sys/net/ipv4/ip_forward"))
    local before = snapshot()
    local list = netns.new_many(40, { sysctl = {
      ["net.ipv4.ip_forward"] = 1, ["net.ipv6.conf.all.forwarding"] = true,
      ["net/ipv4/conf/all/rp_filter"] = "2", ["net.ipv4.conf.default.rp_filter"] = false } })
    H.defer(finally, function() for _, ns in ipairs(list) do ns:close() end end)
    assert.are.equal(40, #list)
    for _, i in ipairs { 1, 17, 40 } do
      assert.are.equal("1", inside(list[i], "net.ipv4.ip_forward"))
      assert.are.equal("1", inside(list[i], "net.ipv6.conf.all.forwarding"))
      assert.are.equal("2", inside(list[i], "net.ipv4.conf.all.rp_filter"))
      assert.are.equal("0", inside(list[i], "net.ipv4.conf.default.rp_filter"))
    end
    assert.are.equal(home_forward, trim(H.read_file("/proc/sys/net/ipv4/ip_forward")))
    assert.are.equal(before.thread, H.thread_ns())
    for _, ns in ipairs(list) do ns:close() end
    assert_unchanged(before)
    -- an empty table writes nothing
    list = netns.new_many(2, { sysctl = {} })
    assert.are.equal("0", inside(list[1], "net.ipv4.ip_forward"))
  end)

  it("checks its sysctls before making anything, and makes none when one cannot be written", function()
    local before = snapshot()
    local bad = "bad argument #2 to 'new_many' (%s)"
    for _, case in ipairs {
      { 5, "table expected, got number" },
      { { sysctls = {} }, "unknown option 'sysctls'" },
      { { sysctl = "net.ipv4.ip_forward" }, "option 'sysctl' must be a table, got string" },
      { { sysctl = { "net.ipv4.ip_forward" } }, "sysctl key: string expected, got number" },
      { { sysctl = { ["kernel.hostname"] = "x" } },
        [[invalid sysctl key "kernel.hostname": must start with 'net.' or 'net/']] },
      { { sysctl = { ["net/../../etc/passwd"] = "x" } },
        [[invalid sysctl key "net/../../etc/passwd": '.' and '..' are not names]] },
      { { sysctl = { ["net.ipv4.ip_forward"] = "" } }, "sysctl net.ipv4.ip_forward: a value must not be empty" },
      { { sysctl = { ["net.ipv4.ip_forward"] = "1\0" } },
        "sysctl net.ipv4.ip_forward: a value must not hold a NUL" },
      { { sysctl = { ["net.ipv4.ip_forward"] = {} } },
        "sysctl net.ipv4.ip_forward: string or number expected, got table" },
    } do
      raises(bad:format(case[2]), netns.new_many, 3, case[1])
      assert_unchanged(before)
    end
    -- the kernel's refusal, by the helpers too (40 namespaces are shared out)
    raises("netns: netns new: sysctl net.ipv4.nope: No such file or directory [ENOENT]",
      netns.new_many, 40, { sysctl = { ["net.ipv4.ip_forward"] = 1, ["net.ipv4.nope"] = 1 } })
    raises("netns: netns new: sysctl net.ipv4.ip_forward: Invalid argument [EINVAL]",
      netns.new_many, 3, { sysctl = { ["net.ipv4.ip_forward"] = "x" } })
    assert_unchanged(before)
  end)

  it("is all or nothing: out of descriptors, none is left open and the thread is home", function()
    -- room for a few dozen namespaces (two descriptors each), not for 200
    local out = H.run("ulimit -n 64; " .. H.nslua .. " -e " .. H.quote [[
      local netns = require "netns"
      local pid = io.open("/proc/self/stat"):read("a"):match("^(%d+)")
      local function sh(cmd)
        local p = io.popen(cmd); local s = p:read("a"); p:close(); return s
      end
      -- listed into a file: through a pipe, the listing may catch its other end
      local function state()
        os.execute("ls /proc/" .. pid .. "/fd > /tmp/new_many.fds." .. pid)
        return sh("cat /tmp/new_many.fds." .. pid .. "; rm /tmp/new_many.fds." .. pid) ..
          sh("readlink /proc/" .. pid .. "/task/" .. pid .. "/ns/net")
      end
      local before = state()
      local ok, err = pcall(netns.new_many, 200)
      print(ok, err)
      print("same", before == state())
    ]])
    assert.truthy(out:find("false\tnetns: netns new: Too many open files [EMFILE]\n", 1, true), out)
    assert.truthy(out:find("same\ttrue", 1, true), out)
  end)
end)

describe("the limit on open files", function()
  it("is raised to the hard limit; programs get the soft one back", function()
    local hard = tonumber(H.run("ulimit -Hn")) or math.huge    -- "unlimited"
    if hard < 1024 then pending("hard limit on open files below 1024") return end
    -- valgrind keeps the descriptors above the soft limit for itself
    if os.getenv("NETNS_SANITIZER") == "valgrind" then pending("under valgrind") return end
    -- two descriptors a namespace: 300 of them need more than 256
    local out = H.run("ulimit -Sn 256; " .. H.nslua .. " -e " .. H.quote [[
      local netns = require "netns"
      local list = netns.new_many(300)
      print("made", #list)
      io.write("program ", list[1]:output { "sh", "-c", "ulimit -Sn" })
      for _, ns in ipairs(list) do ns:close() end
    ]])
    assert.truthy(out:find("made\t300\n", 1, true), out)
    assert.truthy(out:find("program 256\n", 1, true), out)
  end)
end)

describe("netns.pid", function()
  it("opens the namespace of a process started with ns:spawn", function()
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    local p = ns:spawn({ "sleep", "30" })
    H.defer(finally, function() if p:running() then p:kill(9); p:wait() end end)
    wait_comm(p.pid, "sleep")
    local of = netns.pid(p.pid)
    H.defer(finally, function() of:close() end)
    assert.are.equal(ns.id, of.id)
    assert.is_true(of == ns)
    assert.are.equal(stat_ino("/proc/" .. p.pid .. "/ns/net"), of.id)
    assert.is_nil(of.name)
  end)

  it("opens the namespace of a process ip netns exec started", function()
    local name = fresh("pid")
    run("ip netns add " .. H.quote(name))
    local pid = trim(run("ip netns exec " .. H.quote(name) .. " sleep 30 >/dev/null 2>&1 & echo $!"))
    H.defer(finally, function() H.sh("kill -9 " .. pid .. " 2>/dev/null") end)
    wait_comm(pid, "sleep")
    local of = netns.pid(tonumber(pid))
    H.defer(finally, function() of:close() end)
    local named = netns.open(name)
    H.defer(finally, function() named:close() end)
    assert.is_true(of == named)
    assert.are.equal(stat_ino("/run/netns/" .. name), of.id)
    assert.are.equal(stat_ino("/proc/" .. pid .. "/ns/net"), of.id)
    run("kill " .. pid)
  end)

  it("of a missing process raises ENOENT and leaves nothing behind", function()
    local before = snapshot()
    -- a pid that surely is not running: one of an exited child
    local pid = tonumber(trim(run("sh -c 'echo $$'")))
    raises(("netns: netns open /proc/%d/ns/net: No such file or directory [ENOENT]"):format(pid),
      netns.pid, pid)
    raises("bad argument #1 to 'pid' (invalid process id)", netns.pid, 0)
    assert_unchanged(before)
  end)
end)

describe("netns.current", function()
  it("is the calling thread's namespace", function()
    local cur = netns.current()
    H.defer(finally, function() cur:close() end)
    assert.are.equal(thread_ns_ino(), cur.id)
    assert.are.equal(stat_ino("/proc/self/ns/net"), cur.id)
    assert.is_nil(cur.name)
    local again = netns.current()
    H.defer(finally, function() again:close() end)
    assert.is_true(cur == again)
  end)

  it("inside ns:run is the namespace being run in", function()
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    local inside = ns:run(function() return netns.current() end)
    H.defer(finally, function() inside:close() end)
    assert.is_true(inside == ns)
    assert.are.equal(ns.id, inside.id)
  end)
end)

describe("a namespace handle", function()
  it("has name, path and id as ip and stat show them", function()
    local name = fresh("fields")
    local ns = netns.add(name)
    H.defer(finally, function() ns:close() end)
    assert.are.equal(name, ns.name)
    assert.are.equal("/run/netns/" .. name, ns.path)
    assert.are.equal("integer", math.type(ns.id))
    assert.are.equal(stat_ino("/run/netns/" .. name), ns.id)
  end)

  it("compares equal to another handle on the same namespace, unequal otherwise", function()
    local name = fresh("eq")
    local a = netns.add(name)
    local b = netns.open(name)
    local c = netns.open("/run/netns/" .. name)
    local d = netns.new()
    H.defer(finally, function() a:close(); b:close(); c:close(); d:close() end)
    assert.is_true(a == b)
    assert.is_true(b == c)
    assert.is_false(a ~= c)
    assert.is_true(a ~= d)
    assert.is_false(d == b)
    local cur = netns.current()
    H.defer(finally, function() cur:close() end)
    assert.is_true(cur ~= a)
  end)

  it("closes idempotently and releases its descriptors", function()
    local before = fd_count()
    local ns = netns.new()
    ns:links()    -- whatever it opens lazily is open now
    assert.is_true(fd_count() > before)
    ns:close()
    assert.are.equal(before, fd_count())
    ns:close()
    ns:close()
    assert.are.equal(before, fd_count())
  end)

  it("is released by <close> at the end of its scope", function()
    local before = fd_count()
    local kept
    do
      local ns <close> = netns.new()
      kept = ns     -- still referenced: only <close> can release it
      ns:links()
      assert.is_true(fd_count() > before)
    end
    assert.are.equal(before, fd_count())
    raises(H.closed(kept), kept.links, kept)
  end)

  it("is released by <close> also when the scope is left by an error", function()
    local before = fd_count()
    local kept
    local ok = pcall(function()
      local ns <close> = netns.new()
      kept = ns
      error("leaving")
    end)
    assert.is_false(ok)
    assert.are.equal(before, fd_count())
    raises(H.closed(kept), kept.links, kept)
  end)

  it("collected by the garbage collector releases descriptors but keeps a named namespace", function()
    local name = fresh("gc")
    local before = fd_count()
    do
      local ns = netns.add(name)
      ns:links()
    end
    assert.are.equal(before, fd_count())
    assert.is_true(contains(ip_list(), name))
    assert.is_true(mounted("/run/netns/" .. name))
    assert.is_number(exec_ns_ino(name))
  end)

  it("raises on any call once closed", function()
    local name = fresh("closed")
    local ns = netns.add(name)
    ns:close()
    local other = netns.new()
    H.defer(finally, function() other:close() end)
    local msg = H.closed(ns)
    raises(msg, ns.links, ns)
    raises(msg, ns.link, ns, "lo")
    raises(msg, ns.run, ns, function() end)
    raises(msg, ns.pin, ns, fresh("p"))
    raises(msg, ns.fileno, ns)
    raises(msg, ns.veth, ns, "a0", "a1")
    raises(msg, ns.spawn, ns, { "true" })
    raises(msg, ns.sysctl, ns, "net.ipv4.ip_forward")
    -- as the peer namespace of another call, too
    raises(("bad argument #3 to 'veth' (option 'peer_ns' is a closed namespace handle (%s))"):format(name),
      other.veth, other, "b0", "b1", { peer_ns = ns })
    assert.are.equal(1, #H.ip(other, "link show"))
    -- the message points at the caller's line
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; ns:links()
    end)
    assert.are.equal(("%s:%d: %s"):format(SRC, line, msg), err)
    -- the name is still there: closing never deletes
    assert.is_true(contains(ip_list(), name))
  end)

  it("delete and unpin on a closed handle raise and leave the name alone", function()
    local name = fresh("closeddel")
    local ns = netns.add(name)
    ns:close()
    raises(H.closed(ns), ns.delete, ns)
    assert.is_true(contains(ip_list(), name))
    assert.is_true(mounted("/run/netns/" .. name))
    raises(H.closed(ns), ns.unpin, ns)
    assert.is_true(contains(ip_list(), name))
    assert.is_true(mounted("/run/netns/" .. name))
  end)
end)

describe("ns:pin and ns:unpin", function()
  it("pin binds an anonymous namespace where ip netns list and exec find it", function()
    local name = fresh("pin")
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    assert.is_false(contains(ip_list(), name))
    ns:pin(name)
    assert.is_true(contains(ip_list(), name))
    assert.is_true(mounted("/run/netns/" .. name))
    assert.are.equal(ns.id, exec_ns_ino(name))
    assert.are.equal(ns.id, stat_ino("/run/netns/" .. name))
    assert.are.equal(name, ns.name)
    assert.are.equal("/run/netns/" .. name, ns.path)
    assert.are.equal("netns " .. name, tostring(ns))
    assert.is_true(netns.exists(name))
    local opened = netns.open(name)
    H.defer(finally, function() opened:close() end)
    assert.is_true(opened == ns)
  end)

  it("unpin removes the name and the mount; the handle stays usable", function()
    local name = fresh("unpin")
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    ns:pin(name)
    ns:veth("u0", "u1")
    ns:unpin()
    assert.is_false(contains(ip_list(), name))
    assert.is_false(mounted("/run/netns/" .. name))
    assert.is_false(netns.exists(name))
    assert.is_nil(ns.name)
    assert.is_nil(ns.path)
    assert.are.equal(("netns <anonymous %d>"):format(ns.id), tostring(ns))
    -- still the same namespace, links and all
    local names = {}
    for _, l in ipairs(H.ip(ns, "link show")) do names[#names + 1] = l.ifname end
    table.sort(names)
    assert.are.same({ "lo", "u0", "u1" }, names)
    assert.is_truthy(ns:link("u0"))
  end)

  it("pin of a name in use raises EEXIST and leaves the other namespace bound", function()
    local name = fresh("pindup")
    run("ip netns add " .. H.quote(name))
    local ino = stat_ino("/run/netns/" .. name)
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    local before = snapshot()
    raises(("netns: netns pin %s (in <anonymous %d>): File exists [EEXIST]"):format(name, ns.id),
      ns.pin, ns, name)
    assert_unchanged(before)
    assert.are.equal(ino, exec_ns_ino(name))
    assert.is_nil(ns.name)
  end)

  it("pin of a pinned namespace raises EBUSY: the handle keeps one name", function()
    local first, second = fresh("pinone"), fresh("pintwo")
    local ns = netns.new():pin(first)
    H.defer(finally, function() ns:close(); os.execute("ip netns del " .. H.quote(first) .. " 2>/dev/null") end)
    local before = snapshot()
    raises(("netns: netns pin %s (in %s): Device or resource busy [EBUSY]: the namespace is pinned as %s already")
      :format(second, first, first), ns.pin, ns, second)
    assert_unchanged(before)
    assert.are.equal(first, ns.name)
    -- once unpinned it takes another name
    ns:unpin()
    ns:pin(second)
    assert.are.equal(second, ns.name)
    local names = table.concat(ip_list(), " ") .. " "
    assert.falsy(names:find(first .. " ", 1, true), names)
    assert.truthy(names:find(second .. " ", 1, true), names)
    ns:delete()
  end)

  it("pin rejects invalid names", function()
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    local before = snapshot()
    raises([[bad argument #1 to 'pin' (invalid namespace name "a/b": must not contain '/')]],
      ns.pin, ns, "a/b")
    raises([[bad argument #1 to 'pin' (invalid namespace name "": must not be empty)]],
      ns.pin, ns, "")
    assert_unchanged(before)
  end)
end)

describe("ns:run", function()
  it("calls fn inside the namespace and returns all its results", function()
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    ns:veth("r0", "r1")
    local home = H.thread_ns()
    local a, b, c, inside, names = ns:run(function(x, y)
      local seen = {}
      for _, l in ipairs(require("dkjson").decode((H.sh("ip -j link show")))) do
        seen[#seen + 1] = l.ifname
      end
      table.sort(seen)
      return x + y, nil, "three", H.sh("readlink /proc/thread-self/ns/net"), seen
    end, 1, 2)
    assert.are.equal(3, a)
    assert.is_nil(b)
    assert.are.equal("three", c)
    assert.are.equal(("net:[%d]"):format(ns.id), trim(inside))
    assert.are.same({ "lo", "r0", "r1" }, names)
    assert.are.equal(home, H.thread_ns())
  end)

  it("returns the thread to where it was when fn raises, passing the error on", function()
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    local home = H.thread_ns()
    local ok, err = pcall(ns.run, ns, function() error("boom", 0) end)
    assert.is_false(ok)
    assert.are.equal("boom", err)
    assert.are.equal(home, H.thread_ns())
    local tbl = {}
    ok, err = pcall(ns.run, ns, function() error(tbl) end)
    assert.is_false(ok)
    assert.are.equal(tbl, err)
    assert.are.equal(home, H.thread_ns())
  end)

  it("nests, and each level returns to its own namespace", function()
    local a, b = netns.new(), netns.new()
    H.defer(finally, function() a:close(); b:close() end)
    local home = H.thread_ns()
    local seen = a:run(function()
      local outer = H.thread_ns()
      local inner = b:run(function() return H.thread_ns() end)
      return { outer, inner, H.thread_ns() }
    end)
    assert.are.same({ ("net:[%d]"):format(a.id), ("net:[%d]"):format(b.id),
                      ("net:[%d]"):format(a.id) }, seen)
    assert.are.equal(home, H.thread_ns())
  end)

  it("rejects a non-function without moving the thread", function()
    local ns = netns.new()
    H.defer(finally, function() ns:close() end)
    local before = snapshot()
    raises("bad argument #1 to 'run' (function expected, got number)", ns.run, ns, 5)
    assert_unchanged(before)
  end)
end)

describe("ns:nsid", function()
  it("gives and assigns the ids ip netns list-id shows", function()
    local a, b = netns.add "nsid-a", netns.add "nsid-b"
    H.defer(finally, function() a:delete(); b:delete() end)
    assert.is_nil(a:nsid(b))
    assert.are.equal(5, a:nsid(b, 5))
    local ids = H.ip(a, "netns list-id")
    assert.are.equal(5, ids[1].nsid)
    assert.are.equal("nsid-b", ids[1].name)
    -- a veth into b is reported with that id
    a:veth("n0", "n1", { peer_ns = b })
    assert.are.equal(5, a:link("n0").link_netnsid)
    H.raises("netns: netns set nsid-b 6 (in nsid-a): File exists [EEXIST]: Peer netns already has a nsid assigned",
      a.nsid, a, b, 6)
    H.raises("bad argument #1 to 'nsid' (namespace handle expected, got string)",
      a.nsid, a, "nsid-b")
  end)
end)

describe("the run directory", function()

  it("is never followed through a symlink planted in it", function()
    H.sh("ln -s /proc/1/ns/net /run/netns/planted")
    H.defer(finally, function() os.remove("/run/netns/planted") end)
    H.raises("netns: netns open planted: Too many levels of symbolic links [ELOOP]: " ..
      "/run/netns/planted is a symlink, never followed", netns.open, "planted")
  end)

  it("is refused when others may write it", function()
    H.sh("chmod 0777 /run/netns")
    H.defer(finally, function() H.sh("chmod 0755 /run/netns") end)
    H.raises("netns: netns add fs-x: Operation not permitted [EPERM]: " ..
      "/run/netns is not a directory only its owner (root) can write", netns.add, "fs-x")
    assert.is_false(netns.exists("fs-x"))
  end)

  it("is checked again when it changes after namespaces were added", function()
    netns.add("fs-ok"):close()
    H.defer(finally, function() netns.delete("fs-ok", { missing_ok = true }) end)
    -- the same directory, now writable by others
    H.sh("chmod 0775 /run/netns")
    H.defer(finally, function() H.sh("chmod 0755 /run/netns") end)
    H.raises("netns: netns add fs-y: Operation not permitted [EPERM]: " ..
      "/run/netns is not a directory only its owner (root) can write", netns.add, "fs-y")
    H.sh("chmod 0755 /run/netns")
    netns.add("fs-y"):delete()
    assert.is_false(netns.exists("fs-y"))
  end)
end)

describe("deferred changes (the raw handle's defer and flush, as netns.build uses them)", function()
  local function addrs(ns)
    local out = {}
    for _, l in ipairs(H.ip(ns, "addr show dev d0")) do
      for _, a in ipairs(l.addr_info) do out[#out + 1] = a["local"] .. "/" .. a.prefixlen end
    end
    table.sort(out)
    return out
  end

  it("wait until flush, then go in one batch; the first failure is named, the rest still made", function()
    local ns <close> = netns.new()
    ns:link_add { kind = "veth", name = "d0", peer = "d1" }
    local h = ns._h
    h:defer()
    assert.is_true(h:link_set("d0", { up = true }))
    assert.is_true(h:addr_add("d0", "10.0.0.1/24"))
    assert.is_true(h:addr_add("d0", "10.0.0.1/24"))          -- a duplicate: fails at flush
    assert.is_true(h:addr_add("d0", "10.0.1.1/24"))
    assert.is_true(h:route_add { dst = "10.9.0.0/16", gateway = "10.0.0.254" })
    -- nothing has reached the kernel yet
    assert.are.same({}, addrs(ns))
    assert.are.equal("DOWN", H.ip(ns, "link show d0")[1].operstate)
    local ok, msg, code = h:flush()
    assert.is_nil(ok)
    assert.are.equal(("netns: address add 10.0.0.1/24 dev d0 (in %s): File exists [EEXIST]: %s")
      :format(tostring(ns):match("<.*>"), "ipv4: Address already assigned"), msg)
    assert.are.equal(17, code)
    assert.are.same({ "10.0.0.1/24", "10.0.1.1/24" }, addrs(ns))
    assert.is_true(contains(H.ip(ns, "link show d0")[1].flags, "UP"))
    assert.are.equal("10.0.0.254", H.ip(ns, "route show 10.9.0.0/16")[1].gateway)
    -- after a flush, changes go at once again
    h:addr_add("d0", "10.0.2.1/24")
    assert.are.same({ "10.0.0.1/24", "10.0.1.1/24", "10.0.2.1/24" }, addrs(ns))
    assert.is_true(h:flush())                                  -- nothing deferred: nothing to do
  end)

  it("never defers a move or a rename, which later look-ups depend on", function()
    local ns <close> = netns.new()
    local other <close> = netns.new()
    ns:link_add { kind = "veth", name = "d0", peer = "d1" }
    ns._h:defer()
    ns:link_set("d1", { name = "d2" })
    ns:link_set("d2", { ns = other })
    assert.is_not_nil(other:link("d2"))
    assert.is_nil(ns:link("d1"))
    ns:link_set("d0", { mtu = 1400 })
    assert.are.equal(1500, ns:link("d0").mtu)
    assert.is_true(ns._h:flush())
    assert.are.equal(1400, ns:link("d0").mtu)
  end)

  it("unsent at close: dropped, nothing leaks", function()
    local before = fd_count()
    local ns = netns.new()
    ns:link_add { kind = "veth", name = "d0", peer = "d1" }
    ns._h:defer()
    ns:addr_add("d0", "10.0.0.1/24")
    ns:close()
    assert.are.equal(before, fd_count())
  end)
end)
