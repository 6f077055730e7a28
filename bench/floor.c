// SPDX-License-Identifier: MIT
/*
 * The floor: each bench workload done with the fewest system calls it
 * needs and no abstraction, so that its time is the kernel's own cost.
 * libmnl only lays out messages; sockets are plain syscalls, every ack is
 * collected with one recvmmsg per batch.  Written for the bench alone.
 *
 *   floor star N [build|teardown|both]    namespace sw, bridge br0, N hosts h<i>
 *   floor pairs N [build|teardown|both]   N pairs a<i> -- b<i>, a /30 each
 *   floor chain N [build|teardown|both]   N routers r<i> in a line, forwarding, static routes
 *   floor dump NAME COUNT                 COUNT dumps of the links and addresses of NAME
 *   floor exec NAME COUNT                 /bin/true in NAME, COUNT times, as `ip netns exec`
 *
 * Each namespace costs: unshare, open of its nsfs file, creation of the
 * pin file, a bind mount, a netlink socket opened while inside it.  A
 * veth is one RTM_NEWLINK whose peer is created directly in the other
 * namespace (IFLA_NET_NS_FD) with a fixed ifindex (2: lo is 1), so the
 * requests that follow need no look-up.  A veth's peer cannot be brought
 * up in the message that creates it (it opens before its own peer is
 * registered), so that end is set up in the batch that follows.
 *
 * Every namespace is made before any link: the same system calls, but a
 * fifth to a quarter cheaper for the kernel at N=1000 than making each
 * host's namespace just before its link (measured on the reference machine).
 *
 * A router's sysctl is written while the thread is still inside the
 * namespace it has just made: /proc/sys/net shows the namespace of the task
 * that opens it, so this costs an open, a write and a close, no setns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#define RUN_DIR "/run/netns"
#define MAX_BATCH 8
#define MSG_SIZE 512

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("floor: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

/* ---- netlink: batches sent in one sendmsg, acks read in one recvmmsg --- */

struct batch {
	char buf[MAX_BATCH * MSG_SIZE];
	size_t len;
	unsigned count;
	const char *what;
};

static struct nlmsghdr *next_msg(struct batch *b, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(b->buf + b->len);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++b->count;
	return nlh;
}

static void end_msg(struct batch *b, struct nlmsghdr *nlh)
{
	b->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static void run_batch(int sk, struct batch *b)
{
	char acks[MAX_BATCH][256];
	struct mmsghdr mm[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	unsigned i;
	int n;

	if (send(sk, b->buf, b->len, 0) != (ssize_t)b->len)
		die("%s: send: %s", b->what, strerror(errno));
	memset(mm, 0, sizeof(mm));
	for (i = 0; i < b->count; i++) {
		iov[i].iov_base = acks[i];
		iov[i].iov_len = sizeof(acks[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	/* The kernel answers each request before send returns: all acks are queued. */
	n = recvmmsg(sk, mm, b->count, 0, NULL);
	if (n != (int)b->count)
		die("%s: recvmmsg: %d of %u acks: %s", b->what, n, b->count, strerror(errno));
	for (i = 0; i < b->count; i++) {
		struct nlmsghdr *nlh = (struct nlmsghdr *)acks[i];
		struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_type != NLMSG_ERROR || err->error)
			die("%s: request %u: %s", b->what, nlh->nlmsg_seq,
			    nlh->nlmsg_type == NLMSG_ERROR ? strerror(-err->error) : "no ack");
	}
	b->len = 0;
	b->count = 0;
}

static struct ifinfomsg *put_ifi(struct nlmsghdr *nlh, int index, unsigned up)
{
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));

	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = index;
	ifi->ifi_change = up ? IFF_UP : 0;
	ifi->ifi_flags = up ? IFF_UP : 0;
	return ifi;
}

/* RTM_NEWLINK: @index up. */
static void link_up(struct batch *b, int index)
{
	struct nlmsghdr *nlh = next_msg(b, RTM_NEWLINK, 0);

	put_ifi(nlh, index, 1);
	end_msg(b, nlh);
}

/* RTM_NEWADDR: @addr/@plen on @index. */
static void addr_add(struct batch *b, int index, uint32_t addr, unsigned plen)
{
	struct nlmsghdr *nlh = next_msg(b, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	uint32_t be = htonl(addr);

	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = plen;
	ifa->ifa_index = index;
	mnl_attr_put_u32(nlh, IFA_LOCAL, be);
	mnl_attr_put_u32(nlh, IFA_ADDRESS, be);
	end_msg(b, nlh);
}

/* RTM_NEWROUTE: @dst/@plen via @gw in the main table, as `ip route add` makes it. */
static void route_add(struct batch *b, uint32_t dst, unsigned plen, uint32_t gw)
{
	struct nlmsghdr *nlh = next_msg(b, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));

	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = plen;
	rtm->rtm_table = RT_TABLE_MAIN;
	rtm->rtm_protocol = RTPROT_BOOT;
	rtm->rtm_scope = RT_SCOPE_UNIVERSE;
	rtm->rtm_type = RTN_UNICAST;
	mnl_attr_put_u32(nlh, RTA_DST, htonl(dst));
	mnl_attr_put_u32(nlh, RTA_GATEWAY, htonl(gw));
	end_msg(b, nlh);
}

/*
 * RTM_NEWLINK creating veth @name (index @index when not 0, up when @up,
 * enslaved to @master when not 0) with peer @peer, index 2, in @peer_ns.
 */
static void veth_add(struct batch *b, const char *name, int index, int master, int up,
		     const char *peer, int peer_ns)
{
	struct nlmsghdr *nlh = next_msg(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info, *data, *nest;

	put_ifi(nlh, index, up);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (master)
		mnl_attr_put_u32(nlh, IFLA_MASTER, (uint32_t)master);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	nest = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	put_ifi(nlh, 2, 0);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)peer_ns);
	mnl_attr_nest_end(nlh, nest);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	end_msg(b, nlh);
}

/* RTM_NEWLINK creating bridge @name, index @index, up. */
static void bridge_add(struct batch *b, const char *name, int index)
{
	struct nlmsghdr *nlh = next_msg(b, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	struct nlattr *info;

	put_ifi(nlh, index, 1);
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(nlh, info);
	end_msg(b, nlh);
}

/* ---- named namespaces, kept as `ip netns add` keeps them ------------------ */

struct ns {
	int fd;		/* the namespace */
	int sk;		/* an rtnetlink socket inside it */
};

/* /run/netns a shared mount point, once per run, as iproute2 makes it. */
static void prepare_run_dir(void)
{
	if (mkdir(RUN_DIR, 0755) < 0 && errno != EEXIST)
		die("mkdir %s: %s", RUN_DIR, strerror(errno));
	if (mount("", RUN_DIR, "none", MS_SHARED | MS_REC, NULL) == 0)
		return;
	if (errno != EINVAL || mount(RUN_DIR, RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0 ||
	    mount("", RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0)
		die("mount %s: %s", RUN_DIR, strerror(errno));
}

/* A new namespace @name; the calling thread is left inside it. */
static struct ns ns_add(const char *name)
{
	char path[64];
	struct ns ns;
	int fd;

	snprintf(path, sizeof(path), RUN_DIR "/%s", name);
	if (unshare(CLONE_NEWNET) < 0)
		die("unshare: %s", strerror(errno));
	ns.fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fd = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
	if (ns.fd < 0 || fd < 0)
		die("open %s: %s", path, strerror(errno));
	close(fd);
	if (mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0)
		die("mount %s: %s", path, strerror(errno));
	ns.sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (ns.sk < 0)
		die("socket: %s", strerror(errno));
	return ns;
}

static void ns_close(struct ns *ns)
{
	close(ns->sk);
	close(ns->fd);
}

static void ns_del(const char *name)
{
	char path[64];

	snprintf(path, sizeof(path), RUN_DIR "/%s", name);
	umount2(path, MNT_DETACH);
	if (unlink(path) < 0)
		die("unlink %s: %s", path, strerror(errno));
}

static void ns_del_fmt(const char *fmt, int i)
{
	char name[32];

	snprintf(name, sizeof(name), fmt, i);
	ns_del(name);
}

/* ---- star-N and pairs-N --------------------------------------------------- */

#define BR0 2	/* the bridge's ifindex in sw: the first link after lo */

/* Room for @n namespaces held open at once (two descriptors each). */
static struct ns *ns_array(int n)
{
	struct ns *v = calloc((size_t)n + 1, sizeof(*v));
	struct rlimit rl;

	if (!v)
		die("out of memory");
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max &&
	    rl.rlim_cur < (rlim_t)(2 * n + 16)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return v;
}

static void star_build(int n)
{
	struct batch b = { .len = 0 };
	struct ns sw, *h = ns_array(n);
	char name[32], port[32];
	int i;

	prepare_run_dir();
	sw = ns_add("sw");
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "h%d", i);
		h[i] = ns_add(name);
	}
	b.what = "sw";
	bridge_add(&b, "br0", BR0);
	run_batch(sw.sk, &b);
	for (i = 1; i <= n; i++) {
		snprintf(port, sizeof(port), "p%d", i);
		b.what = port;
		veth_add(&b, port, 0, BR0, 1, "eth0", h[i].fd);
		run_batch(sw.sk, &b);
		b.what = port;
		addr_add(&b, 2, 0x0a000000u | (uint32_t)i, 8);
		link_up(&b, 2);
		link_up(&b, 1);
		run_batch(h[i].sk, &b);
		ns_close(&h[i]);
	}
	ns_close(&sw);
	free(h);
}

static void star_teardown(int n)
{
	int i;

	for (i = 1; i <= n; i++)
		ns_del_fmt("h%d", i);
	ns_del("sw");
}

/* Pair @i's /30: 10.0.0.0 + 4(i-1), ends .1 and .2. */
static uint32_t pair_net(int i)
{
	return 0x0a000000u + 4u * (uint32_t)(i - 1);
}

static void pairs_build(int n)
{
	struct batch b = { .len = 0 };
	struct ns *a = ns_array(2 * n), *z = a + n;
	char name[32];
	int i;

	prepare_run_dir();
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "a%d", i);
		a[i] = ns_add(name);
		snprintf(name, sizeof(name), "b%d", i);
		z[i] = ns_add(name);
	}
	for (i = 1; i <= n; i++) {
		b.what = "a";
		veth_add(&b, "veth0", 2, 0, 1, "veth1", z[i].fd);
		addr_add(&b, 2, pair_net(i) + 1, 30);
		link_up(&b, 1);
		run_batch(a[i].sk, &b);
		b.what = "b";
		addr_add(&b, 2, pair_net(i) + 2, 30);
		link_up(&b, 2);
		link_up(&b, 1);
		run_batch(z[i].sk, &b);
		ns_close(&a[i]);
		ns_close(&z[i]);
	}
	free(a);
}

static void pairs_teardown(int n)
{
	int i;

	for (i = 1; i <= n; i++) {
		ns_del_fmt("a%d", i);
		ns_del_fmt("b%d", i);
	}
}

/* ---- chain-N --------------------------------------------------------------- */

#define LEFT 2	/* in r<i>, the end towards r<i-1>: made as the peer, so index 2 */
#define RIGHT 3	/* in r<i>, the end towards r<i+1> */

/* Link @i's /30 (r<i> -- r<i+1>): 10.100.0.0 + 4(i-1); .1 is right, .2 left. */
static uint32_t chain_net(int i)
{
	return 0x0a640000u + 4u * (uint32_t)(i - 1);
}

/* IPv4 forwarding on in the namespace the calling thread is in. */
static void forward_on(const char *name)
{
	int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);

	if (fd < 0 || write(fd, "1", 1) != 1)
		die("%s: ip_forward: %s", name, strerror(errno));
	close(fd);
}

/*
 * One batch per router: the link to the next router (its peer, "left"
 * there, comes down and is set up by that router's batch), the addresses,
 * the ends and lo up, then the routes: the first link's subnet via the
 * left neighbour when i > 2, the last link's via the right one when i < N-1.
 */
static void chain_build(int n)
{
	struct batch b = { .len = 0 };
	struct ns *r = ns_array(n);
	char name[32];
	int i;

	prepare_run_dir();
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		r[i] = ns_add(name);
		forward_on(name);
	}
	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof(name), "r%d", i);
		b.what = name;
		if (i < n)
			veth_add(&b, "right", RIGHT, 0, 1, "left", r[i + 1].fd);
		if (i > 1) {
			addr_add(&b, LEFT, chain_net(i - 1) + 2, 30);
			link_up(&b, LEFT);
		}
		if (i < n)
			addr_add(&b, RIGHT, chain_net(i) + 1, 30);
		link_up(&b, 1);
		if (i > 2)
			route_add(&b, chain_net(1), 30, chain_net(i - 1) + 1);
		if (i < n - 1)
			route_add(&b, chain_net(n - 1), 30, chain_net(i) + 2);
		run_batch(r[i].sk, &b);
		ns_close(&r[i]);
	}
	free(r);
}

static void chain_teardown(int n)
{
	int i;

	for (i = 1; i <= n; i++)
		ns_del_fmt("r%d", i);
}

/* ---- dump: the links and addresses, parsed into attribute tables --------- */

struct tally {
	unsigned links, addrs;
	unsigned long bytes;	/* of names and addresses read, so nothing is optimised away */
};

static int link_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFLA_MAX) < 0)
		return MNL_CB_OK;
	if (type == IFLA_IFNAME && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	if ((type == IFLA_MTU || type == IFLA_MASTER || type == IFLA_TXQLEN) &&
	    mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int addr_attr(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);

	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK;
	if (type == IFA_LABEL && mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_ERROR;
	tb[type] = attr;
	return MNL_CB_OK;
}

static int on_link(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 };
	struct tally *t = data;

	if (mnl_attr_parse(nlh, sizeof(struct ifinfomsg), link_attr, tb) < 0 || !tb[IFLA_IFNAME])
		return MNL_CB_ERROR;
	t->links++;
	t->bytes += strlen(mnl_attr_get_str(tb[IFLA_IFNAME]));
	if (tb[IFLA_MTU])
		t->bytes += mnl_attr_get_u32(tb[IFLA_MTU]) & 1;
	if (tb[IFLA_ADDRESS])
		t->bytes += mnl_attr_get_payload_len(tb[IFLA_ADDRESS]);
	return MNL_CB_OK;
}

static int on_addr(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { 0 };
	struct tally *t = data;

	if (mnl_attr_parse(nlh, sizeof(struct ifaddrmsg), addr_attr, tb) < 0)
		return MNL_CB_ERROR;
	t->addrs++;
	if (tb[IFA_LOCAL])
		t->bytes += mnl_attr_get_payload_len(tb[IFA_LOCAL]);
	else if (tb[IFA_ADDRESS])
		t->bytes += mnl_attr_get_payload_len(tb[IFA_ADDRESS]);
	return MNL_CB_OK;
}

static void dump(int sk, uint16_t type, size_t hdr, mnl_cb_t cb, struct tally *t)
{
	static char buf[32768];	/* the most the kernel puts in one dump part */
	char req[64] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	int ret;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = 1;
	mnl_nlmsg_put_extra_header(nlh, hdr);
	/* the messages the library asks for: links without their counters */
	if (type == RTM_GETLINK)
		mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	if (send(sk, nlh, nlh->nlmsg_len, 0) < 0)
		die("dump: send: %s", strerror(errno));
	do {
		ssize_t n = recv(sk, buf, sizeof(buf), 0);

		if (n < 0)
			die("dump: recv: %s", strerror(errno));
		ret = mnl_cb_run(buf, (size_t)n, 1, 0, cb, t);
	} while (ret > MNL_CB_STOP);
	if (ret < 0)
		die("dump: %s", strerror(errno));
}

static int open_ns(const char *name)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), RUN_DIR "/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	return fd;
}

static void dump_run(const char *name, int count)
{
	struct tally t = { 0 };
	int i, sk;

	if (setns(open_ns(name), CLONE_NEWNET) < 0)
		die("setns %s: %s", name, strerror(errno));
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (sk < 0)
		die("socket: %s", strerror(errno));
	for (i = 0; i < count; i++) {
		dump(sk, RTM_GETLINK, sizeof(struct ifinfomsg), on_link, &t);
		dump(sk, RTM_GETADDR, sizeof(struct ifaddrmsg), on_addr, &t);
	}
	printf("%u links, %u addresses per dump\n", t.links / count, t.addrs / count);
}

/* ---- exec: the `ip netns exec` view, its mount namespace made once ---------- */

/*
 * A mount namespace in which /sys is @netfd's sysfs, as `ip netns exec`
 * gives its programs (there are no /etc/netns files in the bench).  Made
 * once; each program then only joins it.
 */
static int exec_view(int netfd)
{
	int here_net, here_mnt, view;

	here_net = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	here_mnt = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (here_net < 0 || here_mnt < 0 || setns(netfd, CLONE_NEWNET) < 0 ||
	    unshare(CLONE_NEWNS) < 0 || mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		die("exec view: %s", strerror(errno));
	umount2("/sys", MNT_DETACH);
	if (mount("netns", "/sys", "sysfs", 0, NULL) < 0)
		die("exec view: mount /sys: %s", strerror(errno));
	view = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (view < 0 || setns(here_mnt, CLONE_NEWNS) < 0 || setns(here_net, CLONE_NEWNET) < 0)
		die("exec view: %s", strerror(errno));
	close(here_net);
	close(here_mnt);
	return view;
}

static void exec_run(const char *name, int count)
{
	char *const argv[] = { "/bin/true", NULL };
	extern char **environ;
	int i, status, netfd = open_ns(name), mntfd = exec_view(netfd);
	pid_t pid;

	for (i = 0; i < count; i++) {
		pid = vfork();
		if (pid == 0) {
			if (setns(netfd, CLONE_NEWNET) == 0 && setns(mntfd, CLONE_NEWNS) == 0)
				execve(argv[0], argv, environ);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0 || status != 0)
			die("exec %d: failed (status %d)", i, status);
	}
}

/* ---- main ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	const char *phase = argc > 3 ? argv[3] : "both";
	int build = strcmp(phase, "teardown") != 0, teardown = strcmp(phase, "build") != 0;
	int n = argc > 2 ? atoi(argv[2]) : 0;

	if (argc < 3)
		die("usage: floor star|pairs|chain N [build|teardown|both] | floor dump|exec NAME COUNT");
	if (!strcmp(argv[1], "star")) {
		if (build)
			star_build(n);
		if (teardown)
			star_teardown(n);
	} else if (!strcmp(argv[1], "pairs")) {
		if (build)
			pairs_build(n);
		if (teardown)
			pairs_teardown(n);
	} else if (!strcmp(argv[1], "chain")) {
		if (build)
			chain_build(n);
		if (teardown)
			chain_teardown(n);
	} else if (!strcmp(argv[1], "dump") && argc > 3) {
		dump_run(argv[2], atoi(argv[3]));
	} else if (!strcmp(argv[1], "exec") && argc > 3) {
		exec_run(argv[2], atoi(argv[3]));
	} else {
		die("unknown workload %s", argv[1]);
	}
	return 0;
}
