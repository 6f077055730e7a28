"""Contender: pyroute2 (Debian's python3-pyroute2) by its fastest public path.

    python3 bench/pyroute2_bench.py star|pairs|chain N [build|teardown|both]
    python3 bench/pyroute2_bench.py dump|exec NAME COUNT

Namespaces are made with netns.create and removed with netns.remove; each
gets one IPRoute socket, opened inside it between netns.pushns and
netns.popns (given an open descriptor, which spares pyroute2 a listing of
/run/netns on every switch).  The NetNS class would add a helper process
per namespace.  Programs run with NSPopen, pyroute2's `ip netns exec`.
pyroute2 has no sysctl call: a router's forwarding is written to /proc/sys
while pushns has the process inside it, where its IPRoute is opened.
"""
import os
import sys

from pyroute2 import IPRoute, NSPopen, netns

RUN_DIR = "/run/netns"


def open_ns(name):
    return os.open(os.path.join(RUN_DIR, name), os.O_RDONLY | os.O_CLOEXEC)


def iproute_in(fd, forward=False):
    """An IPRoute whose socket lives in namespace @fd (with IPv4 forwarding
    turned on there first when @forward: /proc/sys/net is the opener's)."""
    netns.pushns(fd)
    try:
        if forward:
            with open("/proc/sys/net/ipv4/ip_forward", "w") as f:
                f.write("1")
        return IPRoute()
    finally:
        netns.popns()


def star_cidr(i):
    return "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255), 8


def pair_cidr(i, side):
    a = 4 * (i - 1) + side
    return "10.%d.%d.%d" % (a >> 16 & 255, a >> 8 & 255, a & 255), 30


def chain_addr(i, side):
    a = 4 * (i - 1) + side
    return "10.%d.%d.%d" % (100 + (a >> 16), a >> 8 & 255, a & 255)


def chain_routes(i, n):
    """Router @i's routes in chain-N, as bench/topo.lua's chain_routes."""
    out = []
    if i > 2:
        out.append((chain_addr(1, 0) + "/30", chain_addr(i - 1, 1)))
    if i < n - 1:
        out.append((chain_addr(n - 1, 0) + "/30", chain_addr(i, 2)))
    return out


def star(n, build, teardown):
    if build:
        netns.create("sw")
        swfd = open_ns("sw")
        sw = iproute_in(swfd)
        sw.link("add", ifname="br0", kind="bridge", state="up")
        br0 = sw.link_lookup(ifname="br0")[0]
        for i in range(1, n + 1):
            name = "h%d" % i
            netns.create(name)
            fd = open_ns(name)
            sw.link("add", ifname="p%d" % i, kind="veth", master=br0, state="up",
                    peer={"ifname": "eth0", "net_ns_fd": fd})
            h = iproute_in(fd)
            eth0 = h.link_lookup(ifname="eth0")[0]
            address, plen = star_cidr(i)
            h.addr("add", index=eth0, address=address, prefixlen=plen)
            h.link("set", index=eth0, state="up")
            h.link("set", index=h.link_lookup(ifname="lo")[0], state="up")
            h.close()
            os.close(fd)
        sw.close()
        os.close(swfd)
    if teardown:
        for i in range(1, n + 1):
            netns.remove("h%d" % i)
        netns.remove("sw")


def pairs(n, build, teardown):
    if build:
        for i in range(1, n + 1):
            names = ("a%d" % i, "b%d" % i)
            for name in names:
                netns.create(name)
            fds = [open_ns(name) for name in names]
            a = iproute_in(fds[0])
            a.link("add", ifname="veth0", kind="veth", state="up",
                   peer={"ifname": "veth1", "net_ns_fd": fds[1]})
            b = iproute_in(fds[1])
            for ipr, ifname, side in ((a, "veth0", 1), (b, "veth1", 2)):
                index = ipr.link_lookup(ifname=ifname)[0]
                address, plen = pair_cidr(i, side)
                ipr.addr("add", index=index, address=address, prefixlen=plen)
                ipr.link("set", index=index, state="up")
                ipr.link("set", index=ipr.link_lookup(ifname="lo")[0], state="up")
                ipr.close()
            for fd in fds:
                os.close(fd)
    if teardown:
        for i in range(1, n + 1):
            netns.remove("a%d" % i)
            netns.remove("b%d" % i)


def chain(n, build, teardown):
    def finish(ipr, fd, i):
        for dst, gateway in chain_routes(i, n):
            ipr.route("add", dst=dst, gateway=gateway)
        ipr.close()
        os.close(fd)

    if build:
        prev = prev_fd = None
        for i in range(1, n + 1):
            name = "r%d" % i
            netns.create(name)
            fd = open_ns(name)
            r = iproute_in(fd, forward=True)
            r.link("set", index=r.link_lookup(ifname="lo")[0], state="up")
            if prev is not None:
                prev.link("add", ifname="right", kind="veth", state="up",
                          peer={"ifname": "left", "net_ns_fd": fd})
                right = prev.link_lookup(ifname="right")[0]
                prev.addr("add", index=right, address=chain_addr(i - 1, 1), prefixlen=30)
                left = r.link_lookup(ifname="left")[0]
                r.addr("add", index=left, address=chain_addr(i - 1, 2), prefixlen=30)
                r.link("set", index=left, state="up")
                finish(prev, prev_fd, i - 1)
            prev, prev_fd = r, fd
        finish(prev, prev_fd, n)
    if teardown:
        for i in range(1, n + 1):
            netns.remove("r%d" % i)


def dump(name, count):
    fd = open_ns(name)
    ipr = iproute_in(fd)
    links = addrs = 0
    for _ in range(count):
        links += len(ipr.get_links())
        addrs += len(ipr.get_addr())
    ipr.close()
    print("%d links, %d addresses per dump" % (links // count, addrs // count))


def run_exec(name, count):
    for _ in range(count):
        p = NSPopen(name, ["/bin/true"])
        if p.wait() != 0:
            sys.exit("exec failed")
        p.release()


def main():
    workload = sys.argv[1]
    if workload in ("star", "pairs", "chain"):
        phase = sys.argv[3] if len(sys.argv) > 3 else "both"
        fn = {"star": star, "pairs": pairs, "chain": chain}[workload]
        fn(int(sys.argv[2]), phase != "teardown", phase != "build")
    elif workload == "dump":
        dump(sys.argv[2], int(sys.argv[3]))
    elif workload == "exec":
        run_exec(sys.argv[2], int(sys.argv[3]))
    else:
        sys.exit("unknown workload " + workload)


if __name__ == "__main__":
    main()
