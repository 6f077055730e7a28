#!/usr/bin/env nslua
-- The sidecar pattern: an application and its sidecar are two programs
-- started in one namespace, so they share its loopback.  The application
-- listens on 127.0.0.1 only; the sidecar reaches it there.  A program in
-- another namespace has a loopback of its own and cannot.  Everything is
-- removed at the end, also when a step fails.
local netns = require "netns"

local PORT = "8080"

local function step(fmt, ...)
  print(("==> " .. fmt):format(...))
end

-- The application: answers each connection with a greeting naming what it read.
local SERVER = [[
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen()
while True:
    c, _ = s.accept()
    with c:
        who = c.recv(1024).decode()
        c.sendall(("app says hello to " + who).encode())
]]

-- A client: connects to 127.0.0.1:PORT (trying again for a few seconds,
-- while the application starts), prints the answer; exits 1 if it cannot.
local CLIENT = [[
import socket, sys, time
port, who, patience = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
deadline = time.monotonic() + patience
while True:
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        break
    except OSError as e:
        if time.monotonic() >= deadline:
            print("    " + who + ": cannot connect to 127.0.0.1:%d: %s" % (port, e.strerror))
            sys.exit(1)
        time.sleep(0.1)
c.sendall(who.encode())
c.shutdown(socket.SHUT_WR)
print("    " + who + ": " + c.recv(1024).decode())
]]

local app, other, server
local ok, err = pcall(function()
  step("netns add app; netns add other (each with lo up)")
  app, other = netns.add "app", netns.add "other"
  app:link_set("lo", { up = true })
  other:link_set("lo", { up = true })

  local found = app:exec({ "python3", "-c", "" }, { stdout = "null", stderr = "null" })
  assert(found, "this walkthrough needs python3 for its small server and clients")

  step("app: start the application, listening on 127.0.0.1:%s", PORT)
  server = app:spawn { "python3", "-c", SERVER, PORT }
  local where <close> = netns.pid(server.pid)
  print(("    pid %d, in namespace %d (app is %d)"):format(server.pid, where.id, app.id))
  assert(where == app, "the application is not in namespace app")

  step("app: start the sidecar, which connects to 127.0.0.1:%s", PORT)
  local answer = app:output { "python3", "-c", CLIENT, PORT, "sidecar", "5" }
  io.write(answer)
  assert(answer == "    sidecar: app says hello to sidecar\n", "the sidecar got no answer")

  step("other: a program in another namespace connects to 127.0.0.1:%s", PORT)
  local reached, how, code = other:exec { "python3", "-c", CLIENT, PORT, "other", "1" }
  assert(not reached and how == "exit" and code == 1,
    ("the program in namespace other was not refused (%s %s %s)"):format(reached, how, code))
  print("    refused: its loopback is not the application's")

  assert(server:running(), "the application stopped")
end)

step("stop the application; netns del app; netns del other")
if server then
  server:kill()
  server:wait()
end
for _, ns in ipairs { app, other } do
  if ns then ns:delete() end
end
for _, name in ipairs { "app", "other" } do
  assert(not netns.exists(name), "namespace " .. name .. " left behind")
end
if not ok then error(err, 0) end
step("done: the sidecar shared the application's loopback, the outsider did not")
