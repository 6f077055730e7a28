-- CNI plugins in Lua (netns.cni, nslua --cni, scripts/cni/bridge.lua and
-- ptp.lua), invoked exactly as a runtime invokes a plugin: the file itself
-- executed with the CNI_* variables and the configuration on stdin.  Side
-- by side with the reference plugins of Debian's containernetworking-plugins:
-- the same results, the same kernel state, the same error codes.  Last,
-- podman runs a container whose network the Lua bridge plugin makes.
local H = require "helper"
local json = require "dkjson"

local REF = "/usr/lib/cni"

local function exists(cmd)
  return (H.sh(cmd .. " >/dev/null 2>&1 && echo yes")) == "yes\n"
end

local have_ref = exists("test -x " .. REF .. "/bridge -a -x " .. REF .. "/ptp -a -x " .. REF .. "/host-local")
local have_cjson = pcall(require, "cjson")

local function absolute(path)
  if path:sub(1, 1) == "/" then return path end
  return (H.sh("pwd"):gsub("%s+$", "")) .. "/" .. path:gsub("^%./", "")
end

local ROOT = absolute(H.root)
local BIN = absolute(H.nslua):match("^(.*)/[^/]+$")   -- on PATH: the plugins' shebang finds nslua there
local PLUGINS = { bridge = ROOT .. "/scripts/cni/bridge.lua", ptp = ROOT .. "/scripts/cni/ptp.lua" }
local scratch

-- Runs plugin @exe in namespace @host as a runtime does: a clean
-- environment with @env, and @conf (a table, or raw text) on stdin.
-- Returns the decoded output (or nil), the exit status and the raw output.
local function invoke(host, exe, env, conf)
  local f = assert(io.open(scratch .. "/stdin", "w"))
  f:write(type(conf) == "table" and json.encode(conf) or conf)
  f:close()
  local vars = { "PATH=" .. BIN .. ":/usr/sbin:/usr/bin:/sbin:/bin" }
  for _, keep in ipairs { "ASAN_OPTIONS", "UBSAN_OPTIONS" } do
    if os.getenv(keep) then vars[#vars + 1] = keep .. "=" .. os.getenv(keep) end
  end
  for k, v in pairs(env) do vars[#vars + 1] = k .. "=" .. v end
  for i, v in ipairs(vars) do vars[i] = H.quote(v) end
  local out, ok, _, code = H.sh(("%senv -i %s %s < %s 2> %s"):format(H.inside(host), table.concat(vars, " "),
    H.quote(exe), H.quote(scratch .. "/stdin"), H.quote(scratch .. "/stderr")))
  local f2 = assert(io.open(scratch .. "/stderr"))
  local err = f2:read("a")
  f2:close()
  return (out:match("%S") and json.decode(out)), ok and 0 or code, ("%s [exit %s] %s"):format(out, code, err)
end

local function cni_env(cmd, container, extra)
  local env = { CNI_COMMAND = cmd, CNI_CONTAINERID = "ctr-" .. container.name, CNI_NETNS = container.path,
                CNI_IFNAME = "eth0", CNI_PATH = REF, CNI_ARGS = "IgnoreUnknown=1" }
  for k, v in pairs(extra or {}) do env[k] = v or nil end
  return env
end

local function bridge_conf(data_dir, extra)
  local conf = {
    cniVersion = "1.0.0", name = "luanet", type = "bridge", bridge = "cnibr0", isGateway = true,
    ipam = { type = "host-local", dataDir = data_dir, routes = { { dst = "0.0.0.0/0" } },
             ranges = { { { subnet = "10.77.0.0/24", gateway = "10.77.0.1" } } } },
  }
  for k, v in pairs(extra or {}) do conf[k] = v end
  return conf
end

-- Names that differ by design between two runs: random veth names.
local function name_of(n)
  return n and (n:gsub("^veth%x+$", "veth*"))
end

-- A namespace's links, addresses and routes as `ip -j` shows them, without
-- what is random (MACs, veth names, indexes, IPv6 link-local addresses) or
-- an artefact of the reference's netlink library (veth txqlen 0).
local function kernel_state(ns)
  local links = {}
  for _, l in ipairs(H.denull(H.ip(ns, "addr"))) do
    local addrs = {}
    for _, a in ipairs(l.addr_info or {}) do
      if not (a.family == "inet6" and a.scope == "link") then
        addrs[#addrs + 1] = H.pick(a, { "family", "local", "prefixlen", "broadcast", "scope", "address" })
      end
    end
    links[#links + 1] = { ifname = name_of(l.ifname), flags = l.flags, mtu = l.mtu, operstate = l.operstate,
                          link_type = l.link_type, master = l.master, addrs = addrs }
  end
  local routes = {}
  for _, family in ipairs { "-4", "-6" } do
    for _, r in ipairs(H.denull(H.ip(ns, family .. " route show table main"))) do
      if not (r.dst or ""):match("^fe80:") then
        local rec = H.pick(r, { "dst", "gateway", "protocol", "scope", "prefsrc", "type" })
        rec.dev = name_of(r.dev)
        routes[#routes + 1] = rec
      end
    end
  end
  local function by(key) return function(a, b) return (a[key] or "") < (b[key] or "") end end
  table.sort(links, by("ifname"))
  table.sort(routes, function(a, b) return json.encode(a) < json.encode(b) end)
  local forward = H.sh(H.inside(ns) .. "cat /proc/sys/net/ipv4/ip_forward"):gsub("%s", "")
  return { links = links, routes = routes, ip_forward = forward }
end

-- A result without its random parts: MACs, veth names, the container's path.
local function result_shape(res, container)
  local out = H.denull(res)
  for _, i in ipairs(out.interfaces or {}) do
    i.name = name_of(i.name)
    if i.mac then
      assert.truthy(i.mac:match("^%x%x:%x%x:%x%x:%x%x:%x%x:%x%x$"), "a MAC: " .. i.mac)
      i.mac = "<mac>"
    end
    if i.sandbox then
      assert.are.equal(container.path, i.sandbox)
      i.sandbox = "<netns>"
    end
  end
  return out
end

-- Files host-local still holds in @dir: its reservations.
local function reservations(dir)
  local out = H.sh(("find %s -type f ! -name lock ! -name 'last_reserved_ip.*' 2>/dev/null"):format(H.quote(dir)))
  return out:gsub("%s+$", "")
end

local function link_names(ns)
  local names = {}
  for _, l in ipairs(H.ip(ns, "link")) do names[#names + 1] = name_of(l.ifname) end
  table.sort(names)
  return names
end

-- Two worlds, one per implementation: a host namespace (where the plugin
-- runs, as on a node) and a container namespace, each named.
local worlds = {}
local function make_worlds()
  for _, side in ipairs { "ref", "lua" } do
    local data = scratch .. "/" .. side .. "-ipam"
    H.sh("rm -rf " .. H.quote(data))
    worlds[side] = { host = netns.add("cni-" .. side .. "-host"), ctr = netns.add("cni-" .. side .. "-ctr"),
                     data = data }
  end
end

local function drop_worlds()
  for side, w in pairs(worlds) do
    w.ctr:delete()
    w.host:delete()
    worlds[side] = nil
  end
end

local function exe_of(side, kind)
  return side == "ref" and REF .. "/" .. kind or PLUGINS[kind]
end

describe("CNI plugins in Lua", function()
  setup(function()
    scratch = (H.sh("mktemp -d"):gsub("%s+$", ""))
  end)
  teardown(function()
    H.sh("rm -rf " .. H.quote(scratch))
  end)

  before_each(function()
    if not (have_ref and have_cjson) then
      pending("needs lua-cjson and containernetworking-plugins (sh .ci/deps installs them)")
    end
  end)

  describe("the protocol (netns.cni.run)", function()
    local cni = have_cjson and require "netns.cni"
    local cjson = have_cjson and require "cjson"

    -- One invocation in process: @env is the environment, @conf the stdin.
    local function run(handlers, env, conf)
      local path = scratch .. "/stdout"
      local out = assert(io.open(path, "w"))
      local status = cni.run(handlers, { getenv = function(k) return env[k] end, stdout = out,
                                         stdin = type(conf) == "table" and cjson.encode(conf) or conf })
      out:close()
      local f = assert(io.open(path))
      local text = f:read("a")
      f:close()
      return status, text, text:match("%S") and cjson.decode(text)
    end

    local function env_for(cmd, ns_path)
      return { CNI_COMMAND = cmd, CNI_CONTAINERID = "c1", CNI_NETNS = ns_path, CNI_IFNAME = "eth0",
               CNI_PATH = REF }
    end

    it("answers VERSION itself, with the configuration's version", function()
      local status, _, doc = run({}, { CNI_COMMAND = "VERSION" }, { cniVersion = "1.0.0" })
      assert.are.equal(0, status)
      assert.are.same({ cniVersion = "1.0.0", supportedVersions = cni.VERSIONS }, doc)
      local _, _, custom = run({ version = { "0.4.0" } }, { CNI_COMMAND = "VERSION" }, "")
      assert.are.same({ "0.4.0" }, custom.supportedVersions)
    end)

    it("calls add with the configuration, an open netns and the request; prints one result", function()
      local ns <close> = netns.new()
      local path = ("/proc/%d/fd/%d"):format(H.sh("echo $PPID"):match("%d+"), ns:fileno())
      local seen
      local status, text, doc = run({
        add = function(conf, handle, req)
          seen = { name = conf.name, lo = handle:link("lo") ~= nil, ifname = req.ifname, k = req.args.K }
          return { interfaces = { { name = "eth0", sandbox = req.netns_path } }, ips = {},
                   routes = {}, dns = {} }
        end,
      }, (function() local e = env_for("ADD", path); e.CNI_ARGS = "IgnoreUnknown=1;K=v"; return e end)(),
         { cniVersion = "1.0.0", name = "n1", type = "x" })
      assert.are.equal(0, status)
      assert.are.same({ name = "n1", lo = true, ifname = "eth0", k = "v" }, seen)
      assert.are.same({ cniVersion = "1.0.0", interfaces = { { name = "eth0", sandbox = path } }, dns = {} }, doc)
      assert.truthy(text:match("^{.*}$"))      -- one document (cjson refuses trailing text), no empty lists
    end)

    it("writes results of 0.x versions with each IP's family", function()
      local ns <close> = netns.new()
      local path = ("/proc/%d/fd/%d"):format(H.sh("echo $PPID"):match("%d+"), ns:fileno())
      local _, _, doc = run({ add = function() return { ips = { { address = "10.1.0.2/24" } } } end },
        env_for("ADD", path), { cniVersion = "0.4.0", name = "n1" })
      assert.are.same({ { address = "10.1.0.2/24", version = "4" } }, doc.ips)
    end)

    it("turns errors into error objects: the handler's code, else 999", function()
      local ns <close> = netns.new()
      local path = ("/proc/%d/fd/%d"):format(H.sh("echo $PPID"):match("%d+"), ns:fileno())
      local conf = { cniVersion = "1.0.0", name = "n1" }
      local status, _, doc = run({ add = function() cni.error(107, "no luck", "at all") end },
        env_for("ADD", path), conf)
      assert.are.equal(1, status)
      assert.are.same({ cniVersion = "1.0.0", code = 107, msg = "no luck", details = "at all" }, doc)
      status, _, doc = run({ add = function() error("boom", 0) end }, env_for("ADD", path), conf)
      assert.are.same({ 1, 999, "boom" }, { status, doc.code, doc.msg })
      status, _, doc = run({ add = function() end }, env_for("ADD", "/run/netns/nope"), conf)
      assert.are.same({ 1, 999 }, { status, doc.code })
    end)

    it("gives DEL a nil handle when the namespace is gone, and succeeds silently", function()
      local got = "unset"
      local status, text = run({ del = function(_, ns) got = ns end }, env_for("DEL", "/run/netns/nope"),
        { cniVersion = "1.0.0", name = "n1" })
      assert.are.same({ 0, "", nil }, { status, text, got })
    end)

    it("checks the environment, the JSON and the versions with the spec's codes", function()
      local conf = { cniVersion = "1.0.0", name = "n1" }
      local cases = {
        { { CNI_COMMAND = "ADD" }, conf, 4 },
        { { CNI_COMMAND = "BOGUS" }, conf, 4 },
        { env_for("ADD", "/x"), "{bad", 6 },
        { env_for("ADD", "/x"), { cniVersion = "7.0.0", name = "n1" }, 1 },
        { env_for("ADD", "/x"), { cniVersion = "1.0.0" }, 7 },
        { env_for("CHECK", "/x"), { cniVersion = "0.3.1", name = "n1" }, 1 },
        { { CNI_COMMAND = "STATUS" }, conf, 1 },
        { { CNI_COMMAND = "GC", CNI_PATH = REF }, conf, 1 },
      }
      for i, c in ipairs(cases) do
        local status, _, doc = run({ add = function() return {} end }, c[1], c[2])
        assert.are.same({ i, 1, c[3] }, { i, status, doc.code })
      end
      local status, text = run({}, { CNI_COMMAND = "STATUS" }, { cniVersion = "1.1.0", name = "n1" })
      assert.are.same({ 0, "" }, { status, text })
    end)

    it("nslua --cni reports a plugin file that returns no handlers as an error object", function()
      local file = scratch .. "/chatty.lua"
      local f0 = assert(io.open(file, "w"))
      f0:write('print("a stray line"); io.write("more"); return { del = function() print("in del") end }\n')
      f0:close()
      local said = H.sh(("echo '{\"cniVersion\":\"1.0.0\",\"name\":\"n\"}' | CNI_COMMAND=DEL CNI_CONTAINERID=c " ..
        "CNI_IFNAME=eth0 CNI_PATH=/ %s --cni %s 2>/dev/null"):format(H.quote(H.nslua), H.quote(file)))
      assert.are.equal("", said)   -- what the plugin prints goes to stderr
      file = scratch .. "/empty.lua"
      local f = assert(io.open(file, "w"))
      f:write("local x = 1\n")
      f:close()
      local out, ok = H.sh(("echo '{}' | CNI_COMMAND=ADD %s --cni %s"):format(H.quote(H.nslua), H.quote(file)))
      assert.is_nil(ok)
      local doc = json.decode(out)
      assert.are.equal(999, doc.code)
      assert.truthy(doc.msg:find("must return its table of handlers", 1, true))
      local msg, ok2 = H.sh(H.quote(H.nslua) .. " --cni 2>&1")
      assert.is_nil(ok2)
      assert.truthy(msg:find("--cni needs a plugin script", 1, true))
    end)
  end)

  for _, kind in ipairs { "bridge", "ptp" } do
    describe(kind .. ".lua beside the reference " .. kind, function()
      before_each(make_worlds)
      after_each(drop_worlds)

      local function conf_for(side, extra)
        local conf = bridge_conf(worlds[side].data, extra)
        conf.type = kind
        if kind == "ptp" then conf.bridge, conf.isGateway = nil, nil end
        return conf
      end

      it("VERSION lists the configuration's version", function()
        for _, side in ipairs { "ref", "lua" } do
          local doc, status = invoke(worlds[side].host, exe_of(side, kind), { CNI_COMMAND = "VERSION" },
            { cniVersion = "1.0.0" })
          assert.are.equal(0, status)
          assert.are.equal("1.0.0", doc.cniVersion)
          assert.truthy(table.concat(doc.supportedVersions, " "):find("1.0.0", 1, true))
        end
      end)

      it("ADD gives the same result and the same kernel state; CHECK passes; DEL twice leaves nothing", function()
        local results, states = {}, {}
        for _, side in ipairs { "ref", "lua" } do
          local w = worlds[side]
          local res, status, raw = invoke(w.host, exe_of(side, kind), cni_env("ADD", w.ctr), conf_for(side))
          assert.are.equal(0, status, raw)
          results[side] = result_shape(res, w.ctr)
          -- the kernel reports carrier a moment later: compare settled states
          assert.is_true(w.ctr:wait { link = "eth0", operstate = "UP", timeout = 5 })
          states[side] = { host = kernel_state(w.host), ctr = kernel_state(w.ctr) }
          assert.are.equal(w.data .. "/luanet/10.77.0.2", reservations(w.data))

          local with_prev = conf_for(side, { prevResult = res })
          local _, check = invoke(w.host, exe_of(side, kind), cni_env("CHECK", w.ctr), with_prev)
          assert.are.equal(0, check, side .. " CHECK")
          for round = 1, 2 do
            local out, del, text = invoke(w.host, exe_of(side, kind), cni_env("DEL", w.ctr), with_prev)
            assert.are.same({ side, round, 0, nil }, { side, round, del, out and text })
          end
          assert.are.same({ "lo" }, link_names(w.ctr))
          assert.are.equal("", reservations(w.data))
          for _, name in ipairs(link_names(w.host)) do assert.are_not.equal("veth*", name) end
          local _, gone = invoke(w.host, exe_of(side, kind), cni_env("DEL", w.ctr, { CNI_NETNS = "/run/netns/nope" }),
            with_prev)
          assert.are.equal(0, gone, side .. " DEL of a namespace that is gone")
        end
        assert.are.same(results.ref, results.lua)
        assert.are.same(states.ref, states.lua)
        assert.truthy(json.encode(states.lua.ctr):find('"local":"10.77.0.2"', 1, true))
        assert.truthy(json.encode(states.lua.ctr):find('"gateway":"10.77.0.1"', 1, true))
      end)

      it("CHECK fails on both when the container lost its interface", function()
        local codes = {}
        for _, side in ipairs { "ref", "lua" } do
          local w = worlds[side]
          local res, added, raw = invoke(w.host, exe_of(side, kind), cni_env("ADD", w.ctr), conf_for(side))
          assert.are.equal(0, added, raw)
          w.ctr:link_del("eth0")
          local doc, status = invoke(w.host, exe_of(side, kind), cni_env("CHECK", w.ctr),
            conf_for(side, { prevResult = res }))
          codes[side] = { status, doc and doc.code }
          invoke(w.host, exe_of(side, kind), cni_env("DEL", w.ctr), conf_for(side))
        end
        assert.are.same(codes.ref, codes.lua)
        assert.are.equal(1, codes.lua[1])
      end)

      -- name, a change to the configuration (or raw text), a change to the environment
      local bad = {
        { "a configuration without a name", { name = false } },
        { "IPAM without ranges", { ipam = { type = "host-local" } } },
        { "a subnet with a prefix beyond 32",
          { ipam = { type = "host-local", ranges = { { { subnet = "10.77.0.0/33" } } } } } },
        { "a subnet that is no CIDR", { ipam = { type = "host-local", ranges = { { { subnet = "banana" } } } } } },
        { "an IPAM plugin not on CNI_PATH", { ipam = { type = "nosuch" } } },
        { "a netns that does not exist", {}, { CNI_NETNS = "/run/netns/nope" } },
        { "JSON that does not parse", "{bad" },
        { "an unknown version", { cniVersion = "9.9.9" } },
        { "no CNI_IFNAME", {}, { CNI_IFNAME = false } },
        { "an unknown command", {}, { CNI_COMMAND = "FROB" } },
      }
      for _, case in ipairs(bad) do
        it("fails like the reference on " .. case[1] .. ", leaving nothing behind", function()
          local got = {}
          for _, side in ipairs { "ref", "lua" } do
            local w = worlds[side]
            local conf = case[2]
            if type(conf) == "table" then
              local full = conf_for(side)
              for k, v in pairs(conf) do full[k] = v or nil end
              if full.ipam and full.ipam.type == "host-local" then full.ipam.dataDir = w.data end
              conf = full
            end
            local doc, status, raw = invoke(w.host, exe_of(side, kind), cni_env("ADD", w.ctr, case[3]), conf)
            assert(doc, side .. ": no JSON error object: " .. raw)
            got[side] = { status = status, code = doc.code }
            if doc.code == 999 and case[2].ipam then got[side].msg = doc.msg end  -- IPAM's own words
          end
          assert.are.same(got.ref, got.lua)
          assert.are.equal(1, got.lua.status)
          assert.are.same({ "lo" }, link_names(worlds.lua.ctr))
          for _, name in ipairs(link_names(worlds.lua.host)) do assert.are_not.equal("veth*", name) end
          assert.are.equal("", reservations(worlds.lua.data))
        end)
      end
    end)
  end

  describe("podman", function()
    it("runs a busybox container on a network made by scripts/cni/bridge.lua, and leaves nothing", function()
      for _, tool in ipairs { "podman", "crun", "conmon", "busybox" } do
        if not exists("command -v " .. tool) then
          pending(tool .. " is not installed (sh .ci/deps installs it)")
          return
        end
      end
      local before = { netns = netns.list(), links = H.root_links() }
      local dir = scratch .. "/podman"
      H.sh("mkdir -p " .. H.quote(dir))
      local out, ok = H.sh(("PATH=%s:$PATH %s/spec/cni_podman.sh %s %s 2>&1"):format(H.quote(BIN),
        H.quote(ROOT), H.quote(PLUGINS.bridge), H.quote(dir)))
      assert(ok, out)
      assert.truthy(out:find("networks: luanet", 1, true), out)
      assert.truthy(out:find("eth0%s+inet 10%.77%.0%.%d+/24"), out)             -- host-local's address
      assert.truthy(out:find("default via 10.77.0.1 dev eth0", 1, true), out)
      assert.truthy(out:find(" 0% packet loss", 1, true), out)                 -- the gateway answers
      for what in out:gmatch("leftover ([^:]+): [^\n]*%S[^\n]*\n") do
        error("left behind by the container: " .. what .. "\n" .. out)
      end
      assert.truthy(out:find("rc=0\n", 1, true), out)
      assert.are.same(before, { netns = netns.list(), links = H.root_links() })
    end)
  end)
end)
