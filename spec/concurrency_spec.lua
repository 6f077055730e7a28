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

