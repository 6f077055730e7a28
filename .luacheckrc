-- luacheck: `make lint` runs `luacheck lua scripts spec bench` with this.
std = "lua54"
max_line_length = 120

-- nslua preloads the library and makes it the global `netns`: scripts,
-- specs (busted --lua=nslua) and benchmarks run inside it.  The library
-- itself must not rely on that global.
local nslua = { read_globals = { "netns" } }
files["scripts"] = nslua
files["bench"] = nslua

-- busted's globals (describe, it, setup, finally, pending, ...) and the
-- assertions it adds to `assert`.
files["spec"] = { std = "+busted", read_globals = { "netns" } }
