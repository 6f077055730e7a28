-- Concurrent first use: several processes adding namespaces at once on a
-- /run/netns that is a plain directory, some through ip netns add.
local H = require "helper"

local WORKER = [[
local id, n = tonumber(arg[1]), tonumber(arg[2])
for i = 1, n do
  local name = ("c%d-%d"):format(id, i)
  if i % 10 == 0 then
    assert(os.execute("ip netns add " .. name))
  else
    netns.add(name):close()
  end
end
]]

describe("concurrent first use", function()
  it("8 processes x 100 namespaces: one run-directory mount, every name, no error", function()
    local worker = os.tmpname()
    local f = assert(io.open(worker, "w"))
    f:write(WORKER)
    f:close()
    finally(function() os.remove(worker) end)
    -- A private mount namespace with a fresh tmpfs on /run: there /run/netns
    -- does not exist yet, as on a machine that never ran ip netns add.
    local script = ([[
      mount -t tmpfs fresh-run /run || exit 90
      dirs() { awk '$5 == "/run/netns"' /proc/self/mountinfo | wc -l; }
      before=$(dirs)
      pids=
      for id in 1 2 3 4 5 6 7 8; do %s %s $id 100 & pids="$pids $!"; done
      failed=0
      for pid in $pids; do wait $pid || failed=$((failed + 1)); done
      echo "failed $failed"
      echo "names $(ls /run/netns | wc -l)"
      echo "dir-mounts $(($(dirs) - before))"
      echo "ns-mounts $(awk '$5 ~ "^/run/netns/"' /proc/self/mountinfo | wc -l)"
      for n in $(ls /run/netns); do ip netns del $n; done
      echo "left $(ls /run/netns | wc -l)"
    ]]):format(H.nslua, worker)
    local out = H.sh("unshare --mount --propagation private sh -c " .. H.quote(script) .. " 2>&1")
    assert.truthy(out:find("failed 0\n", 1, true), out)
    assert.truthy(out:find("names 800\n", 1, true), out)
    assert.truthy(out:find("dir-mounts 1\n", 1, true), out)
    assert.truthy(out:find("ns-mounts 800\n", 1, true), out)
    assert.truthy(out:find("left 0\n", 1, true), out)
  end)
end)

-- A cleanup looping beside a run that makes and deletes pins of its prefix:
-- each pin's file exists a moment unmounted, which the cleanup takes for a
-- leftover.  The run must see no error, and nothing may be left.
local CLEANER = [[
local stop = arg[1]
local removed = 0
while not io.open(stop) do removed = removed + #netns.cleanup("race-") end
print("removed " .. removed)
]]

local RACER = [[
local core = require "netns.core"
local failed = 0
for i = 1, 400 do
  local name = "race-" .. (i % 4)
  local ok = pcall(function()
    if i % 2 == 0 then
      netns.add(name):delete()
    else
      local ns = netns.new()
      ns:pin(name, true)
      assert(core.owned(name), "owner record lost")
      ns:unpin(); core.disown(name); ns:close()
    end
  end)
  if not ok then failed = failed + 1 end
end
print("failed " .. failed)
]]

describe("cleanup beside a live run", function()
  it("takes none of its pins while they are made or deleted", function()
    local files = {}
    for _, text in ipairs { CLEANER, RACER } do
      local f = os.tmpname()
      H.write_file(f, text)
      files[#files + 1] = f
    end
    local stop = os.tmpname()
    os.remove(stop)
    finally(function()
      for _, f in ipairs(files) do os.remove(f) end
      os.remove(stop)
    end)
    local out = H.sh(("%s %s %s & c=$!; %s %s; touch %s; wait $c; ls /run/netns /run/netns-owners | grep -c race-")
      :format(H.nslua, files[1], stop, H.nslua, files[2], stop) .. " 2>&1")
    assert.truthy(out:find("failed 0\n", 1, true), out)
    assert.truthy(out:find("\n0\n", 1, true) or out:find("^0\n"), out)
  end)
end)
