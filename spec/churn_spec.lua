-- Dumps under churn: a namespace of 1000 links, listed 200 times (links and
-- addresses) while another process adds and deletes links and addresses in
-- it.  Each call returns a whole, consistent list, or raises the distinct
-- "interrupted" error, never a partial list; the handle works on after.
local H = require "helper"

local PAIRS, DUMPS = 500, 200 -- 500 veth pairs: 1000 links, 500 addresses

local function write(path, lines)
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n"), "\n")
  f:close()
end

describe("dumps under churn", function()
  local ns, churner, stop, script
  local fixed_links, fixed_addrs = {}, {}
  local figures = { links = 0, addrs = 0, interrupted = 0 }

  setup(function()
    ns = netns.add "churn"
    local batch = {}
    for i = 1, PAIRS do
      batch[#batch + 1] = ("link add a%d type veth peer name b%d"):format(i, i)
      batch[#batch + 1] = ("address add 10.%d.%d.1/32 dev a%d"):format(i >> 8, i & 255, i)
      fixed_links["a" .. i], fixed_links["b" .. i] = true, true
      fixed_addrs[("10.%d.%d.1"):format(i >> 8, i & 255)] = true
    end
    script = os.tmpname()
    write(script, batch)
    local out, ok = H.sh("ip -n churn -batch " .. script .. " 2>&1")
    assert(ok, out)
    -- the other process: 20 bridges with an address each, made and removed, again and again
    local churn = {}
    for i = 1, 20 do
      churn[#churn + 1] = ("link add c%d type bridge"):format(i)
      churn[#churn + 1] = ("address add 10.200.%d.1/24 dev c%d"):format(i, i)
    end
    for i = 1, 20 do churn[#churn + 1] = ("link del c%d"):format(i) end
    write(script, churn)
    stop = os.tmpname()
    os.remove(stop)
    churner = io.popen(("while [ ! -e %s ]; do ip -n churn -force -batch %s >/dev/null 2>&1; done; echo stopped")
      :format(stop, script))
  end)

  teardown(function()
    write(stop, {})
    assert.are.equal("stopped", churner:read("l"))
    churner:close()
    os.remove(stop)
    os.remove(script)
    ns:delete()
    print(("\nchurn_spec: %d link dumps, %d address dumps complete, %d interrupted"):format(
      figures.links, figures.addrs, figures.interrupted))
  end)

  -- A list must hold every fixed record once, no record twice, each whole.
  local function check_list(list, fixed, key, fields)
    local seen, fixed_seen = {}, 0
    for _, rec in ipairs(list) do
      for _, f in ipairs(fields) do
        assert(rec[f] ~= nil, "a record without " .. f)
      end
      local id = rec[key] .. "@" .. (rec.ifindex or "")
      assert(not seen[id], "listed twice: " .. id)
      seen[id] = true
      if fixed[rec[key]] then fixed_seen = fixed_seen + 1 end
    end
    local want = 0
    for _ in pairs(fixed) do want = want + 1 end
    assert.are.equal(want, fixed_seen, "a partial list")
  end

  local function interrupted(err)
    assert.truthy(tostring(err):find("Interrupted system call [EINTR]: dump interrupted by concurrent " ..
      "changes 16 times in a row", 1, true), err)
    figures.interrupted = figures.interrupted + 1
    -- the handle is in step: the next request gets its own answer
    assert.are.equal("lo", ns:link(1).ifname)
  end

  it(DUMPS .. " link dumps: whole or interrupted", function()
    for _ = 1, DUMPS do
      local ok, list = pcall(ns.links, ns)
      if ok then
        check_list(list, fixed_links, "ifname", { "ifname", "ifindex", "mtu", "operstate", "flags", "address" })
        figures.links = figures.links + 1
      else
        interrupted(list)
      end
    end
  end)

  it(DUMPS .. " address dumps: whole or interrupted", function()
    for _ = 1, DUMPS do
      local ok, list = pcall(ns.addrs, ns)
      if ok then
        check_list(list, fixed_addrs, "local", { "local", "prefixlen", "ifname", "ifindex", "family" })
        figures.addrs = figures.addrs + 1
      else
        interrupted(list)
      end
    end
  end)

  it("the churn really ran during the dumps", function()
    -- bridges come and go: two listings a moment apart differ
    local differ = false
    for _ = 1, 50 do
      local ok1, a = pcall(ns.links, ns)
      local ok2, b = pcall(ns.links, ns)
      if ok1 and ok2 and #a ~= #b then differ = true; break end
    end
    assert.is_true(differ)
  end)
end)
