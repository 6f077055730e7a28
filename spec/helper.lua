-- Shared by the specs: the iproute2 oracle, and what a leak would change.
local json = require "dkjson"
local assert = require "luassert"

local H = {}

-- Specs create namespaces and links: they run only inside spec/sandbox.
assert(os.getenv("NETNS_SANDBOX") == "1",
  "run the specs through spec/sandbox (make check): they must not touch this machine's network")

-- The repository root, from this file's own path.
H.root = debug.getinfo(1, "S").source:match("^@(.*)/spec/helper%.lua$") or "."

-- The number of the line of lua/netns/topology.lua that holds @text (plain),
-- for specs that stop the library there with a line hook, as nslua's
-- interrupt does.  Raises when no line holds it.
function H.topology_line(text)
  local n = 0
  for line in io.lines(H.root .. "/lua/netns/topology.lua") do
    n = n + 1
    if line:find(text, 1, true) then return n end
  end
  error("no line of topology.lua holds " .. text)
end

-- The nslua that specs start: $NSLUA (an absolute path, e.g. the sanitizer
-- build of make check-asan) or the repository's build/nslua.
H.nslua = os.getenv("NSLUA") or (H.root .. "/build/nslua")

local function sh_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
H.quote = sh_quote

-- The error of a method called on handle @ns once it is closed.
function H.closed(ns)
  return ("attempt to use a closed namespace handle (%s)"):format(ns.name or ("<anonymous %d>"):format(ns.id))
end

-- Runs a shell command line; returns stdout, and ok/how/code like os.execute.
function H.sh(cmd)
  local f = assert(io.popen(cmd, "r"))
  local out = f:read("a")
  local ok, how, code = f:close()
  return out, ok, how, code
end

-- This process's id, as a string (the specs' busted process).
H.pid = (function()
  local f = assert(io.open("/proc/self/stat"))
  local pid = f:read("a"):match("^(%d+)")
  f:close()
  return pid
end)()

-- The prefix that runs a command inside namespace handle @ns: `ip -n` for
-- named ones, nsenter through this process's descriptor otherwise.
function H.inside(ns)
  if ns.name then return "ip netns exec " .. sh_quote(ns.name) .. " " end
  return ("nsenter --net=/proc/%s/fd/%d "):format(H.pid, ns:fileno())
end

-- `ip -j ARGS` inside @ns, decoded.
function H.ip(ns, args)
  local out, ok = H.sh(H.inside(ns) .. "ip -j " .. args .. " 2>&1")
  assert(ok, "ip -j " .. args .. " failed: " .. out)
  if out:match("^%s*$") then return {} end
  return assert(json.decode(out))
end

-- The number of open file descriptors of this process, after two full
-- collections (the second frees what the first one's finalizers let go), unless
-- @keep_garbage: then what only a collection would close still counts.
function H.fd_count(keep_garbage)
  if not keep_garbage then
    collectgarbage()
    collectgarbage()
  end
  -- listed by a child into a file, so that no pipe of ours is among them
  local out = os.tmpname()
  os.execute("ls /proc/" .. H.pid .. "/fd > " .. out)
  local f, n = assert(io.open(out)), 0
  for _ in f:lines() do n = n + 1 end
  f:close()
  os.remove(out)
  return n
end

-- Runs shell command @cmd, which must succeed; returns its output (stdout and stderr).
function H.run(cmd)
  local out, ok = H.sh(cmd .. " 2>&1")
  assert(ok, cmd .. " failed: " .. out)
  return out
end

-- The network namespace this thread is in, as the kernel names it.
function H.thread_ns()
  return (H.sh("readlink /proc/self/ns/net"):gsub("%s+$", ""))
end

-- Whether @a and @b hold the same values, tables compared by content.
function H.same(a, b)
  if type(a) ~= "table" or type(b) ~= "table" then return a == b end
  for k, v in pairs(a) do
    if not H.same(v, b[k]) then return false end
  end
  for k in pairs(b) do
    if a[k] == nil then return false end
  end
  return true
end

-- The contents of file @path, or nil when it cannot be read.
function H.read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

function H.write_file(path, data)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
end

-- A text that is the same for equal values, whatever the order of keys:
-- to sort records, or to compare lists of them as sets.
function H.key(v)
  if type(v) ~= "table" then return ("%q"):format(v) end
  local keys, parts = {}, {}
  for k in pairs(v) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  for _, k in ipairs(keys) do parts[#parts + 1] = tostring(k) .. "=" .. H.key(v[k]) end
  return "{" .. table.concat(parts, ",") .. "}"
end

-- Fields of @rec named in @keys, for comparing a record with ip's.
function H.pick(rec, keys)
  local out = {}
  for _, k in ipairs(keys) do out[k] = rec[k] end
  return out
end

-- ip's JSON null decodes to a sentinel; records use nil.
function H.denull(t)
  if type(t) ~= "table" then return t end
  local out = {}
  for k, v in pairs(t) do
    if v ~= json.null then out[k] = H.denull(v) end
  end
  return out
end

-- Asserts that @fn raises an error whose message, without its position, is @msg.
function H.raises(msg, fn, ...)
  local ok, err = pcall(fn, ...)
  assert(not ok, "expected an error: " .. msg)
  err = tostring(err):gsub("^[^:]+:%d+: ", "")
  assert.are.equal(msg, err)
end

-- The same, and the error is positioned at a line of the spec file that
-- pattern @file matches ("addr_spec%.lua"); with @extack the kernel's
-- extended-ack text may follow @msg as ": <text>".
function H.raises_in(file, msg, extack, fn)
  local ok, err = pcall(fn)
  assert(not ok, "expected an error: " .. msg)
  err = tostring(err)
  assert.is_truthy(err:find(file .. ":%d+: "), "no position in: " .. err)
  err = err:gsub("^[^:]+:%d+: ", "")
  if extack and err:sub(1, #msg + 2) == msg .. ": " then return end
  assert.are.equal(msg, err)
end

-- busted keeps one `finally` per test, a second replacing the first:
-- H.defer(finally, fn) keeps any number, run newest first.  (The test's
-- own `finally` is passed in: only the test body can see it.)
local deferred = setmetatable({}, { __mode = "k" })
function H.defer(finally, fn)
  local list = deferred[finally]
  if not list then
    list = {}
    deferred[finally] = list
    finally(function()
      -- let go of what the cleanups hold as soon as they have run
      deferred[finally] = nil
      for i = #list, 1, -1 do
        local cleanup = list[i]
        list[i] = nil
        cleanup()
      end
    end)
  end
  list[#list + 1] = fn
end

-- Names of the links in the sandbox's own namespace, sorted.
function H.root_links()
  local names = {}
  for _, l in ipairs(json.decode((H.sh("ip -j link show")))) do names[#names + 1] = l.ifname end
  table.sort(names)
  return names
end

return H
