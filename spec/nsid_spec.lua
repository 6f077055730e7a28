-- Namespace ids: ns:nsid(other [, id]) as `ip netns set` and `ip netns
-- list-id`, and link records' link_netns, the peer's handle.
local H = require "helper"
local netns = require "netns"

describe("ns:nsid", function()
  local a, b
  before_each(function()
    a, b = netns.add("id-a"), netns.add("id-b")
  end)
  after_each(function()
    a:delete()
    b:delete()
  end)

  -- What `ip -n <ns> netns list-id` says of the other namespaces, name -> id.
  local function list_id(ns)
    local out = {}
    for _, rec in ipairs(H.ip(ns, "netns list-id")) do out[rec.name] = rec.nsid end
    return out
  end

  it("is nil until an id is assigned, then the id ip shows", function()
    assert.is_nil(a:nsid(b))
    assert.is_nil(a:nsid(b, false))   -- false asks for none, as nil does
    assert.are.same({}, list_id(a))
    assert.are.equal(5, a:nsid(b, 5))
    assert.are.equal(5, a:nsid(b))
    assert.are.same({ ["id-b"] = 5 }, list_id(a))
    -- ids are per namespace: b does not know a under any id yet
    assert.is_nil(b:nsid(a))
  end)

  it("lets the kernel pick an id when asked with true", function()
    local id = b:nsid(a, true)
    assert.is_true(math.type(id) == "integer" and id >= 0)
    assert.are.same({ ["id-a"] = id }, list_id(b))
  end)

  it("refuses a second id with the kernel's reason, and keeps the first", function()
    a:nsid(b, 5)
    H.raises("netns: netns set id-b 6 (in id-a): File exists [EEXIST]: " ..
      "Peer netns already has a nsid assigned",
      a.nsid, a, b, 6)
    H.raises("netns: netns set id-b auto (in id-a): File exists [EEXIST]: " ..
      "Peer netns already has a nsid assigned",
      a.nsid, a, b, true)
    assert.are.equal(5, a:nsid(b))
  end)

  it("rejects bad arguments before anything changes", function()
    H.raises("bad argument #1 to 'nsid' (namespace handle expected, got no value)", a.nsid, a)
    H.raises("bad argument #1 to 'nsid' (namespace handle expected, got string)", a.nsid, a, "id-b")
    H.raises("bad argument #2 to 'nsid' (invalid namespace id)", a.nsid, a, b, -2)
    H.raises("bad argument #2 to 'nsid' (number expected, got string)", a.nsid, a, b, "five")
    assert.are.same({}, list_id(a))
  end)

  it("resolves a veth's link_netnsid to the handle of the peer's namespace", function()
    local c = netns.new()
    finally(function() c:close() end)
    a:veth("v0", "v1", { peer_ns = b })
    local v0, v1 = a:link("v0"), b:link("v1")
    assert.are.equal(a:nsid(b), v0.link_netnsid)
    assert.are.equal(b, v0.link_netns)
    assert.are.equal(a, v1.link_netns)
    assert.is_nil(a:link("lo").link_netns)
    -- a namespace this process holds no handle on resolves to nothing
    c:veth("w0", "w1", { peer_ns = b })
    c:close()
    assert.is_nil(b:link("w1").link_netns)
  end)
end)
