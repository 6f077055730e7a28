-- The walkthroughs in scripts/: each runs to the end with build/nslua
-- (these specs already run inside the sandbox), prints what it shows, and
-- leaves no namespace and no link behind -- also when a step fails.
local H = require "helper"

local NSLUA = H.nslua

local function read(path)
  local f = assert(io.open(path))
  local s = f:read("a")
  f:close()
  return s
end

-- Runs scripts/@name with nslua, @pre (a chunk for -e) first if given;
-- returns its output (stdout and stderr) and exit code.
local function run(name, pre)
  local cmd = ("cd %s && %s %s scripts/%s 2>&1"):format(H.quote(H.root), H.quote(NSLUA),
    pre and ("-e " .. H.quote(pre)) or "", name)
  local out, _, _, code = H.sh(cmd)
  return out, code
end

local function lines_in(out, expected)
  for _, line in ipairs(expected) do
    assert(out:find(line, 1, true), ("missing line %q in:\n%s"):format(line, out))
  end
end

local function count(out, text)
  local n, at = 0, 1
  while true do
    local s, e = out:find(text, at, true)
    if not s then return n end
    n, at = n + 1, e + 1
  end
end

local SCRIPTS = {
  ["demo.lua"] = {
    lines = {
      "==> netns add red; netns add blue",
      "==> ping -c 3 192.168.10.2, from red",
      "192.168.10.2/24",
      "==> netns del red; netns del blue",
      "==> done: the ping crossed and nothing is left",
    },
    -- a step to break: the ping
    sabotage = "NS.exec",
  },
  ["router.lua"] = {
    lines = {
      "==> router: sysctl net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1",
      "    default via 10.1.0.1 dev eth0",
      "    default via fd01::1 dev eth0 metric 1024",
      "    10.1.0.0/24 dev eth1 proto kernel scope link src 10.1.0.1",
      "    10.2.0.0/24 dev eth2 proto kernel scope link src 10.2.0.1",
      "    default via 10.2.0.1 dev eth0",
      "==> h1: ping -c 3 10.2.0.2",
      "==> h2: ping -c 3 fd01::2",
      "==> done: h1 and h2 reached each other through the router, and nothing is left",
    },
    counts = { ["3 packets transmitted, 3 received"] = 4, ["with ttl 63: one router in between"] = 4 },
    sabotage = "NS.output",
  },
  ["sidecar.lua"] = {
    lines = {
      "==> app: start the application, listening on 127.0.0.1:8080",
      "    sidecar: app says hello to sidecar",
      "    other: cannot connect to 127.0.0.1:8080: Connection refused",
      "    refused: its loopback is not the application's",
      "==> done: the sidecar shared the application's loopback, the outsider did not",
    },
    sabotage = "NS.output",
  },
  ["attach.lua"] = {
    lines = {
      "==> open the namespace of pid ",
      "==> open the namespace at /proc/",
      "made: the same namespace",
      "      default via 10.0.3.1 dev eth0",
      "      eth0   10.0.3.20/24",
      "    10.0.3.20 answers",
      "    sleep ended: signal 15",
      "==> done: attached by pid and by path, changed it, and nothing is left",
    },
    sabotage = "NS.addr_add",
  },
}

local ORDER = { "demo.lua", "router.lua", "sidecar.lua", "attach.lua" }

describe("scripts", function()
  for _, name in ipairs(ORDER) do
    local want = SCRIPTS[name]

    describe(name, function()
      it("is an nslua script that uses the netns API alone", function()
        local text = read(H.root .. "/scripts/" .. name)
        assert.equal("#!/usr/bin/env nslua\n", text:match("^[^\n]*\n"))
        assert.is_nil(text:find("os.execute", 1, true), "runs a shell command")
        assert.is_nil(text:find("io.popen", 1, true), "runs a shell command")
        assert.is_nil(text:find("[\"']ip[\"']"), "runs ip")
      end)

      it("runs to the end, shows what it did and leaves nothing behind", function()
        local links = H.root_links()
        local out, code = run(name)
        assert.equal(0, code, out)
        lines_in(out, want.lines)
        for text, n in pairs(want.counts or {}) do
          assert.equal(n, count(out, text), ("%q in:\n%s"):format(text, out))
        end
        assert.equal("", (H.sh("ip netns list")))
        assert.same(links, H.root_links())
      end)

      it("fails with a message when a step fails, and still leaves nothing behind", function()
        local links = H.root_links()
        local pre = ("local netns = require 'netns'; netns.%s = function() " ..
          "error('sabotaged step', 2) end"):format(want.sabotage)
        local out, code = run(name, pre)
        assert.are_not.equal(0, code, out)
        assert.matches("sabotaged step", out, 1, true)
        assert.is_nil(out:find("==> done", 1, true), out)
        assert.equal("", (H.sh("ip netns list")))
        assert.same(links, H.root_links())
      end)
    end)
  end
end)
