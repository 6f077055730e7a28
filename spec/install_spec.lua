-- Installing: the rockspec and `make install` give modules that plain lua5.4 loads.
local H = require "helper"

local function tmpdir()
  return (H.sh("mktemp -d"):gsub("%s+$", ""))
end

-- A copy of the tracked sources, so that builds here leave the checkout alone.
local function copy_tree()
  local dir = tmpdir()
  local _, ok = H.sh(("cd %s && git ls-files -z | xargs -0 cp --parents -t %s 2>&1")
    :format(H.quote(H.root), H.quote(dir)))
  if not ok then
    _, ok = H.sh(("cp -r %s/. %s"):format(H.quote(H.root), H.quote(dir)))
  end
  assert(ok, "cannot copy the sources")
  return dir
end

local function lua_loads(env, dir)
  return H.sh(("cd %s && %s lua5.4 -e 'local n = require \"netns\"; local ns = n.new(); " ..
    "print(#ns:links(), ns:link(\"lo\").ifname); ns:close()' 2>&1"):format(H.quote(dir), env))
end

describe("installing", function()
  it("the rockspec builds every C source and ships every Lua module", function()
    local f = assert(io.open(H.root .. "/rockspec/netns-scm-1.rockspec"))
    local text = f:read("a")
    f:close()
    local listed, present = {}, {}
    for path in text:gmatch('"((%a+)/[%w_/]+%.%a+)"') do
      if not path:match("%.h$") then listed[#listed + 1] = path end
    end
    local files = H.sh(("cd %s && ls core/*.c lua/*.c lua/netns/*.lua"):format(H.quote(H.root)))
    for path in files:gmatch("%S+") do
      if path ~= "lua/nslua.c" then present[#present + 1] = path end
    end
    table.sort(listed)
    table.sort(present)
    assert.are.same(present, listed)
  end)

  it("luarocks make installs a module lua5.4 loads, and remove takes it all away", function()
    if not H.sh("command -v luarocks"):match("luarocks") then
      pending("luarocks is not installed")
      return
    end
    local src, tree = copy_tree(), tmpdir()
    finally(function() H.sh("rm -rf " .. H.quote(src) .. " " .. H.quote(tree)) end)
    local out, ok = H.sh(("cd %s && luarocks --lua-version 5.4 --tree %s make " ..
      "rockspec/netns-scm-1.rockspec 2>&1"):format(H.quote(src), H.quote(tree)))
    assert(ok, out)
    local paths = H.sh(("luarocks --lua-version 5.4 --tree %s path"):format(H.quote(tree)))
    local env = paths:gsub("export ", ""):gsub("\n", " ")
    assert.are.equal("1\tlo\n", (lua_loads(env, "/")))
    out, ok = H.sh(("luarocks --lua-version 5.4 --tree %s remove netns 2>&1"):format(H.quote(tree)))
    assert(ok, out)
    local left = H.sh(("find %s -name '*netns*' -o -name 'core.so'"):format(H.quote(tree)))
    assert.are.equal("", left)
  end)

  it("make install DESTDIR= stages nslua and the modules; uninstall removes exactly them", function()
    local src, dest = copy_tree(), tmpdir()
    finally(function() H.sh("rm -rf " .. H.quote(src) .. " " .. H.quote(dest)) end)
    local out, ok = H.sh(("make -s -C %s install PREFIX=/usr/local DESTDIR=%s 2>&1")
      :format(H.quote(src), H.quote(dest)))
    assert(ok, out)
    local root = dest .. "/usr/local"
    local env = ("LUA_PATH='%s/share/lua/5.4/?.lua;%s/share/lua/5.4/?/init.lua' LUA_CPATH='%s/lib/lua/5.4/?.so'")
      :format(root, root, root)
    assert.are.equal("1\tlo\n", (lua_loads(env, "/")))
    out = H.sh(("cd / && %s/bin/nslua -e 'print(netns == require \"netns\")' 2>&1"):format(root))
    assert.are.equal("true\n", out)
    out, ok = H.sh(("make -s -C %s uninstall PREFIX=/usr/local DESTDIR=%s 2>&1")
      :format(H.quote(src), H.quote(dest)))
    assert(ok, out)
    assert.are.equal("", H.sh(("find %s -type f"):format(H.quote(dest))))
  end)
end)
