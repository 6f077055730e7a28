-- nslua must behave like lua5.4: each case runs the same command line
-- through both and compares standard output, standard error and exit
-- status, with the program names made equal.  Then the things nslua
-- adds: the preloaded 'netns', its own options, 'netns.atexit'.

local H = require "helper"
local shell_quote, read_file, write_file = H.quote, H.read_file, H.write_file

local function capture(cmd)
  local p = assert(io.popen(cmd))
  local s = p:read("a")
  p:close()
  return s
end

-- the repository: the parent of the directory holding this file
local function find_repo()
  local source = debug.getinfo(1, "S").source
  local dir = source:match("^@(.*)/[^/]*$") or "."
  return capture("cd " .. shell_quote(dir .. "/..") .. " && pwd"):gsub("\n$", "")
end

local REPO = find_repo()
local NSLUA = os.getenv("NSLUA") or (REPO .. "/build/nslua")
if NSLUA:sub(1, 1) ~= "/" then  -- other tests change directory
  NSLUA = capture("pwd"):gsub("\n$", "") .. "/" .. NSLUA
end
local LUA = "lua5.4"

local temps = {}

local function tmpname()
  local name = os.tmpname()
  temps[#temps + 1] = name
  return name
end

-- a temporary file holding 's'
local function tmpfile(s)
  local name = tmpname()
  write_file(name, s)
  return name
end

local function remove_temps()
  for _, name in ipairs(temps) do os.remove(name) end
  temps = {}
end

--[[
Runs 'prog args' under /bin/sh with no LUA_INIT in the environment;
'opts.env' is a string of NAME=value words put in front, 'opts.stdin'
the text on standard input (else /dev/null), 'opts.dir' where to run.
Returns { out =, err =, code = }.
]]
local function run(prog, args, opts)
  opts = opts or {}
  local out, err = tmpname(), tmpname()
  local input = opts.stdin and tmpfile(opts.stdin) or "/dev/null"
  local cmd = string.format("env -u LUA_INIT -u LUA_INIT_5_4 %s %s %s <%s >%s 2>%s",
    opts.env or "", shell_quote(prog), args or "",
    shell_quote(input), shell_quote(out), shell_quote(err))
  if opts.dir then cmd = "cd " .. shell_quote(opts.dir) .. " && " .. cmd end
  local _, _, code = os.execute(cmd)
  return { out = read_file(out), err = read_file(err), code = code }
end

-- The name nslua gives itself in messages: its argv[0], which is not
-- NSLUA when NSLUA is a wrapper (valgrind runs the binary by its own path).
local self_name = {}
local function name_of(prog)
  if not self_name[prog] then
    local out = run(prog, [[-e 'io.write(arg[0])']]).out   -- with no script, arg[0] is argv[0]
    self_name[prog] = out ~= "" and out or prog
  end
  return self_name[prog]
end

-- 'prog' as the program names itself in messages becomes PROG
local function normalize(result, prog)
  local pattern = name_of(prog):gsub("%p", "%%%0")
  return {
    out = result.out:gsub(pattern, "PROG"),
    err = result.err:gsub(pattern, "PROG"),
    code = result.code,
  }
end

-- runs both interpreters and checks that they did the same
local function same(args, opts)
  local expected = normalize(run(LUA, args, opts), LUA)
  local got = normalize(run(NSLUA, args, opts), NSLUA)
  assert.is_nil(expected.err:match("^sh: "), "the test's command is broken")
  assert.are.same(expected, got)
  return got
end

local function nslua(args, opts)
  return run(NSLUA, args, opts)
end

local function quote(s) return shell_quote(s) end


describe("nslua", function()

  setup(function()
    assert(io.open(NSLUA, "rb"), "no nslua at " .. NSLUA .. ": build it first")
       :close()
  end)

  after_each(remove_temps)

  describe("behaves like lua5.4 with", function()

    it("-v", function()
      local r = same("-v")
      assert.matches("^Lua 5%.4%.%d+  Copyright %(C%) 1994%-%d+ Lua%.org, PUC%-Rio\n$", r.out)
      assert.are.equal(0, r.code)
    end)

    it("-e, several and glued", function()
      same([[-e 'print(1 + 1)']])
      same([[-e 'x = 10' -e 'print(x * 2)' '-eprint(3)']])
      same([[-v -e 'print(arg[-1] ~= nil, arg[0] ~= nil, #arg, ...)']])
    end)

    it("-l mod and -l g=mod", function()
      same([[-l string -e 'print(string == require "string")']])
      same([[-l s=string -e 'print(s.format("%d", 7))']])
      same([[-lstring -e 'print(type(string))']])
      local r = same([[-l no_such_module_here]])
      assert.are.equal(1, r.code)
    end)

    it("--", function()
      local script = tmpfile("print('script', ...)\n")
      same("-- " .. quote(script) .. " a -b --c")
      same([[-e 'print(1)' --]])
      same("--", { stdin = "print('from stdin', #arg)\n" })
    end)

    it("- reading stdin", function()
      local r = same("- a b", { stdin = "print('stdin', arg[0], arg[-1] ~= nil, #arg, ...)\n" })
      assert.matches("stdin\t%-\ttrue\t2\ta\tb", r.out)
      same("", { stdin = "print('no arguments', #arg)\n" })
      same("-- -", { stdin = "print('never')\n" })  -- a file named "-"
      same("-", { stdin = "error('from stdin')\n" })
    end)

    it("a script with arguments and the arg table", function()
      local script = tmpfile([[
        print(arg[-1] ~= nil, arg[0] == select(1, ...) or arg[0], arg[1], #arg, ...)
        for i = -3, #arg do io.write(tostring(arg[i]), " ") end
        print()
        return 1, 2
      ]])
      local r = same("-e 'x = 1' " .. quote(script) .. " one 'two words' '' -e")
      assert.are.equal(0, r.code)
      assert.matches("one\ttwo words\t\t%-e", r.out)
    end)

    it("exit statuses", function()
      assert.are.equal(0, same([[-e 'x = 1']]).code)
      assert.are.equal(1, same([[-e 'error("no")']]).code)
      assert.are.equal(3, same([[-e 'os.exit(3)']]).code)
      assert.are.equal(0, same([[-e 'os.exit(true)']]).code)
      assert.are.equal(1, same([[-e 'os.exit(false)']]).code)
      assert.are.equal(5, same([[-e 'os.exit(5, true)']]).code)
      assert.are.equal(1, same(quote("/nonexistent/script.lua")).code)
    end)

    it("error messages with traceback", function()
      local script = tmpfile([[
        local function inner(t) return t.field.missing end
        local function outer() return inner({}) end
        outer()
      ]])
      local r = same(quote(script))
      assert.matches("attempt to index a nil value", r.err)
      assert.matches("stack traceback:\n", r.err)
      same(quote(tmpfile("x = = 1\n")))                 -- syntax error
      same([[-e 'error("with level 2", 2)']])
      same([[-e 'local co = coroutine.wrap(function() error("in coroutine") end) co()']])
    end)

    it("error objects that are not strings", function()
      same([[-e 'error(setmetatable({}, { __tostring = function() return "custom" end }))']])
      same([[-e 'error({})']])
      same([[-e 'error(nil)']])
      same([[-e 'error(42)']])
      same([[-e 'error(true)']])
      same([[-e 'error(setmetatable({}, { __tostring = function() return 1 end }))']])
    end)

    it("LUA_INIT, LUA_INIT_5_4 and -E", function()
      same([[-e 'print(x)']], { env = [[LUA_INIT='x = "init"']] })
      same([[-e 'print(x)']], { env = [[LUA_INIT='x = 1' LUA_INIT_5_4='x = 2']] })
      local init = tmpfile("x = 'from file'\n")
      same([[-e 'print(x)']], { env = "LUA_INIT=@" .. quote(init) })
      same([[-e 'print(x)']], { env = "LUA_INIT=@/nonexistent/init.lua" })
      local r = same([[-e 'print(x)']], { env = [[LUA_INIT='error("bad init")']] })
      assert.are.equal(1, r.code)
      same([[-E -e 'print(x, package.path == "/nowhere/?.lua")']],
        { env = [[LUA_INIT='x = 1' LUA_PATH='/nowhere/?.lua']] })
    end)

    it("-W", function()
      same([[-W -e 'warn("shown")']])
      same([[-e 'warn("hidden")']])
    end)

    it("bad options: usage and status", function()
      for _, args in ipairs { "-x", "-e", "-l", "-ix", "-vv", "-E1", "--x",
                              "-e -v", "-v -l", "-e 'print(1)' -y script" } do
        local r = same(args)
        assert.are.equal(1, r.code)
        assert.matches("^PROG: .-\nusage: PROG %[options%] %[script %[args%]%]\n", r.err)
      end
    end)

    it("the interactive loop", function()
      local input = table.concat({
        "print(1 + 1)", "= 2 + 3", "1, nil, 'x'", "for i = 1, 2 do", "print(i)", "end",
        "error('typed')", "error({})", "local x <const> = 1; x = 2", "_PROMPT = 'P> '",
        "x = ", "",
      }, "\n")
      -- readline echoes the input and a plain build does not: compare the
      -- output without prompts and echoed lines
      local lines = {}
      for line in input:gmatch("[^\n]+") do lines[line] = true end
      local function results(out)
        local kept = {}
        for line in out:gmatch("[^\n]*") do
          repeat
            local stripped = line:gsub("^>>? ", ""):gsub("^P> ", "")
            local changed = stripped ~= line
            line = stripped
          until not changed
          if line ~= "" and not lines[line] then kept[#kept + 1] = line end
        end
        return kept
      end
      local expected = run(LUA, "-i", { stdin = input })
      local got = run(NSLUA, "-i", { stdin = input })
      assert.are.same(results(expected.out), results(got.out))
      assert.are.equal(expected.code, got.code)
      -- lua5.4 prints "(null)" when the input ends inside a statement
      local function errors(err) return err:gsub("%(null%)\n$", "") end
      assert.are.equal(errors(expected.err), errors(got.err):gsub("stdin:%d+: [^\n]*<eof>\n$", ""))
    end)

    it("loads readline for the prompt only, and edits lines with it there", function()
      local probe = "print('readline', io.open('/proc/self/maps'):read('a'):find('libreadline', 1, true) ~= nil)"
      -- a script never maps it
      assert.are.equal("readline\tfalse\n", run(NSLUA, "-e " .. shell_quote(probe)).out)
      -- the prompt does, when the library is there, and then echoes what it
      -- reads from a pipe, as lua5.4 does
      local r = run(NSLUA, "-i", { stdin = probe .. "\n" })
      local lua = run(LUA, "-i", { stdin = probe .. "\n" })
      local has = os.execute("ldconfig -p | grep -q 'libreadline.so.8 '")
      assert.truthy(r.out:find("readline\t" .. tostring(has and true or false), 1, true), r.out)
      assert.are.equal(lua.out:find(probe, 1, true) ~= nil, r.out:find(probe, 1, true) ~= nil)
    end)

    it("SIGINT: interrupted!, and <close> handlers run", function()
      local script = tmpfile([[
        local marker, ready = ...
        local t <close> = setmetatable({}, { __close = function()
          local f = assert(io.open(marker, "w"))
          f:write("closed")
          f:close()
        end })
        assert(io.open(ready, "w")):close()
        while true do end
      ]])
      local outcome = {}
      for _, prog in ipairs { LUA, NSLUA } do
        local marker, ready, err = tmpname(), tmpname(), tmpname()
        os.remove(marker)
        os.remove(ready)
        local status = capture(string.format([[
          %s %s %s %s 2>%s </dev/null & pid=$!
          i=0
          while [ ! -e %s ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
          kill -INT $pid
          wait $pid
          echo $?]], shell_quote(prog), quote(script), quote(marker), quote(ready),
          quote(err), quote(ready)))
        outcome[#outcome + 1] = normalize({ out = status, err = read_file(err) or "",
                                           code = read_file(marker) }, prog)
      end
      -- the same message and handlers as lua5.4; the status is a shell's
      -- (128 + SIGINT), since nslua scripts are stopped like any program
      assert.are.same(outcome[1].err, outcome[2].err)
      assert.are.same(outcome[1].code, outcome[2].code)
      assert.are.equal("1\n", outcome[1].out)
      assert.are.equal("130\n", outcome[2].out)
      assert.matches("^PROG: interrupted!\nstack traceback:\n", outcome[2].err)
      assert.are.equal("closed", outcome[2].code)
    end)
  end)

  describe("signals", function()
    --[[
    Runs 'prog' on a script (or, with 'opts.repl', as 'prog -i' reading
    lines from a pipe), with 'opts.shell' run before it (a trap), and
    drives it by 'steps': { send = "line" } writes a line to its input,
    "ready" waits for the file the code gives READY, { kill = "INT" }
    signals it, { sleep = s } waits.  Returns { out =, err =, code = } and
    the pins under /run/netns once it ended.
    ]]
    local function session(prog, code, steps, opts)
      opts = opts or {}
      local out, err, ready, fifo = tmpname(), tmpname(), tmpname(), tmpname()
      os.remove(ready)
      os.remove(fifo)
      code = code:gsub("READY", ("%q"):format(ready))
      local script = tmpfile(code)
      local sh = { "trap '' PIPE", "mkfifo " .. quote(fifo) }
      local args = opts.repl and "-i" or quote(script)
      sh[#sh + 1] = ("(%s exec %s %s <%s >%s 2>%s) & pid=$!"):format(opts.shell or "",
        shell_quote(prog), args, quote(fifo), quote(out), quote(err))
      sh[#sh + 1] = "exec 3>" .. quote(fifo)
      for _, step in ipairs(steps) do
        if step == "ready" then
          sh[#sh + 1] = ("i=0; while [ ! -e %s ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done; sleep 0.2")
            :format(quote(ready))
        elseif step.send then
          sh[#sh + 1] = ("printf '%%s\\n' %s >&3 2>/dev/null"):format(shell_quote(step.send:gsub("READY",
            ("%q"):format(ready))))
        elseif step.kill then
          sh[#sh + 1] = "kill -" .. step.kill .. " $pid"
        elseif step.sleep then
          sh[#sh + 1] = "sleep " .. step.sleep
        end
      end
      sh[#sh + 1] = "exec 3>&-; wait $pid; echo $?"
      local status = capture(table.concat(sh, "\n"))
      os.remove(fifo)
      return { out = read_file(out) or "", err = read_file(err) or "", code = tonumber(status) },
        H.sh("ls /run/netns")
    end

    it("an interrupt that a pcall catches stops nothing: status 0, as lua5.4's", function()
      local code = [[
        local ok, err = pcall(function() io.open(READY, "w"):close() while true do end end)
        print("caught", ok, err)
        print("continuing")]]
      local want = session(LUA, code, { "ready", { kill = "INT" } })
      local got = session(NSLUA, code, { "ready", { kill = "INT" } })
      assert.are.same(normalize(want, LUA), normalize(got, NSLUA))
      assert.are.equal(0, got.code)
      assert.matches("continuing", got.out)
    end)

    it("an error after a caught interrupt ends the script with status 1, as lua5.4's", function()
      local code = [[
        pcall(function() io.open(READY, "w"):close() while true do end end)
        error("later")]]
      local want = session(LUA, code, { "ready", { kill = "INT" } })
      local got = session(NSLUA, code, { "ready", { kill = "INT" } })
      assert.are.equal(want.code, got.code)
      assert.are.equal(1, got.code)
      assert.matches("^PROG: [^\n]*:2: later\nstack traceback:", normalize(got, NSLUA).err)
      -- re-raised, the interrupt still stops the script as a signal does
      got = session(NSLUA, [[
        local _, err = pcall(function() io.open(READY, "w"):close() while true do end end)
        error(err, 0)]], { "ready", { kill = "INT" } })
      assert.are.equal(130, got.code)
    end)

    it("a second Ctrl-C stops one <close> handler; the rest and the teardown still run", function()
      local got, pins = session(NSLUA, [[
        local t <close> = netns.topology { prefix = "int2-" }
        t:host "a"
        local slow <close> = setmetatable({}, { __close = function()
          local t0 = os.time()
          while os.time() - t0 < 5 do end
        end })
        io.open(READY, "w"):close()
        while true do end]], { "ready", { kill = "INT" }, { sleep = 0.5 }, { kill = "INT" } })
      assert.are.equal(130, got.code)
      assert.matches("interrupted!", got.err)
      assert.are.equal("", pins)
    end)

    it("a signal during the teardown at the script's end stops a step and exits 128 + it", function()
      local got, pins = session(NSLUA, [[
        netns.topology { prefix = "endsig-" }:host "a"
        local teardown = netns.atexit
        netns.atexit = function(...)
          io.open(READY, "w"):close()
          pcall(function() local t0 = os.time() while os.time() - t0 < 5 do end end)
          return teardown(...)
        end]], { "ready", { kill = "TERM" } })
      assert.are.equal(143, got.code)
      assert.are.equal("", pins)
    end)

    -- Calls that wait for the world outside Lua: a signal is not held up by them.
    for _, case in ipairs {
      { "a ping, not run to its timeout", "INT", 130, [[
        local ns = netns.topology { prefix = "pingsig-" }:host "a"
        ns:veth("v0", "v1", { up = true })
        ns:addr_add("v0", "10.0.0.1/24")
        io.open(READY, "w"):close()
        print(ns:ping("10.0.0.2", { timeout = 30 }))]] },
      { "a popen's program, which is killed with its pipeline", "TERM", 143, [[
        local ns = netns.topology { prefix = "popsig-" }:host "a"
        local f = ns:popen("sleep 30.125; echo done")
        io.open(READY, "w"):close()
        f:read("a")]] },
      -- the collector closes the dropped file while the teardown runs
      { "a popen's program the stopped script dropped", "TERM", 143, [[
        local ns = netns.topology { prefix = "popgc-" }:host "a"
        local atexit = netns.atexit
        netns.atexit = function(ok) collectgarbage() collectgarbage() return atexit(ok) end
        do
          local f = ns:popen("sleep 30.125; echo done")
          io.open(READY, "w"):close()
          f:read("a")
        end]] },
    } do
      it("a signal is not held up by " .. case[1], function()
        local started = os.time()
        local got, pins = session(NSLUA, case[4], { "ready", { kill = case[2] } })
        assert.are.equal(case[3], got.code)
        assert.is_true(os.time() - started < 15, "nslua waited")
        assert.are.equal("", pins)
        assert.is_nil(H.sh("ps -eo args"):find("sleep 30.125", 1, true))
      end)
    end

    it("an interrupt whose teardown then fails still exits 128 + the signal", function()
      local got = session(NSLUA, [[
        netns.atexit = function() error("teardown step failed", 0) end
        io.open(READY, "w"):close()
        while true do end]], { "ready", { kill = "INT" } })
      assert.are.equal(130, got.code)
    end)

    it("a SIGTERM after a caught SIGINT is terminated! and 128 + SIGTERM", function()
      local got = session(NSLUA, [[
        pcall(function() io.open(READY, "w"):close() while true do end end)
        os.remove(READY)
        io.open(READY, "w"):close()
        while true do end]], { "ready", { kill = "INT" }, { sleep = 0.3 }, "ready", { kill = "TERM" } })
      assert.are.equal(143, got.code)
      assert.matches("^PROG: [^\n]*terminated!\nstack traceback:", normalize(got, NSLUA).err)
    end)

    it("a SIGTERM that a pcall catches raises again at a second one, and still ends with 143", function()
      local got, pins = session(NSLUA, [[
        netns.topology{ prefix = "term-" }:host "a"
        for i = 1, 2 do
          local _, err = pcall(function() io.open(READY, "w"):close() while true do end end)
          os.remove(READY)
          print(i, err)
        end
        print("went on")]],
        { "ready", { kill = "TERM" }, { sleep = 0.3 }, "ready", { kill = "TERM" } })
      assert.are.equal(143, got.code)
      assert.matches("^1\t[^\n]*terminated!\n2\t[^\n]*terminated!\nwent on\n$", got.out)
      assert.are.equal("", pins)   -- torn down before the exit
      -- a third one kills: a script that catches every error still ends
      got = session(NSLUA, [[
        while true do
          pcall(function() io.open(READY, "w"):close() while true do end end)
          os.remove(READY)
        end]], { "ready", { kill = "TERM" }, { sleep = 0.3 }, "ready", { kill = "TERM" },
                 { sleep = 0.3 }, "ready", { kill = "TERM" } })
      assert.are.equal(143, got.code)
    end)

    it("SIGHUP and SIGTERM that the caller ignores (nohup) stay ignored, as in lua5.4", function()
      local code = [[
        io.open(READY, "w"):close()
        local t = os.time()
        while os.time() - t < 2 do end
        print("survived")]]
      local steps = { "ready", { kill = "HUP" }, { kill = "TERM" } }
      for _, prog in ipairs { LUA, NSLUA } do
        local r = session(prog, code, steps, { shell = "trap '' HUP TERM;" })
        assert.are.same({ out = "survived\n", err = "", code = 0 }, r, prog)
      end
    end)

    describe("in the REPL", function()
      local build = 't = netns.build { prefix = "rs-", hosts = { h1 = {} } } io.open(READY, "w"):close()'

      it("a signal at the prompt, or at a continuation's, ends the session with the teardown", function()
        for _, case in ipairs { { "HUP", 129 }, { "TERM", 143 }, { "INT", 130, "do" } } do
          local r, pins = session(NSLUA, "", { { send = build }, "ready", { send = case[3] or "" },
            { sleep = 0.2 }, { kill = case[1] }, { sleep = 0.2 }, { send = 'print("still here")' } },
            { repl = true })
          assert.are.equal(case[2], r.code, r.err)
          assert.is_nil(r.out:find("still here", 1, true))
          assert.are.equal("", pins)
        end
      end)

      it("SIGTERM during a statement ends the session, not only the statement", function()
        local r, pins = session(NSLUA, "", { { send = build }, "ready",
          { send = 'os.remove(READY) io.open(READY, "w"):close() while true do end' }, "ready",
          { kill = "TERM" }, { sleep = 0.2 }, { send = 'print("still here")' } }, { repl = true })
        assert.are.equal(143, r.code)
        assert.matches("terminated!", r.err)
        assert.is_nil(r.out:find("still here", 1, true))
        assert.are.equal("", pins)
        -- also when a pcall of the statement caught it
        r, pins = session(NSLUA, "", { { send = build }, "ready",
          { send = 'os.remove(READY) print(pcall(function() io.open(READY, "w"):close() while true do end end))' },
          "ready", { kill = "TERM" }, { sleep = 0.2 }, { send = 'print("still here")' } }, { repl = true })
        assert.are.equal(143, r.code)
        assert.matches("false\t[^\n]*terminated!", r.out)
        assert.is_nil(r.out:find("still here", 1, true))
        assert.are.equal("", pins)
      end)

      it("SIGINT during a statement stops it, and the session goes on, as in lua5.4", function()
        local steps = { { send = 'io.open(READY, "w"):close() while true do end' }, "ready",
          { kill = "INT" }, { sleep = 0.2 }, { send = 'print("after")' } }
        for _, prog in ipairs { LUA, NSLUA } do
          local r = session(prog, "", steps, { repl = true })
          assert.are.equal(0, r.code, prog)
          assert.matches("interrupted!", r.err)
          assert.matches("\nafter\n", r.out)
        end
      end)
    end)
  end)

  describe("its own", function()

    it("--help lists all options and exits 0", function()
      local r = nslua("--help")
      assert.are.equal(0, r.code)
      assert.are.equal("", r.err)
      for _, opt in ipairs { "-e stat", "-i", "-l mod", "-l g=mod", "-v", "-E", "-W",
                             "--keep", "--cleanup %[prefix%]", "--graph FILE",
                             "--quiet", "--help", "--  ", "-  " } do
        assert.matches("\n  " .. opt:gsub("%-", "%%-"), r.out)
      end
      assert.matches("^usage: ", r.out)
    end)

    it("global netns is require 'netns'", function()
      local r = nslua([[-e 'print(type(netns), netns == require "netns", package.loaded.netns == netns)']])
      assert.are.equal("table\ttrue\ttrue\n", r.out)
      assert.are.equal(0, r.code)
    end)

    it("the embedded modules report their errors at their source lines", function()
      -- The modules are built in precompiled, with their debug information.
      local r = nslua([[-e 'require("netns.topology").build(5)']], { dir = "/tmp" })
      assert.are.equal(1, r.code)
      local file, line = r.err:match("\n\t(netns/topology%.lua):(%d+): in function 'netns%.topology%.build'")
      assert.are.equal("netns/topology.lua", file, r.err)
      local lines = {}
      for text in (read_file(REPO .. "/lua/" .. file) .. "\n"):gmatch("([^\n]*)\n") do
        lines[#lines + 1] = text
      end
      assert.matches("bad argument #1 to 'build' %(table expected%)", lines[tonumber(line)])
      local where = nslua([[-e 'local i = debug.getinfo(netns.add, "S") print(i.source, i.what)']])
      assert.are.equal("@netns/init.lua\tLua\n", where.out)
    end)

    it("embed.lua refuses to compile for another Lua", function()
      local out = tmpname()
      os.remove(out)
      local r = run(LUA, table.concat({ quote(REPO .. "/lua/embed.lua"), "5.3", quote(out),
                                        "netns=" .. quote(REPO .. "/lua/netns/init.lua") }, " "))
      assert.are.same({ out = "", code = 1,
                        err = "embed.lua: runs under Lua 5.4, but nslua links Lua 5.3, which cannot "
                           .. "load what this one compiles: set LUA to that Lua's interpreter\n" }, r)
      assert.is_nil(io.open(out, "rb"), "no output is left behind")
    end)

    it("netns works from another directory with no LUA_PATH", function()
      local r = nslua([[-e 'print(type(netns), type(require "netns.core"))']],
        { dir = "/tmp", env = "-u LUA_PATH -u LUA_CPATH -u LUA_PATH_5_4 -u LUA_CPATH_5_4" })
      assert.are.same({ out = "table\ttable\n", err = "", code = 0 }, r)
      r = nslua([[-E -e 'print(type(netns))']], { dir = "/" })
      assert.are.same({ out = "table\n", err = "", code = 0 }, r)
    end)

    it("options reach package.loaded['netns.host']", function()
      local show = [[-e 'local h = package.loaded["netns.host"]
        print(h.keep, h.quiet, h.graph, h.cleanup)']]
      assert.are.equal("false\tfalse\tnil\tfalse\n", nslua(show).out)
      local graph = tmpname()
      local r = nslua("--keep --quiet --graph " .. quote(graph) .. " " .. show)
      assert.are.equal("true\ttrue\t" .. graph .. "\tfalse\n", r.out)
      r = nslua("--graph=" .. quote(graph) .. " " .. show)
      assert.are.equal("false\tfalse\t" .. graph .. "\tfalse\n", r.out)
    end)

    it("options after the script are the script's", function()
      local script = tmpfile("print(package.loaded['netns.host'].keep, ...)\n")
      local r = nslua(quote(script) .. " --keep -e x")
      assert.are.same({ out = "false\t--keep\t-e\tx\n", err = "", code = 0 }, r)
      r = nslua("--keep " .. quote(script) .. " a")
      assert.are.same({ out = "true\ta\n", err = "", code = 0 }, r)
      r = nslua("--keep -", { stdin = "print(netns.host == nil, arg[-1], ...)" })
      assert.are.equal(0, r.code)
    end)

    it("usage errors for its options", function()
      for _, args in ipairs { "--graph", "--graph -e x", "--keep=1", "--kee", "--graph=" } do
        local r = nslua(args)
        assert.are.equal(1, r.code)
        assert.are.equal("", r.out)
        assert.matches("\nusage: ", r.err)
      end
      assert.matches("'%-%-graph' needs argument", nslua("--graph").err)
    end)

    it("--graph to a file it cannot write fails before the script runs", function()
      local r = nslua("--graph /nonexistent/g.dot -e 'print(\"ran\")'")
      assert.are.same({ out = "", code = 1 }, { out = r.out, code = r.code })
      assert.matches(": %-%-graph /nonexistent/g%.dot: No such file or directory\n$", r.err)
    end)

    describe("netns.atexit", function()
      local hook = [[-e 'netns.atexit = function(ok) print("atexit", ok) end' ]]

      it("runs with true after success, after -i too", function()
        assert.are.same({ out = "atexit\ttrue\n", err = "", code = 0 }, nslua(hook))
        local r = nslua(hook .. "-i", { stdin = "" })
        assert.matches("atexit\ttrue\n$", r.out)
      end)

      it("runs with false after an error, and keeps status 1", function()
        local r = nslua(hook .. [[-e 'error("boom")']])
        assert.are.equal("atexit\tfalse\n", r.out)
        assert.are.equal(1, r.code)
        assert.matches("boom", r.err)
      end)

      it("errors in it are reported, status 1", function()
        local r = nslua([[-e 'netns.atexit = function() error("in atexit") end']])
        assert.are.equal(1, r.code)
        assert.matches(": %(command line%):1: in atexit\nstack traceback:", r.err)
      end)

      it("os.exit skips it, unless it closes the state", function()
        assert.are.same({ out = "", err = "", code = 0 }, nslua(hook .. "-e 'os.exit(0)'"))
        local close = [[local t <close> = setmetatable({}, { __close = function() print("closed") end })]]
        local r = nslua(hook .. "-e '" .. close .. " os.exit(2, true)'")
        assert.are.same({ out = "closed\natexit\ttrue\n", err = "", code = 2 }, r)
      end)

      it("runs after SIGINT", function()
        local ready, out = tmpname(), tmpname()
        os.remove(ready)
        local status = capture(string.format([[
          %s %s -e 'io.open(%q, "w"):close() while true do end' >%s 2>/dev/null </dev/null & pid=$!
          i=0
          while [ ! -e %s ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
          kill -INT $pid
          wait $pid
          echo $?]], shell_quote(NSLUA), hook, ready, quote(out), quote(ready)))
        assert.are.equal("130\n", status)
        assert.are.equal("atexit\tfalse\n", read_file(out))
      end)
    end)

    it("--cleanup runs netns.cleanup and no script", function()
      -- inside a private mount namespace, with an empty /run
      local sandbox = "unshare --mount --propagation private"
      local probe = "true"
      if not os.execute(sandbox .. " " .. probe .. " 2>/dev/null") then
        sandbox = sandbox .. " --user --map-root-user"
        if not os.execute(sandbox .. " " .. probe .. " 2>/dev/null") then
          pending("cannot make a private mount namespace here")
          return
        end
      end
      local function cleanup(args)
        local out, err = tmpname(), tmpname()
        local _, _, code = os.execute(string.format(
          "%s sh -c %s >%s 2>%s </dev/null", sandbox,
          shell_quote("mount -t tmpfs tmpfs /run && exec " .. shell_quote(NSLUA) .. " " .. args),
          quote(out), quote(err)))
        return { out = read_file(out), err = read_file(err), code = code }
      end
      assert.are.same({ out = "", err = "", code = 0 }, cleanup("--cleanup nslua-spec-"))
      assert.are.same({ out = "", err = "", code = 0 }, cleanup("--cleanup"))
    end)

    it("refuses options that the modes would pass over", function()
      -- --cleanup, --monitor and --cni run no code of the user's; nothing runs, nothing is removed
      local function refused(args)
        local out, err = tmpname(), tmpname()
        local _, _, code = os.execute(("%s %s >%s 2>%s </dev/null"):format(
          shell_quote(NSLUA), args, quote(out), quote(err)))
        return { out = read_file(out), err = read_file(err):gsub("^[^:]*: ", ""), code = code }
      end
      local misfit = "-e, -l, -i, -v, --keep and --graph do not go with --cleanup, --monitor or --cni\n"
      for _, args in ipairs { [[--cleanup nslua-spec- -e 'print("ran")']], "-v --cni plugin.lua",
                              "-l string --monitor", "--keep --cleanup", "--graph g.dot --monitor",
                              "--monitor --json -i" } do
        assert.are.same({ out = "", err = misfit, code = 1 }, refused(args), args)
      end
      assert.are.same({ out = "", err = "--cleanup takes one prefix\n", code = 1 },
        refused("--cleanup nslua-spec- extra"))
      assert.are.same({ out = "", err = "--cleanup, --monitor and --cni exclude each other\n", code = 1 },
        refused("--monitor --cleanup"))
      for _, args in ipairs { "--json --cni plugin.lua", "--json -e 'print(1)'", "--json --cleanup" } do
        assert.are.same({ out = "", err = "--json needs --monitor\n", code = 1 }, refused(args), args)
      end
    end)
  end)
end)
