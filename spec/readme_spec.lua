-- The README's Lua examples run as they are written: each block that
-- stands on its own (not a fragment whose first line is a comment, nor a
-- script with a #! line) runs under nslua, a spec under busted with nslua,
-- succeeds, and leaves nothing.
local H = require "helper"

-- The README's ```lua blocks: { line =, text = }.
local function lua_blocks()
  local blocks, current, n = {}, nil, 0
  for line in io.lines(H.root .. "/README.md") do
    n = n + 1
    if current then
      if line:match("^```") then
        blocks[#blocks + 1] = current
        current = nil
      else
        current.text = current.text .. line .. "\n"
      end
    elseif line:match("^```lua") then
      current = { line = n + 1, text = "" }
    end
  end
  return blocks
end

local function standalone(block)
  return not block.text:match("^%-%-") and not block.text:match("^#!")
end

describe("the README", function()
  local runnable = {}
  for _, block in ipairs(lua_blocks()) do
    if standalone(block) then runnable[#runnable + 1] = block end
  end

  it("has the examples this spec runs", function()
    assert.is_true(#runnable >= 3)
  end)

  for _, block in ipairs(runnable) do
    it("example at line " .. block.line .. " runs and leaves nothing", function()
      local base = os.tmpname()
      local file = base .. "_spec.lua" -- busted runs files named so
      H.defer(finally, function() os.remove(base); os.remove(file) end)
      H.write_file(file, block.text)
      local cmd = H.quote(H.nslua) .. " " .. H.quote(file)
      if block.text:match("^describe%(") then
        cmd = "busted --lua=" .. H.quote(H.nslua) .. " -o TAP " .. H.quote(file)
      end
      local out, ok = H.sh(cmd .. " 2>&1")
      assert.is_true(ok, out)
      assert.are.equal("", H.sh("ip netns list"))
    end)
  end
end)
