-- Pipelined requests (core/nl.c batches, through build/batch_test): thousands
-- of requests in one batch lose no acknowledgement, and every failure is
-- reported against the request that caused it, with its own text.
local H = require "helper"

local tool = H.root .. "/build/batch_test"

local function run(n, bad)
  local args = { tostring(n) }
  for _, b in ipairs(bad) do args[#args + 1] = b[1] .. ":" .. b[2] end
  local out, ok = H.sh(tool .. " " .. table.concat(args, " ") .. " 2>&1")
  assert.is_true(ok, out)
  return out
end

local reasons = {
  nodev = { "ENODEV", "ipv4: Device not found" },
  dup = { "EEXIST", "ipv4: Address already assigned" },
  plen = { "EINVAL", "ipv4: Invalid prefix length" },
}

local function address(i) -- of request i (0-based): 10.0.0.0 + i + 1
  local v = i + 1
  return ("10.%d.%d.%d"):format(v >> 16 & 255, v >> 8 & 255, v & 255)
end

describe("batched requests", function()
  for _, case in ipairs {
    { 5000, { { 0, "nodev" }, { 2, "dup" }, { 777, "plen" }, { 2500, "nodev" }, { 2502, "dup" },
              { 4999, "plen" } } },
    { 20000, { { 255, "dup" }, { 256, "nodev" }, { 10000, "plen" }, { 19999, "dup" } } },
    { 3000, {} },
  } do
    local n, bad = case[1], case[2]
    it(n .. " requests, " .. #bad .. " bad: every ack, every failure at its own index", function()
      local out = run(n, bad)
      local expect = {}
      for _, b in ipairs(bad) do
        local at, kind = b[1], b[2]
        -- a duplicate repeats the address of the request before it
        local addr = address(kind == "dup" and at - 1 or at)
        expect[#expect + 1] = ("failed %d %s address add %s #%d | %s"):format(at, reasons[kind][1],
          addr, at, reasons[kind][2])
      end
      local got = {}
      for line in out:gmatch("[^\n]+") do
        if line:match("^failed ") then got[#got + 1] = line end
      end
      assert.are.same(expect, got)
      -- the call's own error is the first failure
      if #bad > 0 then
        assert.truthy(out:find("returned " .. expect[1]:match("^failed %d+ (.*)$"), 1, true), out)
      else
        assert.truthy(out:find("returned 0", 1, true), out)
      end
      assert.truthy(out:find("reported " .. #bad .. "\n", 1, true), out)
      local good = n - #bad
      -- every good one is there exactly once, no bad one is
      assert.truthy(out:find(("landed %d of %d, 0 bad\n"):format(good, good), 1, true), out)
      -- the socket is still in step with the kernel
      assert.truthy(out:find("next ok\nagain EEXIST address add 11.0.0.1/32\n", 1, true), out)
    end)
  end
end)
