rockspec_format = "3.0"
package = "netns"
version = "scm-1"
source = {
   url = "git+https://example.invalid/netns.git",
}
description = {
   summary = "Linux network namespaces, links, addresses, routes and neighbours from Lua",
   detailed = [[
      Creates and tears down network namespaces, veth pairs, bridges, addresses,
      routes and neighbour entries by speaking rtnetlink directly (over libmnl),
      and runs programs inside namespaces as `ip netns exec` does.
   ]],
   license = "MIT",
}
supported_platforms = { "linux" }
dependencies = {
   "lua >= 5.4",
}
external_dependencies = {
   MNL = { header = "libmnl/libmnl.h", library = "mnl" },
}
build = {
   type = "builtin",
   modules = {
      ["netns"] = "lua/netns/init.lua",
      ["netns.topology"] = "lua/netns/topology.lua",
      ["netns.events"] = "lua/netns/events.lua",
      -- CNI plugins in Lua; needs lua-cjson at run time (Debian: lua-cjson).
      ["netns.cni"] = "lua/netns/cni.lua",
      ["netns.core"] = {
         sources = {
            "core/addr.c", "core/link.c", "core/monitor.c", "core/neigh.c", "core/nl.c",
            "core/ns.c", "core/ping.c", "core/proc.c", "core/qdisc.c", "core/route.c",
            "core/rule.c", "core/util.c",
            "lua/lerror.c", "lua/lmonitor.c", "lua/lnetns.c", "lua/lping.c", "lua/lproc.c",
            "lua/lroute.c", "lua/lrule.c", "lua/lshape.c",
         },
         libraries = { "mnl", "pthread" },
         incdirs = { "$(MNL_INCDIR)" },
         libdirs = { "$(MNL_LIBDIR)" },
      },
   },
   -- lua-language-server annotations, kept in the rock's own directory.
   copy_directories = { "types" },
}
