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

-- chain-N: link i joins router i (its end "right") to router i+1 (its end
-- "left"), with the /30 10.100.0.0 + 4(i-1): .1 on "right", .2 on "left".
function M.chain_addr(i, side)
  local a = 4 * (i - 1) + side
  return ("10.%d.%d.%d"):format(100 + (a >> 16), a >> 8 & 255, a & 255)
end

function M.chain_cidr(i, side)
  return M.chain_addr(i, side) .. "/30"
end

-- The static routes of router i of chain-N, as { dst =, gateway = }: the
-- first link's subnet via the left neighbour (when it is not connected, i > 2),
-- then the last link's subnet via the right neighbour (when i < N-1).  That
-- is all r1 needs to reach the far end of the chain and rN to answer.
function M.chain_routes(i, n)
  local out = {}
  if i > 2 then out[#out + 1] = { dst = M.chain_addr(1, 0) .. "/30", gateway = M.chain_addr(i - 1, 1) } end
  if i < n - 1 then out[#out + 1] = { dst = M.chain_addr(n - 1, 0) .. "/30", gateway = M.chain_addr(i, 2) } end
  return out
end

-- The names of every namespace a workload makes, in teardown order.
function M.names(workload, n)
  local out = {}
  if workload == "chain" then
    for i = 1, n do out[#out + 1] = "r" .. i end
  elseif workload == "star" then
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
