-- Programs and sysctls inside a namespace: ns:exec, ns:output, ns:popen,
-- ns:spawn (and the process handle), ns:sysctl and ns:run.  Results are
-- compared with what os.execute and io.popen give for the same command, and
-- what a program sees with what `ip netns exec` shows.

local netns = require "netns"
local H = require "helper"
local json = require "dkjson"

local SRC = debug.getinfo(1, "S").short_src
local NSLUA = H.nslua
local ESRCH = 3

---------------------------------------------------------------------------
-- Local helpers

local PID = H.pid

local pack = table.pack

-- Seconds since boot, to 10 ms: a clock that wall-clock changes do not move.
local function now()
  local f = assert(io.open("/proc/uptime"))
  local t = f:read("n")
  f:close()
  return t
end

local function trim(s)
  return (s:gsub("%s+$", ""))
end

local read_file, write_file = H.read_file, H.write_file

-- Lines of @s as an array.
local function lines(s)
  local out = {}
  for l in s:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

local function sorted(t)
  table.sort(t)
  return t
end

local run = H.run

local fd_count = H.fd_count

-- The process ids now under /proc.
local function all_pids()
  local f = assert(io.popen("ls /proc"))
  local pids = {}
  for name in f:lines() do
    if name:match("^%d+$") then pids[#pids + 1] = name end
  end
  f:close()
  return pids
end

-- State letter and parent of process @pid, or nil when there is none.
local function proc_state(pid)
  local stat = read_file("/proc/" .. pid .. "/stat")
  if not stat then return nil end
  local state, ppid = stat:match(".*%) (%S) (%d+)")
  return state, ppid
end

-- "pid state" of every child of this process, zombies included, sorted.
local function children()
  local out = {}
  for _, pid in ipairs(all_pids()) do
    local state, ppid = proc_state(pid)
    if ppid == PID then out[#out + 1] = pid .. " " .. state end
  end
  return sorted(out)
end

-- The argv of process @pid as one string with spaces, or nil.
local function cmdline(pid)
  local s = read_file("/proc/" .. pid .. "/cmdline")
  return s and (s:gsub("%z$", ""):gsub("%z", " "))
end

-- Whether process @pid still runs @cmd (a zombie or another program is not it).
local function runs(pid, cmd)
  local state = proc_state(pid)
  return state ~= nil and state ~= "Z" and cmdline(tostring(pid)) == cmd
end

-- Pids of live processes whose argv is exactly @cmd.
local function running(cmd)
  local out = {}
  for _, pid in ipairs(all_pids()) do
    if runs(pid, cmd) then out[#out + 1] = pid end
  end
  return out
end

-- Waits up to @secs for @cond() to be true; returns its last value.
local function eventually(secs, cond)
  local deadline = now() + secs
  repeat
    local v = cond()
    if v then return v end
    os.execute("sleep 0.02")
  until now() > deadline
  return cond()
end

-- Runs Lua @script in a child nslua, stopped after @limit seconds (20 by
-- default); returns its output (stdout and stderr) and how it ended, like H.sh.
local function in_child(script, limit)
  return H.sh(("timeout -k 2 %d %s -e %s 2>&1"):format(limit or 20, NSLUA, H.quote(script)))
end

local raises = H.raises

-- The error raised by @fn, with its position.
local function error_of(fn)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error")
  return err
end

local function net_of(ns)
  return ("net:[%d]"):format(ns.id)
end

-- Fresh namespaces, closed (and deleted when named) after each test.
local handles, names, seq = {}, {}, 0
local function fresh_ns()
  local ns = netns.new()
  handles[#handles + 1] = ns
  return ns
end

local function fresh_named()
  seq = seq + 1
  local name = ("procspec-%s-%d"):format(PID, seq)
  names[#names + 1] = name
  local ns = netns.add(name)
  handles[#handles + 1] = ns
  return ns, name
end

-- Temporary files, removed after each test.
local temps = {}
local function tmpname()
  local name = os.tmpname()
  temps[#temps + 1] = name
  return name
end

-- Programs a test starts and must not leave behind.
local strays = {}
local function stray(pid, cmd) strays[#strays + 1] = { tostring(pid), cmd } end

after_each(function()
  for _, s in ipairs(strays) do
    if runs(s[1], s[2]) then os.execute("kill -9 " .. s[1]) end
  end
  strays = {}
  for _, name in ipairs(temps) do os.remove(name) end
  temps = {}
  for _, ns in ipairs(handles) do ns:close() end
  handles = {}
  for _, name in ipairs(names) do
    netns.delete(name, { missing_ok = true })
    os.execute("rm -rf /etc/netns/" .. H.quote(name))
  end
  names = {}
end)

---------------------------------------------------------------------------

describe("ns:exec", function()
  it("returns what os.execute returns for the same command", function()
    local ns = fresh_ns()
    for _, cmd in ipairs { "exit 3", "true", "false", "exit 0", "exit 255", "kill -9 $$",
                           "kill -TERM $$", "no-such-program 2>/dev/null" } do
      local want = pack(os.execute(cmd))
      assert.are.same(want, pack(ns:exec(cmd)), cmd)
    end
    assert.are.same(pack(os.execute("exit 3")), pack(ns:exec("exit 3")))
    assert.are.same({ n = 3, nil, "exit", 3 }, pack(ns:exec("exit 3")))
  end)

  it("runs an argv table without a shell and returns like os.execute", function()
    local ns = fresh_ns()
    assert.are.same(pack(os.execute("true")), pack(ns:exec({ "true" })))
    assert.are.same({ n = 3, true, "exit", 0 }, pack(ns:exec({ "true" })))
    assert.are.same(pack(os.execute("false")), pack(ns:exec({ "false" })))
    assert.are.same({ n = 3, nil, "exit", 1 }, pack(ns:exec({ "false" })))
    -- killed by a signal
    assert.are.same(pack(os.execute("kill -KILL $$")), pack(ns:exec({ "sh", "-c", "kill -KILL $$" })))
    assert.are.same({ n = 3, nil, "signal", 9 }, pack(ns:exec({ "sh", "-c", "kill -KILL $$" })))
    -- no shell: the ';' and '$' reach the program as they are
    assert.are.equal("a;b $HOME\n", ns:output({ "echo", "a;b", "$HOME" }))
  end)

  it("of a missing program exits 127 and of a non-executable file 126, as through sh", function()
    local ns = fresh_ns()
    assert.are.same(pack(os.execute("no-such-program 2>/dev/null")),
      pack(ns:exec({ "no-such-program" }, { stderr = "null" })))
    assert.are.same({ n = 3, nil, "exit", 127 }, pack(ns:exec({ "no-such-program" }, { stderr = "null" })))
    assert.are.same({ n = 3, nil, "exit", 127 }, pack(ns:exec({ "/no/such/path" }, { stderr = "null" })))
    local plain = tmpname()                          -- a file without execute permission
    assert.is_true(os.execute("chmod 0644 " .. plain))
    assert.are.same(pack(os.execute(plain .. " 2>/dev/null")),
      pack(ns:exec({ plain }, { stderr = "null" })))
    assert.are.same({ n = 3, nil, "exit", 126 }, pack(ns:exec({ plain }, { stderr = "null" })))
  end)

  it("returns like os.execute also when an earlier failed call left errno set", function()
    local ns = fresh_ns()
    assert.is_nil(io.open("/no/such/file"))            -- errno = ENOENT
    assert.are.same({ n = 3, nil, "exit", 3 }, pack(ns:exec("exit 3")))
    assert.is_nil(io.open("/no/such/file"))
    assert.are.same({ n = 3, nil, "signal", 9 }, pack(ns:exec({ "sh", "-c", "kill -9 $$" })))
    assert.is_nil(io.open("/no/such/file"))
    assert.are.same({ n = 3, nil, "exit", 1 }, pack(ns:popen("exit 1"):close()))
    assert.is_nil(io.open("/no/such/file"))
    assert.are.same({ n = 3, nil, "exit", 2 }, pack(ns:spawn("exit 2"):wait()))
  end)

  it("runs a string through /bin/sh -c", function()
    local ns = fresh_ns()
    assert.are.equal("x y\n", ns:output("a=x; echo $a y"))
    assert.are.equal("/bin/sh -c\n", ns:output([[tr '\0' ' ' < /proc/$$/cmdline | cut -d' ' -f1,2]]))
  end)

  it("runs the program inside the namespace; the caller's thread stays where it was", function()
    local ns = fresh_ns()
    local home = H.thread_ns()
    assert.are_not.equal(home, net_of(ns))
    assert.are.equal(net_of(ns) .. "\n", ns:output({ "readlink", "/proc/self/ns/net" }))
    assert.are.equal(net_of(ns) .. "\n", ns:output("readlink /proc/$$/ns/net"))
    assert.are.equal(home, H.thread_ns())
    -- from inside another namespace, the program still runs in ns
    local other = fresh_ns()
    assert.are.equal(net_of(ns) .. "\n", other:run(function()
      return ns:output({ "readlink", "/proc/self/ns/net" })
    end))
    assert.are.equal(home, H.thread_ns())
  end)

  describe("opts", function()
    it("env is merged over the caller's environment; false removes a variable", function()
      local ns = fresh_ns()
      assert.are.equal("1", os.getenv("NETNS_SANDBOX"))
      local function env_of(opts)
        local t, n = {}, 0
        for _, l in ipairs(lines(ns:output({ "env" }, opts))) do
          local k, v = l:match("^([^=]*)=(.*)$")
          assert.is_nil(t[k], "duplicate variable " .. k)
          t[k] = v
          n = n + 1
        end
        return t, n
      end
      local plain, nplain = env_of()
      assert.are.equal("1", plain.NETNS_SANDBOX)
      assert.are.equal(os.getenv("PATH"), plain.PATH)
      local got, ngot = env_of({ env = { PROCSPEC_A = "one two", PROCSPEC_N = 5, NETNS_SANDBOX = false } })
      assert.are.equal("one two", got.PROCSPEC_A)
      assert.are.equal("5", got.PROCSPEC_N)
      assert.is_nil(got.NETNS_SANDBOX)
      assert.are.equal(nplain + 1, ngot)
      got.PROCSPEC_A, got.PROCSPEC_N, got.NETNS_SANDBOX = nil, nil, "1"
      assert.are.same(plain, got)
      -- an override replaces the caller's value: one entry, the new value
      local over, nover = env_of({ env = { NETNS_SANDBOX = "2" } })
      assert.are.equal("2", over.NETNS_SANDBOX)
      assert.are.equal(nplain, nover)
      -- the same through the shell, and for the caller nothing changed
      assert.are.same({ n = 3, true, "exit", 0 },
        pack(ns:exec('[ "$A" = a ] && [ -z "${NETNS_SANDBOX+set}" ]', { env = { A = "a", NETNS_SANDBOX = false } })))
      assert.are.equal("1", os.getenv("NETNS_SANDBOX"))
      assert.is_nil(os.getenv("PROCSPEC_A"))
    end)

    it("a program is looked for along the PATH of its env, as env(1) does", function()
      local ns = fresh_ns()
      local dir = H.sh("mktemp -d"):gsub("\n$", "")
      finally(function() os.execute("rm -rf " .. H.quote(dir)) end)
      write_file(dir .. "/nsprobe", "#!/bin/sh\necho found \"$0\"\n")
      assert(os.execute("chmod +x " .. H.quote(dir .. "/nsprobe")))
      os.execute("mkdir " .. H.quote(dir .. "/true"))          -- a directory is not a program
      local path = "/nonexistent:" .. dir .. ":/usr/bin:/bin"
      assert.are.equal(("found %s/nsprobe\n"):format(dir), ns:output({ "nsprobe" }, { env = { PATH = path } }))
      assert.are.same({ n = 3, true, "exit", 0 }, pack(ns:exec({ "true" }, { env = { PATH = path } })))
      -- on the caller's PATH but not on the program's: not found, as env(1) finds it not
      local only = { env = { PATH = dir .. ":/nonexistent" }, stderr = "null" }
      assert.are.same(pack(os.execute(("env PATH=%s:/nonexistent ls 2>/dev/null"):format(H.quote(dir)))),
        pack(ns:exec({ "ls" }, only)))
      assert.are.same({ n = 3, nil, "exit", 127 }, pack(ns:exec({ "ls" }, only)))
      -- an empty entry is the directory the program starts in
      assert.are.equal(("found %s/nsprobe\n"):format(dir),
        ns:output({ "nsprobe" }, { env = { PATH = ":/bin" }, cwd = dir }))
    end)

    it("starts in the caller's working directory, or cwd relative to it", function()
      local ns = fresh_ns()
      local here = assert(io.popen("pwd -P")):read("l")
      assert.are.equal(here .. "\n", ns:output({ "pwd", "-P" }))
      assert.are.equal(here .. "/spec\n", ns:output({ "pwd", "-P" }, { cwd = "spec" }))
      assert.are.equal(here .. "\n", ns:output({ "pwd", "-P" }))
    end)

    it("cwd sets the working directory; a missing one raises", function()
      local ns, name = fresh_named()
      assert.are.equal("/tmp\n", ns:output({ "readlink", "/proc/self/cwd" }, { cwd = "/tmp" }))
      assert.are.same({ n = 3, true, "exit", 0 }, pack(ns:exec("[ \"$(pwd -P)\" = /proc ]", { cwd = "/proc" })))
      raises(("netns: exec true: change directory (in %s): No such file or directory [ENOENT]"):format(name),
        ns.exec, ns, { "true" }, { cwd = "/no/such/dir" })
      -- a shell command is named by its text, not by the shell
      raises(("netns: exec make all: change directory (in %s): No such file or directory [ENOENT]"):format(name),
        ns.exec, ns, "make all", { cwd = "/no/such/dir" })
      raises(("netns: exec make all: change directory (in %s): No such file or directory [ENOENT]"):format(name),
        ns.output, ns, "make all", { cwd = "/no/such/dir" })
    end)

    it("stdin feeds a string to the program", function()
      local ns = fresh_ns()
      assert.are.same({ n = 3, true, "exit", 0 },
        pack(ns:exec('read l && [ "$l" = hello ]', { stdin = "hello\n" })))
      assert.are.equal("hello\n", ns:output({ "cat" }, { stdin = "hello\n" }))
      assert.are.equal("0\n", ns:output({ "wc", "-c" }, { stdin = "" }))
      local big = string.rep("0123456789abcdef", 65536 * 3) .. "tail"   -- 3 MiB and 4 bytes
      assert.are.equal(#big .. "\n", ns:output({ "wc", "-c" }, { stdin = big }))
      assert.are.same({ n = 3, true, "exit", 0 },
        pack(ns:exec('[ "$(wc -c)" = ' .. #big .. ' ]', { stdin = big })))
    end)

    it("stdin larger than a pipe goes to a program that writes as it reads", function()
      -- in a child (with a time limit) so that a hang cannot stop this run
      local out, ok, how, code = in_child([[
        local big = ("0123456789abcdef"):rep(65536 * 3)
        local got = netns.new():output({ "cat" }, { stdin = big })
        print(#got, got == big)
      ]], 10)
      assert.are.same({ "3145728\ttrue\n", true, "exit", 0 }, { out, ok, how, code })
    end)

    it("stdin is not forced on a program that stops reading", function()
      -- in a child so that a SIGPIPE there cannot end this run
      local out, ok, how, code = in_child([[
        local ns = netns.new()
        local big = ("x"):rep(4 * 1024 * 1024)
        local a = table.pack(ns:exec({ "true" }, { stdin = big }))
        local b = ns:output({ "head", "-c", "3" }, { stdin = big })
        print(a.n, a[1], a[2], a[3], b)
      ]])
      assert.are.same({ "3\ttrue\texit\t0\txxx\n", true, "exit", 0 }, { out, ok, how, code })
    end)

    it("timeout kills the program: nil, 'signal', 9, at once", function()
      local ns = fresh_ns()
      local cmd = { "sleep", "10.125" }
      local t0 = now()
      local r = pack(ns:exec(cmd, { timeout = 0.3 }))
      local took = now() - t0
      assert.are.same({ n = 3, nil, "signal", 9 }, r)
      assert.is_true(took >= 0.25 and took < 2, "took " .. took .. " s")
      assert.are.same({}, running("sleep 10.125"))
      -- a program that ends in time is not touched
      assert.are.same({ n = 3, true, "exit", 0 }, pack(ns:exec({ "true" }, { timeout = 5 })))
      assert.are.same({ n = 3, nil, "exit", 4 }, pack(ns:exec("exit 4", { timeout = 5 })))
    end)

    it("timeout on a shell command kills what the shell started, too", function()
      local ns = fresh_ns()
      local t0 = now()
      local r = pack(ns:exec("sleep 10.375", { timeout = 0.3 }))
      local took = now() - t0
      local left = running("sleep 10.375")
      for _, pid in ipairs(left) do stray(pid, "sleep 10.375") end
      assert.are.same({ n = 3, nil, "signal", 9 }, r)
      assert.is_true(took < 2, "took " .. took .. " s")
      assert.are.same({}, left)
    end)

    it("stdout and stderr: 'inherit' by default, 'null' discards", function()
      -- in a child whose output this test reads
      local script = [[
        local ns = netns.new()
        ns:exec({ "echo", "out-default" })
        ns:exec("echo err-default >&2")
        ns:exec({ "echo", "out-inherit" }, { stdout = "inherit" })
        ns:exec("echo err-inherit >&2", { stderr = "inherit" })
        ns:exec({ "echo", "out-null" }, { stdout = "null" })
        ns:exec("echo err-null >&2", { stderr = "null" })
        ns:exec("echo out-kept; echo err-null2 >&2", { stderr = "null" })
        ns:exec("echo out-null2; echo err-kept >&2", { stdout = "null" })
      ]]
      local out = in_child(script)
      assert.are.same(sorted { "out-default", "err-default", "out-inherit", "err-inherit",
                               "out-kept", "err-kept" }, sorted(lines(out)))
      local ns = fresh_ns()
      assert.are.same({ n = 3, true, "exit", 0 },
        pack(ns:exec('[ "$(readlink /proc/$$/fd/1)" = /dev/null ]', { stdout = "null" })))
      assert.are.same({ n = 3, true, "exit", 0 },
        pack(ns:exec('[ "$(readlink /proc/$$/fd/2)" = /dev/null ]', { stderr = "null" })))
    end)

    it("are checked before anything runs", function()
      local ns = fresh_ns()
      raises("bad argument #2 to 'exec' (unknown option 'bogus')", ns.exec, ns, { "true" }, { bogus = 1 })
      raises([[bad argument #2 to 'exec' (option 'stdout' must be "inherit" or "null")]],
        ns.exec, ns, { "true" }, { stdout = "file" })
      raises([[bad argument #2 to 'exec' (option 'stderr' must be "inherit" or "null")]],
        ns.exec, ns, { "true" }, { stderr = 2 })
      raises([[bad argument #2 to 'spawn' (option 'stdin' must be "inherit" or "null")]],
        ns.spawn, ns, { "true" }, { stdin = "data" })
      raises("bad argument #2 to 'exec' (option 'timeout' must be a number)",
        ns.exec, ns, { "true" }, { timeout = "1" })
      raises("bad argument #2 to 'exec' (option 'stdin' must be a string)", ns.exec, ns, { "true" }, { stdin = 1 })
      raises("bad argument #1 to 'exec' (empty command)", ns.exec, ns, {})
      raises("bad argument #1 to 'exec' (string or table expected, got number)", ns.exec, ns, 42)
      raises("bad argument #1 to 'exec' (command element 2 is not a string)", ns.exec, ns, { "echo", true })
      -- numbers are taken as strings, as Lua's own functions take them
      assert.are.equal("1 2.5 -3\n", ns:output { "echo", 1, 2.5, -3 })
      -- C would cut these short at the NUL, or read "A=B" as A
      raises("bad argument #1 to 'exec' (command element 2 holds a NUL)", ns.exec, ns, { "echo", "a\0b" })
      raises("bad argument #1 to 'exec' (command holds a NUL)", ns.exec, ns, "true\0; rm -rf x")
      raises("bad argument #2 to 'exec' (option 'cwd' must be a string without NUL)",
        ns.exec, ns, { "true" }, { cwd = "/tmp\0x" })
      local env_rule = "(a name is not empty and holds no '=', and neither name nor value holds a NUL)"
      for _, env in ipairs { { ["A=B"] = "c" }, { [""] = "c" }, { ["A\0B"] = "c" }, { A = "c\0d" } } do
        local name = next(env)
        raises(([[bad argument #2 to 'exec' (option 'env': bad entry "%s" %s)]]):format(
          name:gsub("%z.*", ""), env_rule), ns.exec, ns, { "true" }, { env = env })
      end
      for _, env in ipairs { { A = true }, { "x" } } do
        raises("bad argument #2 to 'exec' (option 'env': string keys; string values, or false to remove)",
          ns.exec, ns, { "true" }, { env = env })
      end
      local p = ns:spawn { "true" }
      for _, t in ipairs { -1, 0 / 0, 3e6 } do
        raises("bad argument #1 to 'wait' (timeout out of range)", function() return p:wait(t) end)
      end
      p:wait()
      local line
      local err = error_of(function()
        line = debug.getinfo(1, "l").currentline; ns:exec({ "true" }, { bogus = 1 })
      end)
      assert.are.equal(("%s:%d: bad argument #2 to 'exec' (unknown option 'bogus')"):format(SRC, line), err)
    end)
  end)

  describe("sees the namespace as under ip netns exec:", function()
    it("/sys/class/net lists only its links", function()
      local ns, name = fresh_named()
      ns:veth("pv0", "pv1")
      local want = {}
      for _, l in ipairs(ns:links()) do want[#want + 1] = l.ifname end
      sorted(want)
      assert.are.same({ "lo", "pv0", "pv1" }, want)
      assert.are.same(want, sorted(lines(ns:output({ "ls", "/sys/class/net" }))))
      assert.are.same(want, sorted(lines(run("ip netns exec " .. name .. " ls /sys/class/net"))))
      -- an anonymous namespace too
      local anon = fresh_ns()
      anon:veth("qv0", "qv1")
      assert.are.same({ "lo", "qv0", "qv1" }, sorted(lines(anon:output({ "ls", "/sys/class/net" }))))
      -- the caller's view is its own
      local mine = lines(run("ls /sys/class/net"))
      for _, n in ipairs(mine) do
        assert.is_true(n ~= "pv0" and n ~= "qv0", n)
      end
    end)

    it("ip -j link run inside shows the links ns:links() gives", function()
      local ns = fresh_ns()
      ns:veth("jv0", "jv1")
      ns:bridge("jbr")
      local want, got = {}, {}
      for _, l in ipairs(ns:links()) do want[#want + 1] = l.ifname .. " " .. l.ifindex end
      for _, l in ipairs(json.decode(ns:output({ "ip", "-j", "link" }))) do
        got[#got + 1] = l.ifname .. " " .. l.ifindex
      end
      assert.are.equal(4, #want)
      assert.are.same(sorted(want), sorted(got))
    end)

    it("/etc/netns/NAME files appear over /etc", function()
      local ns, name = fresh_named()
      local dir = "/etc/netns/" .. name
      run("mkdir -p " .. dir)
      local hosts = "10.9.8.7 procspec-" .. name .. "\n"
      write_file(dir .. "/hosts", hosts)
      local real = read_file("/etc/hosts")
      assert.are_not.equal(real, hosts)
      assert.are.equal(hosts, ns:output({ "cat", "/etc/hosts" }))
      assert.are.equal(run("ip netns exec " .. name .. " cat /etc/hosts"), ns:output({ "cat", "/etc/hosts" }))
      assert.are.equal(hosts, ns:output("cat /etc/hosts"))
      -- the caller's /etc is untouched; an anonymous namespace has no such files
      assert.are.equal(real, read_file("/etc/hosts"))
      assert.are.equal(real, fresh_ns():output({ "cat", "/etc/hosts" }))
      -- a pinned anonymous namespace gets the files of its pin name
      local anon = fresh_ns()
      seq = seq + 1
      local pin = ("procspec-%s-%d"):format(PID, seq)
      names[#names + 1] = pin
      anon:pin(pin)
      run("mkdir -p /etc/netns/" .. pin)
      write_file("/etc/netns/" .. pin .. "/hosts", "10.1.1.1 pinned\n")
      assert.are.equal("10.1.1.1 pinned\n", anon:output({ "cat", "/etc/hosts" }))
      -- and nothing is left mounted over /etc here
      assert.are.equal(real, read_file("/etc/hosts"))
    end)

    it("/etc/netns/NAME changes reach the next program of the same handle", function()
      local ns, name = fresh_named()
      local dir = "/etc/netns/" .. name
      run("mkdir -p " .. dir)
      write_file(dir .. "/hosts", "10.9.8.7 first\n")
      assert.are.equal("10.9.8.7 first\n", ns:output({ "cat", "/etc/hosts" }))
      -- a file rewritten in place, and a file added later
      write_file(dir .. "/hosts", "10.9.8.7 second\n")
      write_file(dir .. "/networks", "procspec 10.9.0.0\n")
      assert.are.equal("10.9.8.7 second\n", ns:output({ "cat", "/etc/hosts" }))
      assert.are.equal("procspec 10.9.0.0\n", ns:output({ "cat", "/etc/networks" }))
      assert.are.equal(run("ip netns exec " .. name .. " cat /etc/networks"),
        ns:output({ "cat", "/etc/networks" }))
      -- and a file removed from it is gone from the program's /etc
      os.remove(dir .. "/networks")
      assert.are.equal(read_file("/etc/networks"), ns:output({ "cat", "/etc/networks" }))
    end)
  end)

  it("starts the program with no signal blocked, nor ignored because its caller ignores it", function()
    -- The caller ignores SIGUSR1 and SIGPIPE for itself, and SIGHUP as
    -- nohup does and SIGINT as a shell's background job does: only those
    -- two stay ignored, as exec keeps them (nslua catches SIGINT all the
    -- same, as lua5.4 does).  glibc's own signals (32 and 33) are left as
    -- they are: glibc refuses to change them, and every glibc program sets
    -- them up as it starts.
    local out = H.sh(("sh -c 'trap \"\" USR1 PIPE HUP INT; exec %s -e \"$0\"' %s 2>&1"):format(NSLUA, H.quote([[
      io.write(netns.new():output { "grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status" })
    ]])))
    local blocked, ignored = out:match("^SigBlk:\t(%x+)\nSigIgn:\t(%x+)\n$")
    assert.are.equal(0, tonumber(blocked, 16), out)
    assert.are.equal(1 << (1 - 1) | 1 << (2 - 1), tonumber(ignored, 16) & 0x7fffffff, out)   -- SIGHUP 1, SIGINT 2
  end)

  it("output keeps stderr open while stdout is: a background writer of both loses nothing", function()
    local ns = fresh_ns()
    -- the shell exits at once; what it left writes stderr, then stdout
    assert.are.equal("result\n", ns:output("(sleep 0.2; echo warning >&2; echo result) & exit 0"))
  end)

  it("an interrupted exec stops what the program started too, without a terminal", function()
    local pidfile = tmpname()
    local out = H.sh(("timeout -k 2 20 setsid %s -e %s 2>&1"):format(NSLUA, H.quote(([[
      local self_pid = io.open("/proc/self/stat"):read("n")
      os.execute(("(sleep 0.5; kill -TERM %%d) &"):format(self_pid))
      print(pcall(netns.new().exec, netns.new(), "sleep 30 >/dev/null 2>&1 & echo $! > %s; wait"))
    ]]):format(pidfile))))
    assert.matches("^false\t.*terminated!", out)
    local pid = assert(tonumber(read_file(pidfile)), out)
    -- the shell's background sleep went with it (gone, or a zombie not yet reaped)
    assert.is_true(eventually(2, function()
      local state = proc_state(pid)
      return state == nil or state == "Z"
    end), "sleep " .. pid .. " still " .. tostring(proc_state(pid)))
  end)

  -- Runs Lua @code in nslua on a terminal of its own (script(1)), its output with \r\n as \n
  -- and its exit status after it.  nslua replaces script's shell: a shell left in the
  -- foreground group would take the key too, and each shell ($SHELL) takes it its own way.
  local function at_terminal(code)
    local out = H.sh(("printf '' | timeout -k 2 20 script -qec %s /dev/null; echo status=$?"):format(
      H.quote(("exec %s -e %s"):format(NSLUA, H.quote(code)))))
    return (out:gsub("\r", ""))
  end

  it("at a terminal, Ctrl-C is the foreground program's: one that handles it goes on", function()
    -- kill -INT 0 is the key: the signal reaches the whole foreground group, nslua too
    local out = at_terminal([[
      local ns <close> = netns.new()
      print(ns:exec("trap 'echo caught; exit 3' INT; kill -INT 0; sleep 0.3; echo not-reached"))
      print(pcall(function()   -- the key is nslua's again after the program
        io.popen("kill -INT " .. io.open("/proc/self/stat"):read("n")):close()
        for _ = 1, 1e8 do end
      end))]])
    assert.truthy(out:find("caught\nnil\texit\t3\nfalse\t[^\n]*interrupted!\nstatus=0\n"), out)
    assert.falsy(out:find("not-reached", 1, true), out)
  end)

  it("at a terminal, p:wait() leaves Ctrl-C to a spawned program reading the terminal", function()
    local out = at_terminal([[
      local ns <close> = netns.new()
      for _, limit in ipairs { false, 10 } do
        local p = ns:spawn("trap 'echo caught; exit 3' INT; sleep 0.2; kill -INT 0; sleep 0.3; echo not-reached")
        print(p:wait(limit or nil))
      end]])
    assert.truthy(out:find("caught\nnil\texit\t3\ncaught\nnil\texit\t3\nstatus=0\n"), out)
  end)

  it("at a terminal, a program that Ctrl-C ends interrupts the script after it", function()
    local out = at_terminal([[
      local ns <close> = netns.new()
      ns:exec("kill -INT 0; sleep 3; echo not-reached")
      print("not-reached either")]])
    assert.truthy(out:find("interrupted!", 1, true), out)
    assert.truthy(out:find("status=130\n", 1, true), out)
    assert.falsy(out:find("not-reached", 1, true), out)
  end)

  it("with a timeout, a program reading the terminal stays in its foreground group", function()
    -- In a group of its own, its read of the terminal would stop it (SIGTTIN) until the timeout.
    local out = H.sh(("printf 'hello\\n' | timeout -k 2 20 script -qec %s /dev/null"):format(H.quote(
      ("%s -e %s"):format(NSLUA, H.quote([[print(netns.new():exec("read x; echo got $x", { timeout = 10 }))]])))))
    out = out:gsub("\r", "")
    assert.truthy(out:find("got hello\n", 1, true), out)
    assert.truthy(out:find("true\texit\t0\n", 1, true), out)
  end)

  it("passes no descriptor but 0, 1 and 2 to the program", function()
    local ns = fresh_ns()
    local tmp = tmpname()
    local held = assert(io.open("/etc/hosts"))          -- inheritable: Lua does not set CLOEXEC
    -- the control: os.execute passes it on
    os.execute("ls /proc/self/fd > " .. tmp)
    assert.is_true(#lines(read_file(tmp)) > 4, "control: os.execute shows " .. read_file(tmp))
    -- `ls` itself holds 3, the directory it lists
    assert.is_true(ns:exec("ls /proc/self/fd > " .. tmp))
    assert.are.same({ "0", "1", "2", "3" }, sorted(lines(read_file(tmp))))
    assert.is_true(ns:exec({ "sh", "-c", "exec ls /proc/self/fd > " .. tmp }))
    assert.are.same({ "0", "1", "2", "3" }, sorted(lines(read_file(tmp))))
    assert.are.same({ "0", "1", "2", "3" }, sorted(lines(ns:output({ "ls", "/proc/self/fd" }))))
    assert.are.same({ "0", "1", "2", "3" },
      sorted(lines(ns:output({ "ls", "/proc/self/fd" }, { stdin = "x", env = { A = "b" }, timeout = 5 }))))
    local f = ns:popen({ "ls", "/proc/self/fd" })
    assert.are.same({ "0", "1", "2", "3" }, sorted(lines(f:read("a"))))
    f:close()
    local w = ns:popen("exec ls /proc/self/fd > " .. tmp, "w")
    w:close()
    assert.are.same({ "0", "1", "2", "3" }, sorted(lines(read_file(tmp))))
    local p = ns:spawn({ "sleep", "30" })
    stray(p.pid, "sleep 30")
    assert.are.same({ "0", "1", "2" }, sorted(lines(run("ls /proc/" .. p.pid .. "/fd"))))
    p:kill("KILL")
    p:wait()
    held:close()
  end)

  it("raises for a closed handle", function()
    local ns = netns.new()
    ns:close()
    raises(H.closed(ns), ns.exec, ns, { "true" })
    raises(H.closed(ns), ns.output, ns, { "true" })
    raises(H.closed(ns), ns.popen, ns, { "true" })
    raises(H.closed(ns), ns.spawn, ns, { "true" })
    raises(H.closed(ns), ns.sysctl, ns, "net.ipv4.ip_forward")
    raises(H.closed(ns), ns.run, ns, function() end)
  end)
end)

---------------------------------------------------------------------------

describe("ns:output", function()
  it("returns standard output, without standard error", function()
    local ns = fresh_ns()
    assert.are.equal("hello\n", ns:output({ "echo", "hello" }))
    assert.are.equal("out\n", ns:output("echo out; echo err >&2"))
    assert.are.equal("", ns:output({ "true" }))
    assert.are.equal("a\0b", ns:output({ "printf", "a\\0b" }))
    local big = ns:output({ "head", "-c", "2000000", "/dev/zero" })
    assert.are.equal(string.rep("\0", 2000000), big)
  end)

  it("returns once the program ends, though a daemon it started keeps stderr, as $(...)", function()
    local ns = fresh_ns()
    local t0 = now()
    assert.are.equal("hi\n", ns:output("sleep 10.375 >/dev/null & echo hi; echo warn >&2"))
    assert.is_true(now() - t0 < 2)
    for _, pid in ipairs(running("sleep 10.375")) do stray(pid, "sleep 10.375") end
    -- what the program wrote on stderr before it ended is still in the message
    raises(("netns: exec echo e >&2; exit 3 (in <anonymous %d>): exit status 3: e"):format(ns.id),
      ns.output, ns, "echo e >&2; exit 3")
  end)

  it("sends stderr where option stderr says, and takes no stdout option", function()
    local ns = fresh_ns()
    assert.are.equal("out\n", ns:output("echo out; echo err >&2", { stderr = "null" }))
    raises(("netns: exec echo e >&2; exit 3 (in <anonymous %d>): exit status 3"):format(ns.id),
      ns.output, ns, "echo e >&2; exit 3", { stderr = "null" })
    raises("bad argument #2 to 'output' (unknown option 'stdout')", ns.output, ns, "true", { stdout = "null" })
  end)

  it("keeps a chrooted caller's root, with the namespace's /sys inside it", function()
    -- a chroot that differs from the real root only by the file bound over
    -- its /etc/hostname, in a mount namespace of its own so that nothing
    -- stays mounted here
    local rc, marker = os.tmpname(), os.tmpname()
    os.remove(rc)
    H.defer(finally, function() os.remove(marker); os.remove(rc) end)
    local script = [[
      set -e
      nslua=$(realpath "$0") rc=$1 marker=$2
      mkdir "$rc"
      echo netns-chroot-marker > "$marker"
      mount --rbind / "$rc"
      mount --bind "$marker" "$rc/etc/hostname"
      chroot "$rc" "$nslua" -e 'local ns = netns.new(); ns:link_add { name = "probe0", kind = "bridge" }
        for _ = 1, 2 do io.write(ns:output { "cat", "/etc/hostname" }) end
        io.write(ns:output { "ls", "/sys/class/net" })'
    ]]
    local out, ok = H.sh(("unshare --mount sh -c %s %s %s %s 2>&1"):format(H.quote(script),
      H.quote(H.nslua), H.quote(rc), H.quote(marker)))
    assert.is_true(ok, out)
    assert.are.equal("netns-chroot-marker\nnetns-chroot-marker\nlo\nprobe0\n", out)
    assert.are_not.equal("netns-chroot-marker\n", read_file("/etc/hostname"))
  end)

  it("runs a script without #! through /bin/sh, with 40000 arguments", function()
    local ns = fresh_ns()
    local script = tmpname()
    write_file(script, 'echo "$#"\n')
    os.execute("chmod +x " .. script)
    local argv = { script }
    for i = 1, 40000 do argv[i + 1] = "a" end
    assert.are.equal("40000\n", ns:output(argv))
  end)

  it("with check = false returns a failing program's output and status, as io.popen would", function()
    local ns = fresh_ns()
    assert.are.same({ n = 4, "out\n", nil, "exit", 3 },
      pack(ns:output("echo out; echo err >&2; exit 3", { check = false })))
    assert.are.same({ n = 4, "", true, "exit", 0 }, pack(ns:output({ "true" }, { check = false })))
    assert.are.same({ n = 4, "", nil, "signal", 9 },
      pack(ns:output("kill -9 $$", { check = false })))
    -- a program that cannot start reports as exec does
    assert.are.same({ n = 4, "", nil, "exit", 127 },
      pack(ns:output({ "no-such-program" }, { check = false, stderr = "null" })))
    raises("bad argument #2 to 'output' (option 'check' must be a boolean)",
      ns.output, ns, { "true" }, { check = 0 })
    raises("bad argument #2 to 'exec' (unknown option 'check')", ns.exec, ns, { "true" }, { check = false })
  end)

  it("of a failing command raises with its exit status and stderr, at the caller's line", function()
    local ns, name = fresh_named()
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; ns:output("echo oops >&2; exit 2")
    end)
    assert.are.equal(("%s:%d: netns: exec echo oops >&2; exit 2 (in %s): exit status 2: oops")
      :format(SRC, line, name), err)
    raises(("netns: exec exit 3 (in %s): exit status 3"):format(name), ns.output, ns, "exit 3")
    raises(("netns: exec false (in %s): exit status 1"):format(name), ns.output, ns, { "false" })
    raises(("netns: exec sh (in %s): killed by signal 9"):format(name), ns.output, ns,
      { "sh", "-c", "echo some; kill -9 $$" })
    local anon = fresh_ns()
    raises(("netns: exec cat (in <anonymous %d>): exit status 1: cat: /nope: No such file or directory")
      :format(anon.id), anon.output, anon, { "cat", "/nope" })
  end)

  it("of a missing program raises", function()
    local ns, name = fresh_named()
    -- told by the child that could not start it, said once
    raises(("netns: exec no-such-program (in %s): No such file or directory [ENOENT]"):format(name),
      ns.output, ns, { "no-such-program" })
    raises(("netns: exec /etc/passwd (in %s): Permission denied [EACCES]"):format(name),
      ns.output, ns, { "/etc/passwd" })
    -- a program's own message that looks like it, after its status
    raises(("netns: exec sh (in %s): exit status 126: netns: exec sh (in %s): fake"):format(name, name),
      ns.output, ns, { "sh", "-c", ("echo 'netns: exec sh (in %s): fake' >&2; exit 126"):format(name) })
    local ok, err = pcall(ns.output, ns, "no-such-program")
    assert.is_false(ok)
    assert.matches("exit status 127: .*no%-such%-program.*not found", err)
  end)

  it("takes exec's options", function()
    local ns = fresh_ns()
    assert.are.equal("v /tmp\n", ns:output('echo "$V" "$(pwd -P)"', { env = { V = "v" }, cwd = "/tmp" }))
    assert.are.equal("3\n", ns:output({ "wc", "-c" }, { stdin = "abc" }))
    local t0 = now()
    raises(("netns: exec sleep (in <anonymous %d>): timed out after 0.2 s, killed by signal 9"):format(ns.id),
      ns.output, ns, { "sleep", "10.625" }, { timeout = 0.2 })
    assert.is_true(now() - t0 < 2)
    assert.are.same({}, running("sleep 10.625"))
    -- one that exited but left its output open to a child: its status, not a signal
    raises(("netns: exec sh (in <anonymous %d>): timed out after 0.3 s, exit status 3"):format(ns.id),
      ns.output, ns, { "sh", "-c", "sleep 10.75 & exit 3" }, { timeout = 0.3 })
    assert.are.same({}, running("sleep 10.75"))
    -- even when it exited 0: its output may be cut short
    raises(("netns: exec sh (in <anonymous %d>): timed out after 0.3 s, exit status 0"):format(ns.id),
      ns.output, ns, { "sh", "-c", "sleep 10.875 & echo hi" }, { timeout = 0.3 })
    assert.are.same({}, running("sleep 10.875"))
    assert.are.same({ n = 3, "hi\n", nil, "timeout" },
      pack(ns:output({ "sh", "-c", "sleep 10.875 & echo hi" }, { timeout = 0.3, check = false })))
    assert.are.same({ n = 3, "", nil, "timeout" },
      pack(ns:output({ "sleep", "10.875" }, { timeout = 0.3, check = false })))
    assert.are.same({}, running("sleep 10.875"))
  end)
end)

---------------------------------------------------------------------------

describe("ns:popen", function()
  it("'r' gives a Lua file reading the program's output; close returns like os.execute", function()
    local ns = fresh_ns()
    local f = ns:popen("echo one; echo two")
    assert.are.equal("file", io.type(f))
    local got = {}
    for l in f:lines() do got[#got + 1] = l end
    assert.are.same({ "one", "two" }, got)
    assert.are.same({ n = 3, true, "exit", 0 }, pack(f:close()))
    assert.are.equal("closed file", io.type(f))
    f = ns:popen({ "readlink", "/proc/self/ns/net" }, "r")
    assert.are.equal(net_of(ns), f:read("l"))
    assert.is_nil(f:read("l"))
    assert.are.same(pack(io.popen("true"):close()), pack(f:close()))
    f = ns:popen({ "printf", "12 34" })
    assert.are.equal(12, f:read("n"))
    assert.are.equal(34, f:read("n"))
    f:close()
  end)

  it("close of a failed program returns nil, 'exit'|'signal', code", function()
    local ns = fresh_ns()
    assert.are.same(pack(io.popen("exit 5"):close()), pack(ns:popen("exit 5"):close()))
    assert.are.same({ n = 3, nil, "exit", 5 }, pack(ns:popen("exit 5"):close()))
    assert.are.same({ n = 3, nil, "signal", 9 }, pack(ns:popen("kill -9 $$"):close()))
    assert.are.same({ n = 3, nil, "exit", 127 }, pack(ns:popen("no-such-program 2>/dev/null"):close()))
  end)

  it("'w' writes to the program's standard input", function()
    local ns = fresh_ns()
    local tmp = tmpname()
    local f = ns:popen("cat > " .. tmp, "w")
    assert.are.equal("file", io.type(f))
    f:write("hello ", 42, "\n")
    f:write(string.rep("z", 200000))
    assert.are.same({ n = 3, true, "exit", 0 }, pack(f:close()))
    assert.are.equal("hello 42\n" .. string.rep("z", 200000), read_file(tmp))
    f = ns:popen({ "sh", "-c", "read l; [ \"$l\" = go ] && exit 6" }, "w")
    f:write("go\n")
    assert.are.same({ n = 3, nil, "exit", 6 }, pack(f:close()))
  end)

  it("runs the program in the namespace and leaves the thread where it was", function()
    local ns = fresh_ns()
    ns:veth("ov0", "ov1")
    local home = H.thread_ns()
    local f = ns:popen({ "ls", "/sys/class/net" })
    assert.are.same({ "lo", "ov0", "ov1" }, sorted(lines(f:read("a"))))
    f:close()
    assert.are.equal(home, H.thread_ns())
  end)

  it("checks its mode", function()
    local ns = fresh_ns()
    raises("bad argument #2 to 'popen' (invalid mode)", ns.popen, ns, "true", "rw")
    raises("bad argument #2 to 'popen' (invalid mode)", ns.popen, ns, "true", "x")
  end)
end)

---------------------------------------------------------------------------

describe("ns:spawn", function()
  it("starts the program in the background, in the namespace", function()
    local ns = fresh_ns()
    local p = ns:spawn({ "sleep", "30" })
    stray(p.pid, "sleep 30")
    assert.is_number(p.pid)
    assert.is_true(p.pid > 0)
    -- spawn returns once exec has begun, as posix_spawn does; argv shows soon after
    assert.is_true(eventually(2, function() return runs(p.pid, "sleep 30") end))
    assert.are.equal(PID, select(2, proc_state(p.pid)))
    assert.are.equal(ns, netns.pid(p.pid))
    assert.is_true(p:running())
    assert.is_true(p:kill("KILL"))
    assert.are.same({ n = 3, nil, "signal", 9 }, pack(p:wait()))
  end)

  it("of a program that cannot start raises, and leaves nothing behind", function()
    local ns, name = fresh_named()
    assert.is_true(ns:exec({ "true" }))   -- the handle's view of /sys and /etc, made once
    local fds = fd_count()
    raises(("netns: exec no-such-program (in %s): No such file or directory [ENOENT]"):format(name),
      ns.spawn, ns, { "no-such-program" })
    raises(("netns: exec /etc/passwd (in %s): Permission denied [EACCES]"):format(name),
      ns.spawn, ns, { "/etc/passwd" })
    -- looked for along the PATH it is given, as env(1) would
    raises(("netns: exec true (in %s): No such file or directory [ENOENT]"):format(name),
      ns.spawn, ns, { "true" }, { env = { PATH = "/nonexistent" } })
    assert.are.equal(fds, fd_count())
    assert.are.same({}, children())
    -- a shell that cannot find a program is a program that ran
    assert.are.same({ n = 3, nil, "exit", 127 }, pack(ns:spawn("no-such-program 2>/dev/null"):wait()))
  end)

  it("of a missing program raises on kernels before 5.11 too, where descriptors are closed outright", function()
    -- the fault shim makes close_range refuse CLOSE_RANGE_CLOEXEC, as those kernels do
    local out = H.sh(("env LD_PRELOAD=%s/build/fault_shim.so NETNS_FAULT_OLD_CLOSE_RANGE=1 %s -e %s 2>&1")
      :format(H.root, NSLUA, H.quote([[
        local ns <close> = require("netns").new()
        print(select(2, pcall(ns.spawn, ns, { "no-such-program" })))
        print(select(2, pcall(ns.output, ns, { "no-such-program" })))
        print(ns:exec({ "no-such-program" }, { stderr = "null" }))
        io.write(ns:output({ "ls", "/proc/self/fd" }))
      ]])))
    local anon = "netns: exec no%-such%-program %(in <anonymous %d+>%): No such file or directory %[ENOENT%]"
    assert.matches("^" .. anon .. "\n" .. anon .. "\nnil\texit\t127\n0\n1\n2\n3\n$", out)
  end)

  it("p:wait() returns like exec, and again when asked again", function()
    local ns = fresh_ns()
    local p = ns:spawn({ "true" })
    local pid = p.pid
    assert.are.same({ n = 3, true, "exit", 0 }, pack(p:wait()))
    assert.are.same({ n = 3, true, "exit", 0 }, pack(p:wait()))
    assert.is_false(p:running())
    assert.are.equal(pid, p.pid)
    assert.is_nil(proc_state(pid))                        -- reaped, no zombie
    assert.are.same(pack(os.execute("exit 7")), pack(ns:spawn("exit 7"):wait()))
    assert.are.same({ n = 3, nil, "signal", 15 }, pack(ns:spawn("kill $$"):wait()))
  end)

  it("p:wait(timeout) gives nil, 'timeout' and leaves the program running", function()
    local ns = fresh_ns()
    local p = ns:spawn({ "sleep", "30" })
    stray(p.pid, "sleep 30")
    local t0 = now()
    assert.are.same({ n = 2, nil, "timeout" }, pack(p:wait(0.2)))
    local took = now() - t0
    assert.is_true(took >= 0.15 and took < 2, "took " .. took)
    assert.is_true(p:running())
    assert.is_true(runs(p.pid, "sleep 30"))
    assert.is_true(p:kill())
    assert.are.same({ n = 3, nil, "signal", 15 }, pack(p:wait(5)))
    -- a program that ends in time
    local q = ns:spawn({ "sleep", "0.1" })
    assert.are.same({ n = 3, true, "exit", 0 }, pack(q:wait(5)))
  end)

  it("p:kill sends TERM by default, or the signal named or numbered", function()
    local ns = fresh_ns()
    for _, case in ipairs { { nil, 15 }, { "KILL", 9 }, { 9, 9 }, { "SIGINT", 2 }, { "HUP", 1 },
                            { "USR1", 10 }, { 15, 15 } } do
      local p = ns:spawn({ "sleep", "30" })
      stray(p.pid, "sleep 30")
      assert.is_true(p:kill(case[1]))
      assert.are.same({ n = 3, nil, "signal", case[2] }, pack(p:wait()), tostring(case[1]))
    end
    local p = ns:spawn({ "sleep", "30" })
    stray(p.pid, "sleep 30")
    local err = error_of(function() p:kill("BOGUS") end)
    assert.are.equal("bad argument #1 to 'kill' (invalid option 'BOGUS')", (err:gsub("^[^:]+:%d+: ", "")))
    for _, n in ipairs { 999, -1 } do
      err = error_of(function() p:kill(n) end)
      assert.are.equal("bad argument #1 to 'kill' (invalid signal number)", (err:gsub("^[^:]+:%d+: ", "")))
    end
    assert.is_true(p:running())
    p:kill("KILL")
    p:wait()
  end)

  it("p:kill of an ended program fails with ESRCH and signals nothing", function()
    local ns = fresh_ns()
    local p = ns:spawn({ "true" })
    p:wait()
    local r = pack(p:kill())
    assert.is_nil(r[1])
    assert.are.equal(ESRCH, r[3])
    assert.are.equal("kill: No such process", r[2])
  end)

  it("an interrupted p:wait() stops the program, and the handle signals nothing after", function()
    -- In a session of its own: were the handle to signal process 0, only
    -- that child nslua and its program would get it.
    local out, _, how, code = H.sh(("timeout -k 2 20 setsid %s -e %s 2>&1"):format(NSLUA, H.quote([[
      local self_pid = io.open("/proc/self/stat"):read("n")
      local p = netns.new():spawn({ "sleep", "30" })
      os.execute(("(sleep 0.3; kill -INT %d) &"):format(self_pid))
      local ok, err = pcall(function() local r = table.pack(p:wait()) return r end)
      print(ok, err)
      print(p:running(), p:kill())
      print(p:wait())
      print(os.execute("kill -0 " .. p.pid .. " 2>/dev/null"))
    ]])))
    assert.are.same({ "exit", 0 }, { how, code }, out)   -- the pcall caught it: it stopped nothing
    local printed = {}
    for l in out:gmatch("[^\n]+") do printed[#printed + 1] = l end
    assert.matches("^false\t.*interrupted!", printed[1])
    assert.are.equal("false\tnil\tkill: No such process\t" .. ESRCH, printed[2])
    assert.are.equal("nil\tsignal\t9", printed[3])
    assert.are.equal("nil\texit\t1", printed[4])
  end)

  it("an interrupted p:wait(timeout) stops at the signal, not at the timeout", function()
    local out, _, how, code = H.sh(("timeout -k 2 8 setsid %s -e %s 2>&1"):format(NSLUA, H.quote([[
      local self_pid = io.open("/proc/self/stat"):read("n")
      local p = netns.new():spawn({ "sleep", "30" })
      os.execute(("(sleep 0.3; kill -INT %d) &"):format(self_pid))
      print(pcall(p.wait, p, 60))
      print(p:running(), p:wait())
    ]])))
    assert.are.same({ "exit", 0 }, { how, code }, out)
    local printed = {}
    for l in out:gmatch("[^\n]+") do printed[#printed + 1] = l end
    assert.matches("^false\t.*interrupted!", printed[1])
    assert.are.equal("false\tnil\tsignal\t9", printed[2])
  end)

  it("p:running() turns false once the program ends; wait still gives its status", function()
    local ns = fresh_ns()
    local p = ns:spawn("exit 3")
    assert.is_true(eventually(2, function() return not p:running() end))
    assert.are.same({ n = 3, nil, "exit", 3 }, pack(p:wait()))
    assert.is_nil(proc_state(p.pid))
  end)

  it("takes env, cwd, stdin, stdout and stderr", function()
    local ns = fresh_ns()
    local p = ns:spawn('[ "$X" = y ] && [ -z "${NETNS_SANDBOX+set}" ] && [ "$(pwd -P)" = /tmp ]',
      { env = { X = "y", NETNS_SANDBOX = false }, cwd = "/tmp" })
    assert.are.same({ n = 3, true, "exit", 0 }, pack(p:wait()))
    p = ns:spawn('for i in 0 1 2; do [ "$(readlink /proc/$$/fd/$i)" = /dev/null ] || exit 1; done',
      { stdin = "null", stdout = "null", stderr = "null" })
    assert.are.same({ n = 3, true, "exit", 0 }, pack(p:wait()))
    raises("bad argument #2 to 'spawn' (unknown option 'timeout')", ns.spawn, ns, { "true" }, { timeout = 1 })
  end)

  it("p:kill and the handle's end reach what a shell command started", function()
    local ns = fresh_ns()
    local p = ns:spawn("sleep 10.875 | cat")
    assert.is_true(eventually(2, function() return #running("sleep 10.875") == 1 end))
    for _, pid in ipairs(running("sleep 10.875")) do stray(pid, "sleep 10.875") end
    assert.is_true(p:kill())
    assert.are.same({ nil, "signal", 15 }, { p:wait() })
    assert.is_true(eventually(2, function() return #running("sleep 10.875") == 0 end))
    local q = ns:spawn("sleep 10.75 | cat")
    assert.is_true(eventually(2, function() return #running("sleep 10.75") == 1 end))
    for _, pid in ipairs(running("sleep 10.75")) do stray(pid, "sleep 10.75") end
    q:close()
    assert.is_true(eventually(2, function() return #running("sleep 10.75") == 0 end))
  end)

  it("what a spawned program leaves running in its group ends with it", function()
    local ns = fresh_ns()
    local p = ns:spawn("sleep 10.9375 & sleep 0.2")
    assert.is_true(eventually(2, function() return #running("sleep 10.9375") == 1 end))
    assert.are.same({ true, "exit", 0 }, { p:wait() })
    assert.are.same({}, running("sleep 10.9375"))
    local q = ns:spawn("sleep 10.8125 & exit 4")
    assert.is_true(eventually(2, function() return not q:running() end))
    assert.are.same({}, running("sleep 10.8125"))
    assert.are.same({ nil, "exit", 4 }, { q:wait() })
  end)

  it("closed before it is waited for, a handle keeps how the program ended", function()
    local ns = fresh_ns()
    local p = ns:spawn("exit 3")
    assert.is_true(eventually(2, function() return not p:running() end))
    p:close()
    assert.are.same({ nil, "exit", 3 }, { p:wait() })
    local q = ns:spawn { "sleep", "10.5" }
    q:close()   -- killed
    assert.are.same({ nil, "signal", 9 }, { q:wait() })
  end)

  it("a dropped handle leaves neither a program nor a zombie", function()
    local ns = fresh_ns()
    local p = ns:spawn({ "sleep", "30" })
    local pid = p.pid
    stray(pid, "sleep 30")
    p = nil -- luacheck: ignore
    collectgarbage()
    collectgarbage()
    assert.is_nil(proc_state(pid))
  end)

  it("a spawned program dies with the process that spawned it", function()
    local script = [[
      local ns = netns.new()
      local p = ns:spawn({ "sleep", "100.25" })
      local f = io.open("/proc/self/stat")
      local me = f:read("a"):match("^%d+")
      f:close()
      print(me, p.pid)
      io.stdout:flush()
      p:wait()
    ]]
    local f = assert(io.popen("exec " .. NSLUA .. " -e " .. H.quote(script)))
    local parent, pid = f:read("l"):match("^(%d+)%s+(%d+)$")
    assert.is_string(pid)
    stray(pid, "sleep 100.25")
    assert.is_true(eventually(2, function() return runs(pid, "sleep 100.25") end))
    assert.are.equal(parent, select(2, proc_state(pid)))
    os.execute("kill -9 " .. parent)
    f:close()
    -- dead at once; an orphan that init has not yet collected shows as a zombie
    assert.is_true(eventually(2, function() return not runs(pid, "sleep 100.25") end))
  end)
end)

---------------------------------------------------------------------------

describe("ns:sysctl", function()
  local function cat_in(name, key)
    local path = key:find("/", 1, true) and key or key:gsub("%.", "/")
    return trim(run("ip netns exec " .. name .. " cat /proc/sys/" .. path))
  end

  it("reads and writes the namespace's own value, not the caller's", function()
    local ns, name = fresh_named()
    local mine = read_file("/proc/sys/net/ipv4/ip_forward")
    assert.are.equal("0", ns:sysctl("net.ipv4.ip_forward"))
    assert.are.equal(cat_in(name, "net.ipv4.ip_forward"), ns:sysctl("net.ipv4.ip_forward"))
    assert.is_true(ns:sysctl("net.ipv4.ip_forward", 1))
    assert.are.equal("1", ns:sysctl("net.ipv4.ip_forward"))
    assert.are.equal("1", cat_in(name, "net.ipv4.ip_forward"))
    assert.are.equal("1", trim(run("ip netns exec " .. name .. " sysctl -n net.ipv4.ip_forward")))
    assert.are.equal(mine, read_file("/proc/sys/net/ipv4/ip_forward"))
    assert.are.equal(trim(mine), netns.current():sysctl("net.ipv4.ip_forward"))
    -- strings and booleans
    assert.is_true(ns:sysctl("net.ipv4.ip_forward", "0"))
    assert.are.equal("0", cat_in(name, "net.ipv4.ip_forward"))
    assert.is_true(ns:sysctl("net.ipv4.ip_forward", true))
    assert.are.equal("1", cat_in(name, "net.ipv4.ip_forward"))
    assert.is_true(ns:sysctl("net.ipv4.ip_forward", false))
    assert.are.equal("0", cat_in(name, "net.ipv4.ip_forward"))
    -- IPv6, and a value with several fields
    assert.is_true(ns:sysctl("net.ipv6.conf.all.forwarding", 1))
    assert.are.equal("1", cat_in(name, "net.ipv6.conf.all.forwarding"))
    assert.are.equal(cat_in(name, "net.ipv4.ip_local_port_range"), ns:sysctl("net.ipv4.ip_local_port_range"))
    assert.is_true(ns:sysctl("net.ipv4.ip_local_port_range", "20000\t30000"))
    assert.are.equal("20000\t30000", cat_in(name, "net.ipv4.ip_local_port_range"))
    assert.are.equal(mine, read_file("/proc/sys/net/ipv4/ip_forward"))
  end)

  it("of an anonymous namespace", function()
    local ns = fresh_ns()
    local mine = read_file("/proc/sys/net/ipv4/ip_forward")
    ns:sysctl("net.ipv4.ip_forward", 1)
    assert.are.equal("1", trim(run(H.inside(ns) .. "cat /proc/sys/net/ipv4/ip_forward")))
    assert.are.equal("1\n", ns:output({ "cat", "/proc/sys/net/ipv4/ip_forward" }))
    assert.are.equal(mine, read_file("/proc/sys/net/ipv4/ip_forward"))
  end)

  it("of a device: net.ipv4.conf.<dev>.rp_filter", function()
    local ns, name = fresh_named()
    ns:veth("sv0", "sv1")
    local other = ns:sysctl("net.ipv4.conf.sv1.rp_filter")
    assert.are.equal(cat_in(name, "net.ipv4.conf.sv0.rp_filter"), ns:sysctl("net.ipv4.conf.sv0.rp_filter"))
    assert.is_true(ns:sysctl("net.ipv4.conf.sv0.rp_filter", 2))
    assert.are.equal("2", ns:sysctl("net.ipv4.conf.sv0.rp_filter"))
    assert.are.equal("2", cat_in(name, "net.ipv4.conf.sv0.rp_filter"))
    assert.are.equal(other, cat_in(name, "net.ipv4.conf.sv1.rp_filter"))
    assert.is_nil(io.open("/proc/sys/net/ipv4/conf/sv0/rp_filter"))
  end)

  it("rejects malformed keys with an argument error", function()
    local ns = fresh_ns()
    local bad = [[bad argument #1 to 'sysctl' (invalid sysctl key "%s": %s)]]
    local start = "must start with 'net.' or 'net/'"
    for _, case in ipairs {
      { "kernel.hostname", start }, { "", start }, { "net", start }, { "network.x", start },
      { "net.ipv4/../../kernel/x", start }, { "kernel/hostname", start },
      { "net..x", "empty name" }, { "net.ipv4.", "empty name" }, { "net//ipv4", "empty name" },
      { "net/ipv4/", "empty name" },
      { "net/../../etc/passwd", "'.' and '..' are not names" },
      { "net/ipv4/./ip_forward", "'.' and '..' are not names" },
      { "net." .. ("x"):rep(600), "too long" },
    } do
      raises(bad:format(case[1], case[2]), ns.sysctl, ns, case[1])
      raises(bad:format(case[1], case[2]), ns.sysctl, ns, case[1], "1")
    end
    raises([[bad argument #1 to 'sysctl' (invalid sysctl key: it holds a NUL)]],
      ns.sysctl, ns, "net.ipv4\0.ip_forward")
    raises([[bad argument #2 to 'sysctl' (a value must not hold a NUL)]],
      ns.sysctl, ns, "net.ipv4.ip_forward", "1\0junk")
    raises([[bad argument #1 to 'sysctl' (string expected, got nil)]], ns.sysctl, ns, nil)
    raises([[bad argument #1 to 'sysctl' (string expected, got FILE*)]], ns.sysctl, ns, io.stdout)
    raises([[bad argument #2 to 'sysctl' (string or number expected, got FILE*)]],
      ns.sysctl, ns, "net.ipv4.ip_forward", io.stdout)
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; ns:sysctl("kernel.hostname")
    end)
    assert.are.equal(("%s:%d: "):format(SRC, line) .. bad:format("kernel.hostname", start), err)
  end)

  it("takes a key with '/' between names, for a device whose name holds a dot", function()
    local ns, name = fresh_named()
    ns:veth("sv.0", "sv1")
    assert.are.equal(cat_in(name, "net/ipv4/conf/sv.0/rp_filter"), ns:sysctl("net/ipv4/conf/sv.0/rp_filter"))
    assert.is_true(ns:sysctl("net/ipv4/conf/sv.0/rp_filter", 2))
    assert.are.equal("2", cat_in(name, "net/ipv4/conf/sv.0/rp_filter"))
    assert.are.equal("2", ns:sysctl("net/ipv4/conf/sv.0/rp_filter"))
    assert.is_true(ns:sysctl("net/ipv4/ip_forward", 1))
    assert.are.equal("1", ns:sysctl("net.ipv4.ip_forward"))
  end)

  it("of a missing key raises ENOENT at the caller's line; a bad value EINVAL", function()
    local ns, name = fresh_named()
    local line
    local err = error_of(function()
      line = debug.getinfo(1, "l").currentline; ns:sysctl("net.ipv4.nope")
    end)
    assert.are.equal(("%s:%d: netns: sysctl net.ipv4.nope (in %s): No such file or directory [ENOENT]")
      :format(SRC, line, name), err)
    raises(("netns: sysctl net.ipv4.nope (in %s): No such file or directory [ENOENT]"):format(name),
      ns.sysctl, ns, "net.ipv4.nope", 1)
    raises(("netns: sysctl net.ipv4.conf.nodev.rp_filter (in %s): No such file or directory [ENOENT]"):format(name),
      ns.sysctl, ns, "net.ipv4.conf.nodev.rp_filter")
    raises(("netns: sysctl net.ipv4.ip_forward (in %s): Invalid argument [EINVAL]"):format(name),
      ns.sysctl, ns, "net.ipv4.ip_forward", "abc")
    assert.are.equal("0", ns:sysctl("net.ipv4.ip_forward"))
  end)

  it("leaves the thread in its namespace, also when it fails", function()
    local ns = fresh_ns()
    local home = H.thread_ns()
    ns:sysctl("net.ipv4.ip_forward", 1)
    pcall(ns.sysctl, ns, "net.ipv4.nope")
    assert.are.equal(home, H.thread_ns())
  end)
end)

---------------------------------------------------------------------------

describe("ns:run", function()
  it("calls fn(...) inside the namespace and returns all its results", function()
    local ns = fresh_ns()
    local home = H.thread_ns()
    local r = pack(ns:run(function(a, b, ...)
      return H.thread_ns(), a + b, select("#", ...), nil, "last"
    end, 1, 2, nil, nil))
    assert.are.same({ n = 5, net_of(ns), 3, 2, nil, "last" }, r)
    assert.are.same({ n = 0 }, pack(ns:run(function() end)))
    assert.are.equal(home, H.thread_ns())
  end)

  it("propagates errors unchanged and comes back home", function()
    local ns = fresh_ns()
    local home = H.thread_ns()
    local obj = {}
    local ok, err = pcall(ns.run, ns, function() error(obj) end)
    assert.is_false(ok)
    assert.are.equal(obj, err)
    assert.are.equal(home, H.thread_ns())
    local line
    ok, err = pcall(ns.run, ns, function()
      line = debug.getinfo(1, "l").currentline; error("boom")
    end)
    assert.is_false(ok)
    assert.are.equal(("%s:%d: boom"):format(SRC, line), err)
    assert.are.equal(home, H.thread_ns())
  end)

  it("nests, each level back where it was", function()
    local a, b = fresh_ns(), fresh_ns()
    local home = H.thread_ns()
    local r = pack(a:run(function()
      local inner = b:run(H.thread_ns)
      local ok, err = pcall(b.run, b, error, "x", 0)
      return H.thread_ns(), inner, ok, err, H.thread_ns()
    end))
    assert.are.same({ n = 5, net_of(a), net_of(b), false, "x", net_of(a) }, r)
    assert.are.equal(home, H.thread_ns())
  end)

  it("what fn creates is created inside", function()
    local ns = fresh_ns()
    local cur = ns:run(netns.current)
    assert.are.equal(ns, cur)
    cur:close()
  end)

  it("checks its argument", function()
    local ns = fresh_ns()
    local ok, err = pcall(ns.run, ns, 42)
    assert.is_false(ok)
    assert.matches("bad argument #1 to 'run' %(function expected, got number%)", err)
  end)
end)

---------------------------------------------------------------------------

describe("1000 calls of exec, output, popen and spawn", function()
  it("leak no descriptor, child or zombie, and leave the thread in place", function()
    local ns = fresh_ns()
    ns:run(function() end)
    -- the first program makes the handle's mount view, which the handle keeps
    ns:exec({ "true" })
    local home = H.thread_ns()
    local fds0, kids0 = fd_count(), children()
    assert.are.same({}, kids0)
    local tally, calls = {}, 0
    local function note(what, ...)
      calls = calls + 1
      local key = what
      for i = 1, select("#", ...) do key = key .. " " .. tostring((select(i, ...))) end
      tally[key] = (tally[key] or 0) + 1
    end
    local function times(n, fn)
      for _ = 1, n do fn() end
      assert.are.equal(home, H.thread_ns())
    end
    -- every call under pcall: a wrong result is counted, not fatal, so that
    -- the leak checks below still run
    times(200, function() note("exec", pcall(ns.exec, ns, { "true" })) end)
    times(100, function() note("exec", pcall(ns.exec, ns, "exit 1")) end)
    times(50, function() note("exec", pcall(ns.exec, ns, { "no-such-program" }, { stderr = "null" })) end)
    times(25, function() note("timeout", pcall(ns.exec, ns, { "sleep", "5" }, { timeout = 0.01 })) end)
    times(100, function() note("output", pcall(ns.output, ns, { "cat" }, { stdin = "in" })) end)
    times(50, function() note("output", (pcall(ns.output, ns, "echo e >&2; exit 2"))) end)
    times(150, function()
      local f = ns:popen({ "echo", "r" })
      note("popen", f:read("a"), pcall(f.close, f))
    end)
    times(50, function()
      local f = ns:popen({ "sh", "-c", "cat > /dev/null" }, "w")
      f:write("w")
      note("popen-w", pcall(f.close, f))
    end)
    times(25, function() note("popen-dropped", io.type(ns:popen({ "true" }))) end)
    times(150, function()
      local p = ns:spawn({ "true" })
      note("spawn", pcall(p.wait, p))
    end)
    times(50, function()
      local p = ns:spawn({ "sleep", "5" })
      note("spawn-kill", p:kill("KILL"), pcall(p.wait, p))
    end)
    times(50, function() note("spawn-dropped", ns:spawn({ "sleep", "5" }).pid > 0) end)
    collectgarbage()
    collectgarbage()
    assert.are.equal(1000, calls)
    assert.are.equal(fds0, fd_count())
    assert.are.same(kids0, children())
    assert.are.equal(home, H.thread_ns())
    assert.are.same({
      ["exec true true exit 0"] = 200,
      ["exec true nil exit 1"] = 100,
      ["exec true nil exit 127"] = 50,
      ["timeout true nil signal 9"] = 25,
      ["output true in"] = 100,
      ["output false"] = 50,
      ["popen r\n true true exit 0"] = 150,
      ["popen-w true true exit 0"] = 50,
      ["popen-dropped file"] = 25,
      ["spawn true true exit 0"] = 150,
      ["spawn-kill true true nil signal 9"] = 50,
      ["spawn-dropped true"] = 50,
    }, tally)
  end)
end)
