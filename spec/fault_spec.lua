-- Namespace restore under injected failures.  build/fault_shim.so (an
-- LD_PRELOAD shim, spec/fault_shim.c) makes the k-th setns, socket, unshare
-- or mount of an nslua run fail, for every k an operation reaches; after each
-- failing call the thread is still in its own namespace, no descriptor,
-- mount or pin is left, and the error names the operation and the
-- namespace.  When the return itself fails, the process aborts, saying so.
local H = require "helper"

local shim = H.root .. "/build/fault_shim.so"
local FUNCTIONS = { "setns", "socket", "unshare", "mount" }

-- The script each run executes: OP names the operation; it prints
-- "result ok" or "result err <message>", then what the checks found.
local RUNNER = [==[
local op, log = arg[1], os.getenv("NETNS_FAULT_LOG")
local function mark(s)
  if not log then return end
  local f = assert(io.open(log, "a")); f:write("== ", s, "\n"); f:close()
end
local function sh(cmd)
  local p = assert(io.popen(cmd)); local s = p:read("a"); p:close(); return s
end
local pid = assert(io.open("/proc/self/stat")):read("a"):match("^(%d+)")
-- Left out: descriptors from 900 up (the shim's log is there) and
-- valgrind's own (its log, its files in /tmp), which it opens and closes
-- as it pleases.
local function state()
  collectgarbage(); collectgarbage()
  -- each descriptor with what it is (a pipe's or socket's inode left out),
  -- so a change names it.  Listed by a child into a file, not through a
  -- pipe: a child of popen may list the pipe's other end before this
  -- process has closed it (under valgrind, whose fork does not wait for
  -- the child's exec as vfork does, it sometimes did).
  local tmp = os.tmpname()
  os.execute("ls -l /proc/" .. pid .. "/fd > " .. tmp)
  local f = assert(io.open(tmp))
  local listing = f:read("a")
  f:close()
  os.remove(tmp)
  local list = {}
  for fd, target in listing:gmatch(" (%d+) %-> ([^\n]*)") do
    if tonumber(fd) < 900 and not target:find("valgrind", 1, true) then
      list[#list + 1] = fd .. "=" .. target:gsub(":%[%d+%]$", "")
    end
  end
  table.sort(list)
  local fds = table.concat(list, " ")
  local mounts = select(2, sh("cat /proc/" .. pid .. "/mountinfo"):gsub("\n", ""))
  return { ns = sh("readlink /proc/" .. pid .. "/task/" .. pid .. "/ns/net"), fds = fds,
           mounts = mounts, pins = table.concat(netns.list(), " "),
           owners = sh("ls /run/netns-owners 2>/dev/null") }
end

-- what every operation starts from: a named namespace, its first program run
local base = netns.add "f-base"
base:exec { "true" }
if op == "names" then -- enough devices for a handle to keep their names
  for i = 1, 35 do
    base:link_add { kind = "veth", name = "a" .. i, peer = "b" .. i }
    base:addr_add("a" .. i, "10.1.0." .. i .. "/32")
    base:addr_add("b" .. i, "10.2.0." .. i .. "/32")
  end
end

local ops = {
  add = function() local h = netns.add "f-new"; h:delete() end,
  new = function() netns.new():close() end,
  -- enough to share among threads (16 a thread at least)
  new_many = function() for _, ns in ipairs(netns.new_many(40)) do ns:close() end end,
  open = function() local h = netns.open "f-base"; h:links(); h:close() end,
  -- the second listing opens the socket that keeps names, the third reads it
  names = function()
    local h = netns.open "f-base"
    for _ = 1, 3 do assert(#h:addrs() == 70) end
    h:close()
  end,
  run = function() base:run(function() end) end,
  exec = function() assert(base:exec { "true" }) end,
  first_exec = function() local h = netns.open "f-base"; assert(h:exec { "true" }); h:close() end,
  output = function() base:output { "true" } end,
  spawn = function() base:spawn({ "true" }):wait() end,
  monitor = function() base:monitor({ "link" }):close() end,
  host = function()
    local t <close> = netns.topology { prefix = "f-t-" }
    t:host "a"
  end,
  link = function()
    local t <close> = netns.topology { prefix = "f-t-" }
    local a, b = t:host "a", t:host "b"
    t:link(a, b, { addrs = { "10.0.0.1/24", "10.0.0.2/24" } })
  end,
  build = function()
    local t <close> = netns.build { prefix = "f-b-", hosts = { a = {}, b = {} }, switches = { "s" },
      links = { { "a", "s" }, { "b", "s" } } }
  end,
}
-- the table's upvalues are made, and the heap has its size, before the count
local before = state()
mark("op")
local ok, err = pcall(ops[op])
mark("end")
local after = state()
print(ok and "result ok" or "result err " .. tostring(err):gsub("\n.*", ""))
for _, k in ipairs { "ns", "fds", "mounts", "pins", "owners" } do
  if before[k] ~= after[k] then
    print(("changed %s: %s -> %s"):format(k, tostring(before[k]):gsub("\n", " "),
      tostring(after[k]):gsub("\n", " ")))
  end
end
base:delete()
print("done")
]==]

local runner
setup(function()
  runner = os.tmpname()
  local f = assert(io.open(runner, "w"))
  f:write(RUNNER)
  f:close()
end)
teardown(function() os.remove(runner) end)

local function nslua(env, op)
  local vars = { "LD_PRELOAD=" .. shim }
  for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. v end
  table.sort(vars)
  return H.sh("env " .. table.concat(vars, " ") .. " " .. H.nslua .. " " .. runner .. " " .. op ..
    " 2>&1; echo \"exit $?\"")
end

-- How many calls of each function the run makes before the operation, and during it.
local function census(op)
  local log = os.tmpname()
  local out = nslua({ NETNS_FAULT_LOG = log }, op)
  assert.truthy(out:find("result ok\ndone\nexit 0\n", 1, true), op .. ": " .. out)
  local pre, during = {}, {}
  local phase = pre
  for line in io.lines(log) do
    if line == "== op" then phase = during
    elseif line == "== end" then phase = nil
    elseif phase and not line:match("^==") then phase[line] = (phase[line] or 0) + 1 end
  end
  os.remove(log)
  return pre, during
end

-- What an error of @op must name: the operation and the namespace.
local names = {
  add = { "f-new" }, new = { "netns new" }, new_many = { "netns new" }, open = { "f-base" },
  names = { "f-base" }, run = { "f-base" },
  exec = { "exec true", "f-base" }, first_exec = { "exec true", "f-base" },
  output = { "exec true", "f-base" }, spawn = { "exec true", "f-base" }, monitor = { "f-base" },
  host = { "f-t-" }, link = { "f-t-" }, build = { "f-b-" },
}

local OPS = { "add", "new", "new_many", "open", "names", "run", "exec", "first_exec", "output", "spawn", "monitor",
              "host", "link", "build" }

local tried = { runs = 0, failed = 0, aborted = 0 }

-- What an aborted run leaves: its pins (f-*) and their owner records.
local function remove_leftovers()
  for name in H.sh("ls /run/netns"):gmatch("[^\n]+") do
    if name:match("^f%-") then H.sh("ip netns del " .. name) end
  end
  H.sh("rm -f /run/netns-owners/f-*")
end

describe("failures injected into setns, socket, unshare and mount", function()
  for _, op in ipairs(OPS) do
    it(op .. ": every failing call leaves the thread home and nothing behind", function()
      local pre, during = census(op)
      local any = false
      for _, fn in ipairs(FUNCTIONS) do
        for k = 1, (during[fn] or 0) do
          any = true
          local out = nslua({ NETNS_FAULT_CALL = fn, NETNS_FAULT_AT = (pre[fn] or 0) + k }, op)
          local where = ("%s, %s #%d: "):format(op, fn, k)
          tried.runs = tried.runs + 1
          if out:find("\nexit 134\n", 1, true) then
            -- k was a return home: the process stopped rather than run on elsewhere
            assert.truthy(out:find("^netns: cannot return to the original network namespace: " ..
              "Operation not permitted\n"), where .. out)
            tried.aborted = tried.aborted + 1
            remove_leftovers()
            goto next
          end
          assert.truthy(out:find("\ndone\nexit 0\n", 1, true), where .. out)
          assert.falsy(out:find("changed ", 1, true), where .. out)
          local msg = out:match("result err ([^\n]*)")
          if msg then
            tried.failed = tried.failed + 1
            assert.truthy(msg:find("netns: ", 1, true), where .. msg)
            for _, name in ipairs(names[op]) do
              assert.truthy(msg:find(name, 1, true), where .. "does not name " .. name .. ": " .. msg)
            end
          else
            assert.truthy(out:find("result ok", 1, true), where .. out)
          end
          ::next::
        end
      end
      assert.is_true(any, op .. " reaches none of the functions")
    end)
  end

  it("a program whose setns fails comes back as an error naming it", function()
    local pre, during = census("exec")
    assert.are.equal(2, during.setns) -- the child's: network, then the handle's mount view
    local out = nslua({ NETNS_FAULT_CALL = "setns", NETNS_FAULT_AT = pre.setns + 1 }, "exec")
    assert.truthy(out:find("result err [^\n]*netns: exec true: enter namespace %(in f%-base%): " ..
      "Operation not permitted %[EPERM%]"), out)
  end)

  -- The return is the last setns of the operation: it may not fail.
  for _, op in ipairs { "new", "add", "open", "run", "monitor" } do
    it(op .. ": when the return fails, the process aborts and says why", function()
      finally(remove_leftovers)
      local pre, during = census(op)
      local at = (pre.setns or 0) + during.setns
      local out = nslua({ NETNS_FAULT_CALL = "setns", NETNS_FAULT_AT = at, NETNS_FAULT_ERRNO = "EBADF" }, op)
      assert.truthy(out:find("netns: cannot return to the original network namespace: " ..
        "Bad file descriptor\n", 1, true), out)
      assert.falsy(out:find("\ndone\n", 1, true), out)
      assert.truthy(out:find("\nexit 134\n", 1, true), out) -- 128 + SIGABRT
    end)
  end

  it("build: an unmount that fails in its teardown is retried by that pin's own undo", function()
    local pre, during = census("build")
    assert.are.equal(3, during.umount2)   -- a, b and s, in the one pass over every pin
    for k = 1, during.umount2 do
      local out = nslua({ NETNS_FAULT_CALL = "umount2", NETNS_FAULT_AT = (pre.umount2 or 0) + k }, "build")
      assert.truthy(out:find("result ok\ndone\nexit 0\n", 1, true), ("umount2 #%d: %s"):format(k, out))
    end
  end)

  it("counts", function()
    print(("\nfault_spec: %d runs with a failure injected: %d raised, %d aborted on a failed return"):format(
      tried.runs, tried.failed, tried.aborted))
  end)
end)
