-- Build and destroy again and again under the same names: every cycle ends
-- at the baseline, and the kernel's asynchronous cleanup never shows.
local H = require "helper"

local function netns_count()
  local n = 0
  for _ in H.sh("ip netns list"):gmatch("[^\n]+") do n = n + 1 end
  return n
end

local function mounts()
  local n = 0
  for line in io.lines("/proc/self/mountinfo") do
    if line:find(" /run/netns/", 1, true) then n = n + 1 end
  end
  return n
end

describe("build and destroy cycles", function()
  it("10 cycles of a 50-host star with programs running: back to the baseline each time", function()
    collectgarbage()
    local fds, ns, base_mounts = H.fd_count(), H.thread_ns(), mounts()
    for cycle = 1, 10 do
      local t = netns.topology { prefix = "cy-" }
      local s = t:switch "s"
      for i = 1, 50 do
        local h = t:host("h" .. i)
        t:link(h, s, { addrs = { ("10.0.%d.%d/16"):format(i // 250, i % 250 + 1) } })
        if i % 10 == 0 then h:spawn({ "sleep", "60" }) end
      end
      assert.is_true((t:ping(t:hosts()[2].ns, "10.0.0.3")), "cycle " .. cycle)
      t:destroy()
      collectgarbage()
      assert.are.equal(0, netns_count(), "cycle " .. cycle)
      assert.are.equal(base_mounts, mounts(), "cycle " .. cycle)
      assert.are.equal(fds, H.fd_count(), "cycle " .. cycle)
      assert.are.equal(ns, H.thread_ns(), "cycle " .. cycle)
      -- the spawned programs were killed and reaped with their handles
      assert.are.equal("", H.sh("pgrep -x -P " .. H.sh("echo $PPID"):match("%d+") .. " sleep"))
    end
  end)
end)
