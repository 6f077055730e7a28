-- netns.cni: the CNI protocol (container network interface, spec 1.0 and 1.1)
-- around a plugin written in Lua.
--
-- A runtime (podman, containerd, a kubelet) executes the plugin with the
-- request in the environment (CNI_COMMAND, CNI_CONTAINERID, CNI_NETNS,
-- CNI_IFNAME, CNI_ARGS, CNI_PATH) and the network configuration as JSON on
-- stdin; the plugin prints one JSON document, a result or an error, and
-- exits 0 or 1.  This module does all of that and calls the plugin's
-- handlers, one per command:
--
--   add(conf, ns, req) -> result    ADD: conf is the decoded configuration,
--   del(conf, ns, req)              ns an open handle on CNI_NETNS (nil on
--   check(conf, ns, req)            DEL when that namespace is gone), req
--   status(conf, nil, req)          the rest of the request (see 'request')
--   gc(conf, nil, req)
--   version -> { "1.0.0", ... }     optional: the versions the plugin speaks
--
-- A handler fails with cni.error(code, msg [, details]); any other error
-- is reported with code 999 (internal error) and its message.  VERSION is
-- answered here.  JSON is lua-cjson's (Debian's lua-cjson package).

local netns = require "netns"

local M = {}

-- The spec's error codes; 100 and up belong to plugins.
M.INCOMPATIBLE_VERSION = 1
M.UNSUPPORTED_FIELD = 2
M.UNKNOWN_CONTAINER = 3
M.INVALID_ENVIRONMENT = 4
M.IO_FAILURE = 5
M.DECODE_FAILURE = 6
M.INVALID_CONFIG = 7
M.TRY_AGAIN_LATER = 11
M.INTERNAL = 999

-- Versions whose results have the shape this module writes (0.3.0 and
-- later: "interfaces", "ips", "routes", "dns").
M.VERSIONS = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0" }

local json
local function cjson()
  json = json or require "cjson"
  return json
end

---------------------------------------------------------------------------
-- Errors

local Error = {}
Error.__index = Error
Error.__name = "netns.cni.error"

function Error:__tostring()
  local s = ("CNI error %d: %s"):format(self.code, self.msg)
  if self.details then s = s .. ": " .. self.details end
  return s
end

--- Raises a CNI error object: what the plugin prints, with exit status 1.
function M.error(code, msg, details)
  if math.type(code) ~= "integer" or code < 1 then
    error(("bad argument #1 to 'error' (positive integer expected, got %s)"):format(tostring(code)), 2)
  end
  error(setmetatable({ code = code, msg = tostring(msg), details = details }, Error), 2)
end

function M.is_error(v)
  return getmetatable(v) == Error
end

-- Any error value as a CNI error object.
local function as_error(e)
  if getmetatable(e) == Error then return e end
  return setmetatable({ code = M.INTERNAL, msg = tostring(e) }, Error)
end

---------------------------------------------------------------------------
-- Versions

local function version_key(v)
  local a, b, c = tostring(v):match("^(%d+)%.(%d+)%.(%d+)$")
  if not a then return nil end
  return tonumber(a) * 1000000 + tonumber(b) * 1000 + tonumber(c)
end

local function supports(list, v)
  for _, s in ipairs(list) do
    if s == v then return true end
  end
  return false
end

-- Go's %q of a string list, as the reference plugins print it.
local function quoted_list(list)
  local out = {}
  for i, v in ipairs(list) do out[i] = ("%q"):format(v) end
  return "[" .. table.concat(out, " ") .. "]"
end

local function plugin_versions(handlers)
  local v = handlers.version
  if type(v) == "function" then v = v() end
  return type(v) == "table" and v or M.VERSIONS
end

---------------------------------------------------------------------------
-- JSON out: no empty arrays (lua-cjson writes {} for an empty table)

local function drop_empty(result)
  for _, key in ipairs { "interfaces", "ips", "routes" } do
    if type(result[key]) == "table" and next(result[key]) == nil then result[key] = nil end
  end
  if type(result.dns) == "table" then
    for _, key in ipairs { "nameservers", "search", "options" } do
      local v = result.dns[key]
      if type(v) == "table" and next(v) == nil then result.dns[key] = nil end
    end
  end
  return result
end

-- A result in the shape of the configuration's version: before 1.0.0,
-- each IP also says its family ("version": "4" or "6").
local function shape_result(result, version)
  result.cniVersion = version
  if version_key(version) < version_key("1.0.0") then
    for _, ip in ipairs(result.ips or {}) do
      if type(ip) == "table" and type(ip.address) == "string" then
        ip.version = ip.address:find(":", 1, true) and "6" or "4"
      end
    end
  else
    for _, ip in ipairs(result.ips or {}) do
      if type(ip) == "table" then ip.version = nil end
    end
  end
  return drop_empty(result)
end

---------------------------------------------------------------------------
-- The request

-- CNI_ARGS "K1=V1;K2=V2" as a table.
local function parse_args(s)
  local out = {}
  for pair in (s or ""):gmatch("[^;]+") do
    local k, v = pair:match("^([^=]*)=(.*)$")
    if k then out[k] = v end
  end
  return out
end

local function split_path(s)
  local out = {}
  for dir in (s or ""):gmatch("[^:]+") do out[#out + 1] = dir end
  return out
end

-- What each command needs in the environment (as the reference plugins ask).
local REQUIRED = {
  ADD = { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH" },
  CHECK = { "CNI_CONTAINERID", "CNI_NETNS", "CNI_IFNAME", "CNI_PATH" },
  DEL = { "CNI_CONTAINERID", "CNI_IFNAME", "CNI_PATH" },
  STATUS = {},
  GC = { "CNI_PATH" },
}
-- The first version that has each command.
local SINCE = { CHECK = "0.4.0", STATUS = "1.1.0", GC = "1.1.0" }

local function check_env(cmd, getenv)
  local missing = {}
  for _, var in ipairs(REQUIRED[cmd]) do
    if (getenv(var) or "") == "" then missing[#missing + 1] = var end
  end
  if #missing > 0 then
    M.error(M.INVALID_ENVIRONMENT, ("required env variables [%s] missing"):format(table.concat(missing, ",")))
  end
end

local function decode_config(raw, versions)
  local ok, conf = pcall(cjson().decode, raw)
  if not ok then M.error(M.DECODE_FAILURE, "error unmarshall network config: " .. tostring(conf)) end
  if type(conf) ~= "table" then M.error(M.DECODE_FAILURE, "network config is not a JSON object") end
  local v = conf.cniVersion
  if v == nil or v == json.null or v == "" then v = "0.1.0" end
  if not supports(versions, v) then
    M.error(M.INCOMPATIBLE_VERSION, "incompatible CNI versions",
      ("config is %q, plugin supports %s"):format(tostring(v), quoted_list(versions)))
  end
  if type(conf.name) ~= "string" or conf.name == "" then
    M.error(M.INVALID_CONFIG, "missing network name")
  end
  conf.cniVersion = v
  return conf
end

--- The request of the current invocation: command, containerid,
-- netns_path, ifname, args (CNI_ARGS as a table), path (CNI_PATH as a
-- list), config (decoded), prevResult, runtimeConfig, cniVersion and
-- stdin (the configuration as received, for delegated plugins).
local function request(cmd, raw, conf, getenv)
  return {
    command = cmd,
    containerid = getenv("CNI_CONTAINERID"),
    netns_path = getenv("CNI_NETNS"),
    ifname = getenv("CNI_IFNAME"),
    args = parse_args(getenv("CNI_ARGS")),
    path = split_path(getenv("CNI_PATH")),
    config = conf,
    prevResult = conf.prevResult,
    runtimeConfig = conf.runtimeConfig,
    cniVersion = conf.cniVersion,
    stdin = raw,
  }
end

-- The handle on CNI_NETNS.  A namespace that cannot be opened fails ADD
-- and CHECK; for DEL it is gone already, which is no failure.
local function open_netns(req)
  local path = req.netns_path
  if path == nil or path == "" then
    if req.command == "DEL" then return nil end
    M.error(M.INVALID_ENVIRONMENT, "required env variables [CNI_NETNS] missing")
  end
  local ok, ns = pcall(netns.open, path)
  if ok then return ns end
  if req.command == "DEL" then return nil end
  M.error(M.INTERNAL, ("failed to open netns %q: %s"):format(path, tostring(ns):gsub("^[^:]*:%d+: ", "")))
end

---------------------------------------------------------------------------
-- Delegation: a plugin found on CNI_PATH, with the same protocol

--- The executable named @name in the directories of @req.path, or nil.
function M.find_plugin(req, name)
  if type(name) ~= "string" or name == "" or name:find("/", 1, true) then return nil end
  for _, dir in ipairs(req.path) do
    local file = dir .. "/" .. name
    local f = io.open(file, "rb")
    if f then
      f:close()
      return file
    end
  end
  return nil
end

-- Runs @file with the configuration on stdin and CNI_COMMAND = @cmd, the
-- rest of the environment as this plugin got it; returns its standard
-- output (a failing plugin's error document is there too) and exit status.
local function run_plugin(file, cmd, stdin)
  local here <close> = netns.current()
  local out, _, how, code = here:output({ file }, { stdin = stdin, env = { CNI_COMMAND = cmd },
                                                    timeout = 120, check = false })
  return out, how == "exit" and code or 1
end

--- Runs the plugin @name (default: config.ipam.type) for command @cmd
-- (default: this one) and returns its decoded result, or nil when it
-- printed nothing (DEL, CHECK) or when the configuration has no IPAM.
-- Its errors are raised as they came (same code, message, details).
function M.delegate(req, name, cmd)
  cmd = cmd or req.command
  local file = M.find_plugin(req, name)
  if not file then
    M.error(M.INTERNAL, ("failed to find plugin %q in path [%s]"):format(tostring(name), table.concat(req.path, " ")))
  end
  local out, status = run_plugin(file, cmd, req.stdin)
  local doc
  if out:find("%S") then
    local ok, v = pcall(cjson().decode, out)
    if ok then doc = v end
  end
  if status ~= 0 then
    if type(doc) == "table" and math.tointeger(doc.code) then
      M.error(math.tointeger(doc.code), doc.msg or "", doc.details ~= json.null and doc.details or nil)
    end
    M.error(M.INTERNAL, ("plugin %s failed (%s): exit status %d"):format(name, cmd:lower(), status))
  end
  if out:find("%S") and type(doc) ~= "table" then
    M.error(M.DECODE_FAILURE, ("plugin %s printed no JSON object"):format(name))
  end
  return doc
end

--- IPAM: the plugin named in config.ipam.type (host-local, static, dhcp).
function M.ipam(req, cmd)
  local ipam = req.config.ipam
  if type(ipam) ~= "table" or ipam.type == nil or ipam.type == "" then return nil end
  return M.delegate(req, ipam.type, cmd)
end

---------------------------------------------------------------------------
-- What plugins that give the container one end of a veth share

--- A name for the host end of a container's veth: `veth` and 8 random hex
-- digits, as the reference plugins name theirs.
function M.host_veth_name()
  local f = assert(io.open("/dev/urandom", "rb"))
  local bytes = f:read(4)
  f:close()
  return ("veth%02x%02x%02x%02x"):format(bytes:byte(1, 4))
end

--- DEL for such a plugin: the IPAM plugin releases the addresses, and
-- deleting the container's end (when its namespace still exists) takes the
-- host end with it.
function M.del_veth(_, ns, req)
  M.ipam(req)
  if ns then ns:link_del(req.ifname, { missing_ok = true }) end
end

--- What CHECK verifies for such a plugin: a previous result, the IPAM
-- plugin's own check, the container's interface and every address the
-- previous result gave it.
-- @treturn netns.Link the container's end
function M.check_veth(conf, ns, req)
  local prev = conf.prevResult
  if type(prev) ~= "table" then M.error(M.INTERNAL, "Required prevResult missing") end
  M.ipam(req)
  local l = ns:link(req.ifname)
  if not l then M.error(M.INTERNAL, ("no interface %s in %s"):format(req.ifname, req.netns_path)) end
  local have = {}
  for _, a in ipairs(ns:addrs(req.ifname)) do have[a.cidr] = true end
  for _, ip in ipairs(prev.ips or {}) do
    if not have[ip.address] then M.error(M.INTERNAL, ("%s has no address %s"):format(req.ifname, ip.address)) end
  end
  return l
end

---------------------------------------------------------------------------
-- Running a plugin

local HANDLERS = { ADD = "add", DEL = "del", CHECK = "check", STATUS = "status", GC = "gc" }

--- Loads the plugin file @path: a chunk that returns its table of handlers.
function M.load(path)
  local chunk, msg = loadfile(path)
  if not chunk then error(msg, 0) end
  local handlers = chunk(path)
  if type(handlers) ~= "table" then
    error(("%s: a CNI plugin must return its table of handlers, got %s"):format(path, type(handlers)), 0)
  end
  return handlers
end

-- Calls @fn (a handler, or the loading of the plugin file) with stdout kept
-- for the protocol: print and io.write inside it go to stderr.  (Programs
-- the plugin runs write where it says: ns:exec(cmd, { stdout = "null" }).)
local function call_quietly(fn, ...)
  local saved_print, saved_out = print, io.output()
  print = function(...)      -- luacheck: ignore 121
    local parts = table.pack(...)
    for i = 1, parts.n do parts[i] = tostring(parts[i]) end
    io.stderr:write(table.concat(parts, "\t", 1, parts.n), "\n")
  end
  io.output(io.stderr)
  local ok, res = pcall(fn, ...)
  print = saved_print        -- luacheck: ignore 121
  io.output(saved_out)
  if not ok then error(res, 0) end
  return res
end

-- One invocation; returns the document to print (or nil for none).
local function serve(handlers, cmd, raw, getenv)
  local versions = plugin_versions(handlers)
  if cmd == "VERSION" then
    local ok, conf = pcall(cjson().decode, raw or "")
    local v = ok and type(conf) == "table" and conf.cniVersion
    if not supports(versions, v) then v = versions[#versions] end
    return { cniVersion = v, supportedVersions = versions }
  end
  local name = HANDLERS[cmd]
  if not name then M.error(M.INVALID_ENVIRONMENT, ("unknown CNI_COMMAND: %s"):format(cmd)) end
  check_env(cmd, getenv)
  local conf = decode_config(raw, versions)
  if SINCE[cmd] and version_key(conf.cniVersion) < version_key(SINCE[cmd]) then
    M.error(M.INCOMPATIBLE_VERSION, ("config version does not allow %s"):format(cmd))
  end
  local req = request(cmd, raw, conf, getenv)
  local fn = handlers[name]
  if fn == nil then
    if cmd == "ADD" then M.error(M.INTERNAL, "the plugin has no 'add' handler") end
    return nil                -- nothing to undo, check or collect: success
  end
  local ns
  if cmd == "ADD" or cmd == "CHECK" or cmd == "DEL" then ns = open_netns(req) end
  req.netns = ns
  local ok, res = pcall(call_quietly, fn, conf, ns, req)
  if ns then ns:close() end
  if not ok then error(res, 0) end
  if cmd ~= "ADD" then return nil end
  if type(res) ~= "table" then res = conf.prevResult or {} end
  return shape_result(res, conf.cniVersion)
end

--- Runs one CNI invocation of @plugin (a table of handlers, or the path of
-- a file returning one).  @opts (for tests): getenv, stdin (a string),
-- stdout (a file).  Prints one JSON document and returns the exit status,
-- 0 or 1.
function M.run(plugin, opts)
  opts = opts or {}
  local getenv = opts.getenv or os.getenv
  local out = opts.stdout or io.stdout
  local cmd = getenv("CNI_COMMAND")
  local conf_version
  local ok, doc = pcall(function()
    local handlers = type(plugin) == "table" and plugin or call_quietly(M.load, plugin)
    if cmd == nil or cmd == "" then
      return ("CNI plugin %s\nCNI protocol versions supported: %s\n"):format(
        type(plugin) == "string" and plugin or "(Lua)", table.concat(plugin_versions(handlers), ", "))
    end
    local raw = opts.stdin or io.stdin:read("a") or ""
    conf_version = raw:match('"cniVersion"%s*:%s*"([^"]*)"')
    return serve(handlers, cmd, raw, getenv)
  end)
  if not ok then
    local e = as_error(doc)
    doc = { cniVersion = supports(M.VERSIONS, conf_version) and conf_version or "1.1.0",
            code = e.code, msg = e.msg, details = e.details }
  end
  if type(doc) == "string" then
    out:write(doc)
  elseif doc ~= nil then
    out:write(cjson().encode(doc))
  end
  out:flush()
  return ok and 0 or 1
end

--- For a plugin run by plain lua5.4: runs it and exits with its status.
function M.main(plugin)
  os.exit(M.run(plugin), true)
end

return M
