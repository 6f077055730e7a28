-- Kill -9 at any point: a script building a 100-host topology (with a
-- program spawned in every tenth host) gets SIGKILL after its k-th netlink
-- send (build/fault_shim.so, NETNS_FAULT_ERRNO=KILL), for 25 k spread over
-- the build.  Within 2 s nothing of it lives but its pins: no program, no
-- namespace held by anything else, the sandbox's own links as they were;
-- `nslua --cleanup` then removes exactly those pins, never one of a live run
-- nor one `ip netns add` made.
local H = require "helper"

local shim = H.root .. "/build/fault_shim.so"
local POINTS = 25
-- this process, to tell its runs from those of another suite
local SELF = H.pid

local BUILD = [==[
local log = os.getenv("NETNS_FAULT_LOG")
local t = netns.topology { prefix = "kp-" }
local s = t:switch "s"
local procs = {}
for i = 1, 100 do
  local h = t:host("h" .. i)
  t:link(h, s, { addrs = { ("10.1.%d.%d/16"):format(i >> 8, i & 255) } })
  if i % 10 == 0 then procs[#procs + 1] = h:spawn { "sleep", "301" } end
end
if log then local f = assert(io.open(log, "a")); f:write("== built\n"); f:close() end
io.write("built\n")
]==]

local LIVE = [==[
local t = netns.topology { prefix = "kp-live-" }
t:link(t:host "a", t:switch "c")
io.read("l") -- until the spec says so
t:destroy()
]==]

local function lines(s)
  local t = {}
  for l in s:gmatch("[^\n]+") do t[#t + 1] = l end
  table.sort(t)
  return t
end

local function pins() return lines(H.sh("ls /run/netns")) end

-- The processes of killed run @tag: nslua and its programs carry
-- NETNS_KILLPOINT=<tag> in their environment (the sandbox shares the
-- machine's process list, and another suite may be running there).
local function run_processes(tag)
  local found, mark = {}, "\0NETNS_KILLPOINT=" .. tag .. "\0"
  for _, pid in ipairs(lines(H.sh("ls /proc | grep '^[0-9]'"))) do
    local f = io.open("/proc/" .. pid .. "/environ")
    local env = f and "\0" .. f:read("a") or ""
    if f then f:close() end
    if env:find(mark, 1, true) then found[#found + 1] = pid end
  end
  return found
end

-- What must hold once killed run @tag is gone; nil, or what does not.
local function leftover(tag, baseline_links)
  -- no process of it: nothing holds a namespace of it but a pin
  local procs = run_processes(tag)
  if #procs > 0 then return "processes of the run live: " .. table.concat(procs, " ") end
  -- the only namespaces mounted are the pins
  local nsfs = select(2, H.sh("cat /proc/self/mountinfo"):gsub("net:%[", ""))
  if nsfs ~= #pins() then return ("%d namespaces mounted, %d pins"):format(nsfs, #pins()) end
  if table.concat(H.root_links(), " ") ~= baseline_links then return "the sandbox's links changed" end
  return nil
end

describe("kill -9 while building 100 hosts", function()
  local build, live_script, live
  local baseline_links
  local figures = { points = {}, removed = 0 }

  setup(function()
    build, live_script = os.tmpname(), os.tmpname()
    local f = assert(io.open(build, "w")); f:write(BUILD); f:close()
    f = assert(io.open(live_script, "w")); f:write(LIVE); f:close()
    baseline_links = table.concat(H.root_links(), " ")
    H.sh("ip netns add kp-manual")
    live = io.popen(H.nslua .. " " .. live_script, "w")
    for _ = 1, 100 do
      if H.sh("ls /run/netns"):find("kp-live-c", 1, true) then break end
      H.sh("sleep 0.05")
    end
    assert.are.same({ "kp-live-a", "kp-live-c", "kp-manual" }, pins())
  end)

  teardown(function()
    live:write("\n")
    live:close()
    H.sh("ip netns del kp-manual")
    os.remove(build)
    os.remove(live_script)
    print(("\nkillpoint_spec: killed after sendto #%s; %d pins removed by --cleanup"):format(
      table.concat(figures.points, ","), figures.removed))
  end)

  it("the build completes without a kill, and what it reaches is counted", function()
    local log = os.tmpname()
    local out = H.sh(("env LD_PRELOAD=%s NETNS_FAULT_LOG=%s %s %s 2>&1"):format(shim, log, H.nslua, build))
    assert.are.equal("built\n", out)
    local sends = 0
    for line in io.lines(log) do
      if line == "== built" then break end
      if line == "sendto" then sends = sends + 1 end
    end
    os.remove(log)
    assert.is_true(sends > 500, "only " .. sends .. " sends")
    for i = 1, POINTS do figures.points[i] = (i * sends) // (POINTS + 1) end
    -- a run that ended removed all it made
    assert.are.same({ "kp-live-a", "kp-live-c", "kp-manual" }, pins())
  end)

  for i = 1, POINTS do
    it("killed at point " .. i .. " of " .. POINTS .. ": nothing but its pins, and cleanup removes them",
      function()
      local k = assert(figures.points[i], "no count")
      local tag = ("%s-%d"):format(SELF, i)
      -- whatever this test leaves when it fails, the next one does not find
      H.defer(finally, function()
        for _, pid in ipairs(run_processes(tag)) do H.sh("kill -9 " .. pid) end
        for _, p in ipairs(pins()) do
          if p ~= "kp-manual" and not p:match("^kp%-live%-") then H.sh("ip netns del " .. p) end
        end
        H.sh("cd /run/netns-owners 2>/dev/null && for f in kp-*; do [ -e /run/netns/$f ] || rm -f $f; done")
      end)
      local out = H.sh(("env NETNS_KILLPOINT=%s LD_PRELOAD=%s NETNS_FAULT_CALL=sendto NETNS_FAULT_AT=%d " ..
        "NETNS_FAULT_ERRNO=KILL %s %s 2>&1; echo \"status $?\""):format(tag, shim, k, H.nslua, build))
      assert.truthy(out:find("status 137\n$"), out) -- 128 + SIGKILL, before the end
      assert.falsy(out:find("built", 1, true), out)
      local why
      for _ = 1, 20 do
        why = leftover(tag, baseline_links)
        if not why then break end
        H.sh("sleep 0.1")
      end
      assert.is_nil(why, "after 2 s: " .. tostring(why))
      -- its pins: everything under kp- but the live run's and ip's
      local dead = {}
      for _, p in ipairs(pins()) do
        if p ~= "kp-manual" and not p:match("^kp%-live%-") then dead[#dead + 1] = "removed " .. p end
      end
      assert.is_true(#dead > 0 or k < 10, "no pin at all after " .. k .. " sends")
      local removed = lines(H.sh(H.nslua .. " --cleanup kp- 2>&1"))
      assert.are.same(dead, removed)
      figures.removed = figures.removed + #removed
      assert.are.same({ "kp-live-a", "kp-live-c", "kp-manual" }, pins())
      assert.are.same({ "kp-live-a", "kp-live-c" }, lines(H.sh("ls /run/netns-owners")))
      assert.is_nil(leftover(tag, baseline_links))
    end)
  end
end)
