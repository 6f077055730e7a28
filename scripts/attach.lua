#!/usr/bin/env nslua
-- Attaching to a namespace someone else made: a long-running program lives
-- in an anonymous namespace (as a container's process does), and all we are
-- given is its pid.  We open its namespace by pid and by path -- the
-- /proc/<pid>/ns/net a container runtime reports as its SandboxKey --, look
-- around, add an address, and see the change through the first handle too.
-- Everything is removed at the end, also when a step fails.
local netns = require "netns"

local function step(fmt, ...)
  print(("==> " .. fmt):format(...))
end

local function show(ns)
  print("    links:")
  for _, l in ipairs(ns:links()) do
    print(("      %d: %-6s %-5s %s"):format(l.ifindex, l.ifname, l.operstate, l.address or ""))
  end
  print("    addresses:")
  for _, a in ipairs(ns:addrs()) do
    print(("      %-6s %s"):format(a.ifname, a.cidr))
  end
  print("    routes:")
  for _, r in ipairs(ns:routes { family = "inet" }) do
    print(("      %s%s dev %s"):format(r.dst, r.gateway and " via " .. r.gateway or "", r.dev))
  end
end

local box, host, by_pid, by_path, proc
local ok, err = pcall(function()
  step("a container: an anonymous namespace with eth0 10.0.3.2/24 and a default route")
  box, host = netns.new(), netns.new()
  box:link_set("lo", { up = true })
  local eth0, veth = box:veth("eth0", "veth-box", { peer_ns = host, up = true })
  eth0:addr_add "10.0.3.2/24"
  veth:addr_add "10.0.3.1/24"
  box:route_add { dst = "default", gateway = "10.0.3.1" }
  print(("    %s"):format(tostring(box)))

  step("its process: sleep 300, started inside it")
  proc = box:spawn { "sleep", "300" }
  print(("    pid %d"):format(proc.pid))

  step("open the namespace of pid %d", proc.pid)
  by_pid = netns.pid(proc.pid)
  local path = ("/proc/%d/ns/net"):format(proc.pid)
  step("open the namespace at %s (a SandboxKey)", path)
  by_path = netns.open(path)
  print(("    namespace %d by pid, %d by path, %d made: %s"):format(by_pid.id, by_path.id, box.id,
    (by_pid == box and by_path == box) and "the same namespace" or "DIFFERENT"))
  assert(by_pid == box and by_path == box, "the handles denote different namespaces")

  step("what is inside (seen through the pid)")
  show(by_pid)
  assert(by_pid:link "eth0", "eth0 is not seen through the pid")

  step("addr add 10.0.3.20/24 dev eth0 (through the path)")
  by_path:addr_add("eth0", "10.0.3.20/24")

  step("eth0's addresses, seen through the first handle")
  local seen = false
  for _, a in ipairs(box:addrs "eth0") do
    print(("      %-6s %s"):format(a.ifname, a.cidr))
    seen = seen or a.cidr == "10.0.3.20/24"
  end
  assert(seen, "the new address is not seen through the first handle")

  step("ping -c 1 10.0.3.20, from the other end of the veth")
  assert(host:exec({ "ping", "-c", "1", "-W", "2", "10.0.3.20" }, { stdout = "null" }),
    "the new address does not answer")
  print("    10.0.3.20 answers")
end)

step("kill the process; close every handle (the kernel then frees both namespaces)")
if proc then
  if proc:running() then proc:kill() end
  local _, how, code = proc:wait()
  print(("    sleep ended: %s %s"):format(how, code))
  if ok and not (how == "signal" and code == 15) then
    ok, err = false, ("sleep ended with %s %s, not by signal 15"):format(how, code)
  end
end
for _, ns in pairs { by_path, by_pid, host, box } do
  ns:close()
end
if proc then
  assert(not pcall(netns.pid, proc.pid), "the process is still there")
end
if not ok then error(err, 0) end
step("done: attached by pid and by path, changed it, and nothing is left")
