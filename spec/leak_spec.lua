-- Failing calls, a thousand times each: no descriptor, memory, namespace or
-- kernel object may be left behind, and the thread stays where it was.
local H = require "helper"

local function rss_kib()
  local f = assert(io.open("/proc/self/status"))
  local kib = f:read("a"):match("VmRSS:%s+(%d+)")
  f:close()
  return tonumber(kib)
end

describe("failing calls leak nothing", function()
  local red, anon
  setup(function()
    red = netns.add "leak-red"
    anon = netns.new()
    red:veth("v0", "v1")
    red:addr_add("v0", "10.0.0.1/24")
  end)
  teardown(function()
    red:delete()
    anon:close()
  end)

  local cases = {
    { "invalid name", function() netns.add "a/b" end },
    { "duplicate namespace", function() netns.add "leak-red" end },
    { "missing namespace", function() netns.open "leak-none" end },
    { "missing link", function() red:link_del "nope" end },
    { "duplicate link", function() red:veth("v0", "v9") end },
    { "address on a missing device", function() red:addr_add("nope", "10.0.0.9/24") end },
    { "duplicate address", function() red:addr_add("v0", "10.0.0.1/24") end },
    { "unreachable gateway", function() red:route_add { dst = "10.5.0.0/16", gateway = "10.9.9.9" } end },
    { "unknown kind", function() anon:link_add { name = "x0", kind = "no-such-kind" } end },
    { "closed handle", function() local h = netns.new(); h:close(); h:links() end },
    { "missing program", function() anon:output { "no-such-program" } end },
    { "bad sysctl", function() anon:sysctl "net.ipv4.nope" end },
  }

  for _, case in ipairs(cases) do
    it(case[1], function()
      local links, addrs = #red:links(), #red:addrs()
      local names = table.concat(netns.list(), ",")
      local iterations = case[1] == "missing program" and 200 or 1000
      -- a first full round lets the heap reach its working size; a leak
      -- shows as growth over the second.  Collecting every 100 calls in
      -- both keeps the garbage between collections the same, so that the
      -- moment the collector happens to run cannot pass for a leak.
      for i = 1, iterations do
        pcall(case[2])
        if i % 100 == 0 then collectgarbage() end
      end
      collectgarbage()
      local fds, rss, ns = H.fd_count(), rss_kib(), H.thread_ns()
      for i = 1, iterations do
        local ok = pcall(case[2])
        assert.is_false(ok)
        if i % 100 == 0 then collectgarbage() end
      end
      collectgarbage()
      assert.are.equal(fds, H.fd_count())
      -- (under make check-asan, ASan's quarantine holds freed memory: LSan checks there)
      if not os.getenv("NETNS_SANITIZER") then
        assert.is_true(rss_kib() - rss < 1024, "RSS grew by " .. (rss_kib() - rss) .. " KiB")
      end
      assert.are.equal(ns, H.thread_ns())
      assert.are.equal(links, #red:links())
      assert.are.equal(addrs, #red:addrs())
      assert.are.equal(names, table.concat(netns.list(), ","))
      assert.are.equal(1, #anon:links())
    end)
  end
end)

describe("a listing cut short by a memory error", function()
  it("loses no buffer (build/oom_test)", function()
    local d = netns.add "leak-oom"
    finally(function() d:delete() end)
    for k = 1, 150 do d:link_add { kind = "veth", name = "d" .. (2 * k - 1), peer = "d" .. (2 * k) } end
    local out, ok = H.sh("GLIBC_TUNABLES=glibc.malloc.tcache_count=0:glibc.malloc.mxfast=0 "
      .. H.root .. "/build/oom_test leak-oom 2>&1")
    assert.are.equal("ok\n", out)
    assert.is_true(ok)
  end)
end)
