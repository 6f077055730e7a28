-- The bench's topologies, shared by every contender written in Lua (and by
-- the generators of the ip scripts): names, addresses, and what a correct
-- build looks like.
local M = {}

-- star-N: host i's address on eth0, 10.x.y.z/8 with x.y.z = i.
function M.star_cidr(i)
  return ("10.%d.%d.%d/8"):format(i >> 16 & 255, i >> 8 & 255, i & 255)
end

-- pairs-N: pair i's /30 is 10.0.0.0 + 4(i-1); side 1 ends in .1, side 2 in .2.
function M.pair_cidr(i, side)
  local a = 4 * (i - 1) + side
  return ("10.%d.%d.%d/30"):format(a >> 16 & 255, a >> 8 & 255, a & 255)
end

-- The names of every namespace a workload makes, in teardown order.
function M.names(workload, n)
  local out = {}
  if workload == "star" then
    for i = 1, n do out[#out + 1] = "h" .. i end
    out[#out + 1] = "sw"
  elseif workload == "pairs" then
    for i = 1, n do out[#out + 1] = "a" .. i; out[#out + 1] = "b" .. i end
  end
  return out
end

-- The fixture namespaces of dump and exec (made by the driver, not timed).
M.DUMP_NS, M.EXEC_NS = "dump", "ex"
M.DUMP_LINKS = 1000   -- links in the dump namespace (500 veth pairs), each with an address

return M
