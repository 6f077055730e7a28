/* SPDX-License-Identifier: MIT */
/*
 * netns core: network namespaces, links, addresses, routes and neighbours
 * over rtnetlink.  Plain C, no Lua: every function returns 0 (or a count)
 * on success and -errno on failure, and fills the optional struct nns_error
 * with what was being done and the kernel's extended-ack text.
 */
#ifndef NETNS_CORE_H
#define NETNS_CORE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <linux/netlink.h>

#define NNS_RUN_DIR "/run/netns"
#define NNS_ETC_DIR "/etc/netns"
/* Who pinned what: NAME holds "pid starttime" of the run that owns /run/netns/NAME. */
#define NNS_OWNER_DIR "/run/netns-owners"

/* What failed, for a message "op obj (in ns): strerror [ENAME]: ext". */
struct nns_error {
	int code;	/* positive errno */
	char what[160]; /* "link add veth0" */
	char ext[256];	/* kernel's extack text, or "" */
};

void nns_error_set(struct nns_error *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Full message for @e as seen from namespace @where ("red", "<anonymous 4026532345>"). */
size_t nns_error_format(const struct nns_error *e, const char *where, char *buf, size_t size);
const char *nns_errno_name(int code);

/* ---- netlink engine (nl.c) ------------------------------------------- */

struct nns_nl; /* one rtnetlink socket */

/* Opens a socket in the calling thread's current namespace. */
int nns_nl_open(struct nns_nl **out);
void nns_nl_close(struct nns_nl *nl);
int nns_nl_fd(const struct nns_nl *nl);

/*
 * Messages of a dump, copied out of the socket so that an interrupted dump
 * can be restarted and so that callers parse at their own pace.
 */
struct nns_msgs {
	char *buf;
	size_t len, cap;
};
void nns_msgs_free(struct nns_msgs *m);
/* (An empty result may have no buffer at all: no arithmetic on NULL.) */
#define nns_msgs_foreach(m, nlh)                                                                \
	for ((nlh) = (struct nlmsghdr *)(m)->buf; (nlh) && (char *)(nlh) < (m)->buf + (m)->len; \
	     (nlh) = (struct nlmsghdr *)((char *)(nlh) + NLMSG_ALIGN((nlh)->nlmsg_len)))

/*
 * Sends @req and waits for its answer: a change's acknowledgement
 * (NLM_F_ACK is added), a reading request's one reply (RTM_GET*, not a
 * dump), appended to @reply when that is not NULL.
 */
int nns_nl_request(struct nns_nl *nl, struct nlmsghdr *req, struct nns_msgs *reply,
		   struct nns_error *e);

/* Runs dump request @req (NLM_F_DUMP is added) into @out, retrying if interrupted. */
int nns_nl_dump(struct nns_nl *nl, struct nlmsghdr *req, struct nns_msgs *out, struct nns_error *e);

struct nns_ns;
typedef int (*nns_msg_cb)(const struct nlmsghdr *nlh, void *data);
/*
 * Runs dump @req in @ns (its socket opened there if need be) and hands each
 * message to @each until one returns <0; a failed dump is reported as @what
 * ("route show").  Every listing of the library is this with its own parser.
 */
int nns_dump_each(struct nns_ns *ns, struct nlmsghdr *req, const char *what, nns_msg_cb each,
		  void *data, struct nns_error *e);
/*
 * The next dump of this thread collects into @m, which the caller owns,
 * rather than into the buffer the core keeps; NULL takes a loan back that
 * no dump used.  For a caller whose callbacks may leave by longjmp (the
 * Lua binding, on a memory error): a buffer the core held would be lost.
 */
void nns_dump_lend(struct nns_msgs *m);
/* The largest dump buffer worth keeping for the next listing (the rest is freed). */
#define NNS_DUMP_KEEP ((size_t)8 << 20)

/*
 * A batch: many requests in one sendmsg, acknowledgements collected after.
 * Requests are built in place with nns_batch_next() or copied in whole by
 * nns_batch_add(), each with the name its errors give (@what); the first
 * failure is what nns_batch_run returns and puts in its error, and
 * @failed, when set, hears of every failure, in order, with the index of
 * its request.
 */
struct nns_batch {
	char *buf;
	size_t len, cap;
	size_t tail; /* offset of the request being built */
	unsigned count, slots;
	size_t *what; /* per request: where its name starts in @names */
	char *names;
	size_t names_len, names_cap;
	void (*failed)(unsigned index, const struct nns_error *e, void *data);
	void *data;
};
struct nlmsghdr *nns_batch_next(struct nns_batch *b, const char *what);
int nns_batch_add(struct nns_batch *b, const struct nlmsghdr *nlh, const char *what);
int nns_batch_run(struct nns_nl *nl, struct nns_batch *b, struct nns_error *e);
void nns_batch_free(struct nns_batch *b);

/* A scratch buffer large enough for any request this library builds. */
#define NNS_MSG_SIZE 4096

/* ---- namespaces (ns.c) ------------------------------------------------ */

struct nns_ns {
	int fd;		   /* the namespace: nsfs file, O_CLOEXEC */
	struct nns_nl *nl; /* socket opened inside it, on first use */
	dev_t dev;
	ino_t ino;
	/*
	 * The mount namespace programs run in (proc.c), made on first use:
	 * a descriptor above 2, anything else when there is none yet.  The
	 * stamp sums up the /etc/netns/NAME it was made from and the files of
	 * /etc its entries were bound over.
	 */
	int view;
	int view_root; /* the caller's root (a chroot) as seen in the view */
	uint64_t view_stamp;
	struct nns_batch *deferred; /* see nns_ns_defer */
};

int nns_valid_ns_name(const char *name, const char **why);

int nns_ns_add(const char *name, struct nns_ns *ns, struct nns_error *e);
int nns_ns_new(struct nns_ns *ns, struct nns_error *e);
/* A sysctl written in each namespace nns_ns_new_many makes: @key names it in messages. */
struct nns_sysctl {
	const char *key;
	const char *path; /* under /proc/sys */
	const char *value;
};

/*
 * @n fresh namespaces, made in parallel, each with the @nset sysctls of
 * @set written; all or nothing (on failure none is open).
 */
int nns_ns_new_many(struct nns_ns **ns, size_t n, const struct nns_sysctl *set, size_t nset,
		    struct nns_error *e);
int nns_ns_open_path(const char *path, struct nns_ns *ns, struct nns_error *e);
int nns_ns_open_name(const char *name, struct nns_ns *ns, struct nns_error *e);
int nns_ns_open_pid(pid_t pid, struct nns_ns *ns, struct nns_error *e);
int nns_ns_current(struct nns_ns *ns, struct nns_error *e);
int nns_ns_delete(const char *name, struct nns_error *e);
/* Binds @ns at NNS_RUN_DIR/@name; with @own, recorded as this run's (nns_owner_set). */
int nns_ns_pin(struct nns_ns *ns, const char *name, bool own, struct nns_error *e);
int nns_ns_unpin(const char *name, struct nns_error *e);
/* Unpins (or deletes, with @del) @ns's pin @name, unless that name now holds another namespace. */
int nns_ns_unbind_own(struct nns_ns *ns, const char *name, bool del, struct nns_error *e);
bool nns_ns_exists(const char *name);
void nns_ns_close(struct nns_ns *ns);
/* The handle's socket, opened inside the namespace the first time. */
int nns_ns_nl(struct nns_ns *ns, struct nns_nl **out, struct nns_error *e);
/*
 * Deferred changes.  After nns_ns_defer, the changes made through @ns
 * (link set, address add/del, route add/replace/del) are not sent one by
 * one: they join a batch that nns_ns_flush sends in one go, which reports
 * the first failure under the name of its own request.  Everything else
 * (link add, a link set that moves or renames, look-ups, listings) is
 * sent at once as always.
 */
int nns_ns_defer(struct nns_ns *ns);
int nns_ns_flush(struct nns_ns *ns, struct nns_error *e);
/*
 * Request @nlh in @ns, named @what ("address add 10.0.0.1/24") in errors:
 * sent and acknowledged at once; nns_ns_change puts it in the deferred
 * batch instead when there is one.
 */
int nns_ns_request(struct nns_ns *ns, struct nlmsghdr *nlh, const char *what, struct nns_error *e);
int nns_ns_change(struct nns_ns *ns, struct nlmsghdr *nlh, const char *what, struct nns_error *e);

/*
 * The id under which @other is known inside @ns (-1: none yet), as
 * `ip netns list-id` shows; nns_nsid_set assigns one (-1: the kernel
 * picks), as `ip netns set` does: its errors name @other by @label.
 */
int nns_nsid_get(struct nns_ns *ns, const struct nns_ns *other, int *id, struct nns_error *e);
int nns_nsid_set(struct nns_ns *ns, const struct nns_ns *other, const char *label, int id,
		 struct nns_error *e);

/* Entering and leaving: @saved receives the thread's namespace. */
int nns_ns_enter(const struct nns_ns *ns, int *saved, struct nns_error *e);
/* Returns to @saved and closes it; aborts the process if that is impossible. */
void nns_ns_leave(int saved);

/*
 * Records the calling process as the owner of pin @name, of namespace
 * @ns, so that nns_ns_cleanup can tell when it was left by a run that has
 * died (and never takes a pin of that name made since by someone else).
 */
int nns_owner_set(struct nns_ns *ns, const char *name, struct nns_error *e);
void nns_owner_clear(const char *name);
/* Whether pin @name is this process's own, as its owner record says, and still its namespace. */
bool nns_owner_is_self(const char *name);

/*
 * Removes what killed runs left under NNS_RUN_DIR among the names starting
 * with @prefix: files that hold no namespace, and pins whose recorded owner
 * has died.  Pins without an owner (ip netns add) are never touched.  The
 * names removed go to @removed; a leftover that cannot be removed fails it
 * ("cleanup NAME"), the names removed before it unlisted.
 */
int nns_ns_cleanup(const char *prefix, char ***removed, size_t *count, struct nns_error *e);

/* Names under NNS_RUN_DIR, sorted; free with nns_strv_free. */
int nns_ns_list(char ***names, size_t *count, struct nns_error *e);
void nns_strv_free(char **v, size_t n);

/* ---- links (link.c) --------------------------------------------------- */

struct nns_link {
	int ifindex;
	unsigned flags; /* IFF_* */
	const char *ifname;
	uint32_t mtu, min_mtu, max_mtu, txqlen, group, promiscuity;
	uint8_t operstate; /* IF_OPER_* */
	uint16_t type;	   /* ARPHRD_* */
	const uint8_t *address, *broadcast;
	size_t addrlen, brdlen;
	int master; /* ifindex or 0 */
	int link;   /* IFLA_LINK or 0 */
	int link_netnsid;
	bool has_link_netnsid;
	const char *kind; /* IFLA_INFO_KIND or NULL */
	const char *alias;
	const char *qdisc;
};

typedef int (*nns_link_cb)(const struct nns_link *l, void *data);

/* Parses one RTM_NEWLINK or RTM_DELLINK message. */
int nns_link_parse(const struct nlmsghdr *nlh, struct nns_link *l);
int nns_link_dump(struct nns_ns *ns, nns_link_cb cb, void *data, struct nns_error *e);
/*
 * The name of link @ifindex, one ioctl instead of a dump when a record
 * names a few devices among many; -ENODEV when there is none.
 */
int nns_ifname(struct nns_ns *ns, int ifindex, char name[16]);
/* The index of link @name (> 0), by one ioctl; -ENODEV when there is none. */
int nns_ifindex(struct nns_ns *ns, const char *name);
/* By name (@ifname) or index (@ifindex > 0); -ENODEV when missing. */
int nns_link_get(struct nns_ns *ns, const char *ifname, int ifindex, struct nns_msgs *msg,
		 struct nns_link *l, struct nns_error *e);

/* What link_add creates; unset numbers are 0, unset strings NULL. */
struct nns_link_spec {
	const char *name, *kind;
	uint32_t mtu, txqlen;
	bool has_txqlen; /* 0 is a length too */
	const uint8_t *address;
	size_t addrlen;
	int master; /* ifindex in the same namespace */
	bool up;
	struct nns_ns *ns; /* made there rather than here (ip link add ... netns) */
	/* veth */
	const char *peer_name;
	struct nns_ns *peer_ns; /* NULL: same namespace */
	const uint8_t *peer_address;
	size_t peer_addrlen;
	/* macvlan, macvtap, vxlan: lower device (ifindex) and settings */
	int link;
	const char *mode; /* macvlan mode: bridge, private, vepa, passthru */
	uint32_t vni;	  /* vxlan or vlan id (set: has_vni) */
	bool has_vni;
	uint16_t port;		   /* vxlan UDP port, host order */
	const char *group, *local; /* vxlan remote group or peer, source */
	uint8_t ttl;
};
int nns_link_put_add(struct nlmsghdr *nlh, const struct nns_link_spec *s);
int nns_link_add(struct nns_ns *ns, const struct nns_link_spec *s, struct nns_error *e);

/* Changes for link_set; only the has_* / non-NULL ones are applied. */
struct nns_link_change {
	bool has_up, up;
	bool has_mtu;
	uint32_t mtu;
	bool has_txqlen;
	uint32_t txqlen;
	const char *name;
	const uint8_t *address;
	size_t addrlen;
	bool has_master;
	int master; /* 0: no master */
	const char *alias;
	const struct nns_ns *ns; /* move there */
};
int nns_link_put_set(struct nlmsghdr *nlh, int ifindex, const struct nns_link_change *c);
int nns_link_set(struct nns_ns *ns, int ifindex, const char *label, const struct nns_link_change *c,
		 struct nns_error *e);
int nns_link_del(struct nns_ns *ns, int ifindex, const char *label, struct nns_error *e);

/* Text forms as iproute2 prints them. */
const char *nns_operstate_name(uint8_t state);
const char *nns_link_type_name(uint16_t type);
/* Writes "aa:bb:..." into @buf (3 * len bytes). */
void nns_format_lladdr(const uint8_t *a, size_t len, char *buf);
/*
 * inet_ntop(3) into @buf, with "/@plen" after it when @plen >= 0; returns
 * the length written.  (NNS_INET_STRLEN: INET6_ADDRSTRLEN and "/128".)
 */
#define NNS_INET_STRLEN (46 + 4)
size_t nns_format_inet(int family, const void *a, int plen, char *buf);
/* Parses "aa:bb:cc:dd:ee:ff"; returns its length or -EINVAL. */
int nns_parse_lladdr(const char *s, uint8_t *out, size_t size);
int nns_valid_ifname(const char *name, const char **why);

/* ---- addresses (addr.c) ----------------------------------------------- */

/* An IPv4 or IPv6 address with its prefix length. */
struct nns_prefix {
	int family; /* AF_INET, AF_INET6 */
	uint8_t bytes[16];
	int len; /* prefix length; -1 when absent */
};
/* Parses "10.0.0.1/24", "fe80::1/64" (and without "/len" when @need_len is false). */
int nns_parse_prefix(const char *s, bool need_len, struct nns_prefix *p, const char **why);
/*
 * A route's or a rule's network: nns_parse_prefix's forms, and an IPv4
 * network written short before its length, as ip route takes it ("10/8",
 * "172.16/12"; decimal parts only).  Addresses stay whole.
 */
int nns_parse_network(const char *s, struct nns_prefix *p, const char **why);
size_t nns_addr_bytes(int family);
/* The address in netlink attribute @attr when it is one of @family's, else NULL. */
const void *nns_attr_inet(const struct nlattr *attr, int family);

struct nns_addr {
	int family, ifindex;
	uint8_t prefixlen, scope;
	uint32_t flags; /* IFA_F_* */
	const void *local, *address, *broadcast;
	const char *label;
	uint32_t valid_lft, preferred_lft;
	bool has_cacheinfo;
	bool has_metric; /* IFA_RT_PRIORITY: its prefix route's metric */
	uint32_t metric;
};
typedef int (*nns_addr_cb)(const struct nns_addr *a, void *data);
/* Parses one RTM_NEWADDR or RTM_DELADDR message. */
int nns_addr_parse(const struct nlmsghdr *nlh, struct nns_addr *a);

struct nns_addr_spec {
	int ifindex;
	struct nns_prefix local;
	bool nodad, noprefixroute;
	bool has_broadcast; /* IPv4: explicit broadcast, else computed */
	uint8_t broadcast[4];
	bool broadcast_plus;	       /* IPv4: ip's "brd +", the prefix's all-ones host */
	const struct nns_prefix *peer; /* point-to-point peer, or NULL */
	const char *label;
	int scope;	 /* -1: kernel default */
	bool has_metric; /* the metric of its prefix route (ip address add ... metric) */
	uint32_t metric;
};
int nns_addr_put(struct nlmsghdr *nlh, uint16_t type, uint16_t flags,
		 const struct nns_addr_spec *s);
int nns_addr_dump(struct nns_ns *ns, int family, int ifindex, nns_addr_cb cb, void *data,
		  struct nns_error *e);
int nns_addr_add(struct nns_ns *ns, const struct nns_addr_spec *s, const char *label,
		 struct nns_error *e);
/*
 * The addresses of a link, kept as the kernel's own messages so that they
 * can be put back on it whole (lifetimes, labels, flags): a move to
 * another namespace drops them.  Both are best effort: the caller is
 * already failing.
 */
struct nns_addrs_kept {
	char *buf; /* the messages, one after another */
	size_t len, cap;
};
void nns_addrs_keep(struct nns_ns *ns, int ifindex, struct nns_addrs_kept *k);
void nns_addrs_restore(struct nns_ns *ns, int ifindex, const struct nns_addrs_kept *k);
void nns_addrs_kept_free(struct nns_addrs_kept *k);
int nns_addr_del(struct nns_ns *ns, const struct nns_addr_spec *s, const char *label,
		 struct nns_error *e);
const char *nns_scope_name(uint8_t scope, char *buf, size_t size);

/* ---- routes (route.c) ------------------------------------------------- */

#define NNS_MAX_NEXTHOPS 32

struct nns_nexthop {
	int ifindex, weight;
	uint8_t flags; /* RTNH_F_* */
	const void *gateway;
	int via_family; /* as in struct nns_route */
	const void *via;
};

/* The route metrics (RTAX_*) a record or a change may carry: RTAX_FASTOPEN_NO_COOKIE and below. */
#define NNS_RTAX_COUNT 18

struct nns_route {
	int family;
	uint8_t dst_len, protocol, scope, type;
	uint8_t src_len; /* a source-specific route's (ip route ... from): RTA_SRC */
	uint32_t table, flags, metric;
	bool has_metric, has_pref;
	uint8_t pref; /* IPv6 router preference (ICMPV6_ROUTER_PREF_*) */
	const void *dst, *src, *gateway, *prefsrc;
	int via_family; /* RTA_VIA: a gateway of another family (IPv4 via IPv6) */
	const void *via;
	int ifindex;
	uint32_t nhid; /* the nexthop object it goes by (ip nexthop); 0: none */
	uint8_t tos;   /* IPv4: the DS field it is for (ip route ... tos) */
	/* RTA_METRICS: metrics[RTAX_*] where bit RTAX_* of has_metrics is set */
	uint32_t metrics[NNS_RTAX_COUNT], has_metrics;
	const char *congestion; /* RTAX_CC_ALGO, or NULL */
	bool has_expires;	/* it expires (RTA_CACHEINFO) */
	int32_t expires;	/* then the seconds left, as ip counts them */
	int nhops;
	struct nns_nexthop nh[NNS_MAX_NEXTHOPS];
};
typedef int (*nns_route_cb)(const struct nns_route *r, void *data);
/* Parses one RTM_NEWROUTE or RTM_DELROUTE message. */
int nns_route_parse(const struct nlmsghdr *nlh, struct nns_route *r);
int nns_route_dump(struct nns_ns *ns, int family, nns_route_cb cb, void *data, struct nns_error *e);

struct nns_route_nexthop {
	int ifindex, weight;
	bool has_gateway, onlink;
	int gw_family; /* another than the destination's: RTA_VIA (IPv4 via IPv6) */
	uint8_t gw[16];
};

/* What route add/replace/del send; iproute2's defaults are the caller's to fill. */
struct nns_route_spec {
	struct nns_prefix dst; /* len -1: a host route */
	bool has_from, has_gateway, has_prefsrc, has_metric, onlink;
	struct nns_prefix from; /* the sources it is for (ip route ... from); len -1: a host */
	struct nns_prefix gateway, prefsrc;
	int ifindex;
	uint32_t metric, table;
	uint8_t protocol, scope, type;
	uint32_t metrics[NNS_RTAX_COUNT], has_metrics; /* as in struct nns_route */
	uint32_t expires;			       /* seconds (IPv6); 0: never */
	uint32_t nhid;				       /* a nexthop object; 0: none */
	uint8_t tos;				       /* IPv4 */
	int nhops;
	struct nns_route_nexthop nh[NNS_MAX_NEXTHOPS];
};

enum { NNS_ROUTE_ADD, NNS_ROUTE_REPLACE, NNS_ROUTE_DEL };
int nns_route_put(struct nlmsghdr *nlh, uint16_t type, uint16_t flags,
		  const struct nns_route_spec *s);
int nns_route_change(struct nns_ns *ns, int op, const struct nns_route_spec *s, const char *label,
		     struct nns_error *e);

/* ---- policy rules (rule.c) ------------------------------------------- */

struct nns_rule {
	int family;
	uint8_t src_len, dst_len, tos, action, protocol, ipproto;
	bool invert;
	uint32_t table, priority;
	const void *src, *dst; /* NULL: all */
	const char *iif, *oif;
	bool iif_detached, oif_detached; /* no such device (now) */
	bool unresolved;		 /* a goto to no rule */
	bool has_fwmark;
	uint32_t fwmark, fwmask;
	uint32_t goto_priority;
	bool has_suppress_prefixlen;
	uint32_t suppress_prefixlen;
	bool has_uidrange;
	uint32_t uidrange[2];
	uint16_t sport[2], dport[2]; /* start 0: any */
	bool l3mdev;		     /* looks up the table of the packet's VRF device */
};
typedef int (*nns_rule_cb)(const struct nns_rule *r, void *data);
/* Parses one RTM_NEWRULE or RTM_DELRULE message. */
int nns_rule_parse(const struct nlmsghdr *nlh, struct nns_rule *r);
int nns_rule_dump(struct nns_ns *ns, int family, nns_rule_cb cb, void *data, struct nns_error *e);

/* What rule add/del send: a selector and an action (FR_ACT_*). */
struct nns_rule_spec {
	int family;
	struct nns_prefix src, dst; /* len -1: all */
	uint8_t action, tos, ipproto;
	bool invert;
	uint32_t table; /* 0: none */
	bool has_priority;
	uint32_t priority;
	const char *iif, *oif;
	bool has_fwmark, has_fwmask; /* no mask: the kernel takes all bits, none for mark 0 */
	uint32_t fwmark, fwmask;
	uint32_t goto_priority;
	bool has_suppress_prefixlen;
	uint32_t suppress_prefixlen;
	uint16_t sport[2], dport[2];
	bool has_uidrange;
	uint32_t uidrange[2];
	bool l3mdev;
	uint8_t protocol; /* RTPROT_*; 0: none said */
};
int nns_rule_put(struct nlmsghdr *nlh, uint16_t type, uint16_t flags,
		 const struct nns_rule_spec *s);
int nns_rule_change(struct nns_ns *ns, bool add, const struct nns_rule_spec *s, const char *label,
		    struct nns_error *e);

/* ---- events (monitor.c) ---------------------------------------------- */

enum {
	NNS_EV_LINK = 1 << 0,
	NNS_EV_ADDR = 1 << 1,
	NNS_EV_ROUTE = 1 << 2,
	NNS_EV_NEIGH = 1 << 3,
	NNS_EV_RULE = 1 << 4,
};

/*
 * A non-blocking socket opened inside @ns that receives the kernel's
 * notifications of the NNS_EV_* @kinds; @rcvbuf > 0 sets its receive
 * buffer (a small one loses events sooner).
 */
int nns_monitor_open(const struct nns_ns *ns, unsigned kinds, int rcvbuf, int *fd,
		     struct nns_error *e);
typedef int (*nns_event_cb)(const struct nlmsghdr *nlh, void *data);
/*
 * Hands each notification of one queued datagram to @cb.  Returns how many
 * there were, 0 when nothing is queued, -ENOBUFS when the kernel dropped
 * some or one did not fit the buffer (the socket stays usable; state must
 * be read again).
 */
int nns_monitor_read(int fd, nns_event_cb cb, void *data);
/*
 * Waits until one of @fds[0..n) is readable or @timeout_ms (-1: forever)
 * passes; returns its index, -ETIMEDOUT, or -errno (-EINTR on a signal).
 */
int nns_wait_readable(const int *fds, size_t n, int timeout_ms);

/* ---- neighbours (neigh.c) --------------------------------------------- */

struct nns_neigh {
	int family, ifindex;
	uint16_t state; /* NUD_* */
	uint8_t flags;	/* NTF_* */
	const void *dst;
	const uint8_t *lladdr;
	size_t lladdr_len;
};
typedef int (*nns_neigh_cb)(const struct nns_neigh *n, void *data);
/* Parses one RTM_NEWNEIGH or RTM_DELNEIGH message. */
int nns_neigh_parse(const struct nlmsghdr *nlh, struct nns_neigh *n);
/* The entries of @family (0: all) on @ifindex (0: all); with @proxy, the proxy entries only. */
int nns_neigh_dump(struct nns_ns *ns, int family, int ifindex, bool proxy, nns_neigh_cb cb,
		   void *data, struct nns_error *e);
struct nns_neigh_spec {
	int ifindex;
	struct nns_prefix dst;
	const uint8_t *lladdr;
	size_t lladdr_len;
	uint16_t state; /* when has_state; else NUD_PERMANENT */
	bool has_state, router, proxy;
};
int nns_neigh_add(struct nns_ns *ns, const struct nns_neigh_spec *s, bool replace,
		  const char *label, struct nns_error *e);
int nns_neigh_del(struct nns_ns *ns, const struct nns_neigh_spec *s, const char *label,
		  struct nns_error *e);
/* Writes the names of the NUD_* bits in @state, as iproute2 prints them. */
size_t nns_neigh_states(uint16_t state, const char **names, size_t max);
int nns_neigh_state_parse(const char *name, uint16_t *state);

/* ---- shaping (qdisc.c) ----------------------------------------------- */

struct nns_shaping {
	uint64_t rate;	/* bytes per second */
	uint32_t burst; /* bytes the bucket holds */
	uint32_t limit; /* bytes queued at most */
};
/* Makes a token bucket the root qdisc of @ifindex, replacing what was there. */
int nns_shape(struct nns_ns *ns, int ifindex, const char *label, const struct nns_shaping *s,
	      struct nns_error *e);

/* ---- ping (ping.c) ---------------------------------------------------- */

struct nns_ping_target {
	int family;
	uint8_t addr[16];
	bool replied;
	uint32_t rtt_us; /* of the first reply */
};

/*
 * Sends up to @count echo requests to each target from inside @ns, all at
 * once, until each has answered, @timeout_ms has passed or a signal came;
 * returns how many answered.
 */
int nns_ping(struct nns_ns *ns, struct nns_ping_target *t, size_t n, int count, int timeout_ms,
	     struct nns_error *e);

/* ---- programs (proc.c) ------------------------------------------------ */

#define NNS_FD_INHERIT (-1)
#define NNS_FD_NULL (-2)

struct nns_exec {
	struct nns_ns *ns;   /* its mount view is made on first use */
	const char *ns_name; /* named: /etc/netns/NAME over /etc */
	const char *label;   /* namespace as shown in messages */
	char *const *argv;   /* argv[0] is looked up in PATH */
	char *const *envp;   /* NULL: the caller's environment */
	const char *cwd;
	int stdin_fd, stdout_fd, stderr_fd; /* an fd, NNS_FD_INHERIT or NNS_FD_NULL */
	bool die_with_parent; /* PR_SET_PDEATHSIG: killed when the calling thread ends */
	bool own_group;	      /* a process group of its own, killed whole */
	bool hold_keys;	      /* nns_proc_foreground_begin from the clone on */
	bool must_start;      /* execve's failure is nns_proc_start's, not exit status 127 */
};

struct nns_proc {
	pid_t pid; /* 0 once reaped */
	int pidfd;
	bool group; /* leads its own process group */
	/*
	 * With @group: what it leaves running in its group when it ends is
	 * killed as it is reaped (nns_proc_wait, nns_proc_poll).
	 */
	bool end_group;
	bool keys_held;	    /* started with hold_keys: end with nns_proc_foreground_end */
	sigset_t keys_mask; /* the thread's mask before */
};

/* One end of a pipe to the program: @data to write, or @buf to read into. */
struct nns_io {
	int fd;
	const char *data; /* input: write data[len..size) */
	size_t size;
	char *buf; /* output: buf[0..len) */
	size_t len, cap;
	/*
	 * Output read while the program runs, and what it left there when it
	 * exits: a background child still holding the pipe must not hold the wait.
	 */
	bool while_running;
};

/*
 * Raises the soft limit on open files to the hard one (once; see proc.c);
 * programs started afterwards get the limit as it was.
 */
void nns_raise_fd_limit(void);
/* What messages call @x's program: argv[0], or the command of `/bin/sh -c`. */
const char *nns_exec_label(const struct nns_exec *x);
/*
 * Tells the library that the job ignored @sig (SIGHUP, SIGINT or SIGQUIT)
 * when the host started, though the host catches it since: programs keep
 * it ignored, as they do a signal the caller still ignores.
 */
void nns_proc_job_ignores(int sig);
/*
 * Tells the library that the host is ending on a signal (nslua after a
 * SIGTERM): from then on a wait without a limit (a popen handle closed as
 * the state closes) kills its program first rather than be held up by it.
 */
void nns_proc_host_ending(void);
/*
 * Tells the library that a signal stopped the host's script and its
 * teardown begins (nslua): programs the script dropped need not be waited
 * for (nns_proc_host_is_stopped), those the teardown runs still are.
 */
void nns_proc_host_stopped(void);
bool nns_proc_host_is_stopped(void);
/*
 * Around the wait for a program that shares the caller's process group at
 * a terminal: the thread blocks SIGINT and SIGQUIT meanwhile (@saved: its
 * mask before), and afterwards keeps a SIGINT pending only when one ended
 * the program (@ended_by_sigint): the key would have stopped the caller
 * too.  Ctrl-C and Ctrl-\ are otherwise the program's alone.
 */
void nns_proc_foreground_begin(sigset_t *saved);
void nns_proc_foreground_end(const sigset_t *saved, bool ended_by_sigint);
int nns_proc_start(const struct nns_exec *x, struct nns_proc *p, struct nns_error *e);
/*
 * Serves @io while the program runs, then reaps it into @status.  After
 * @timeout_ms (-1: none) the program is killed and reaped: 1 then, else 0.
 */
int nns_proc_wait(struct nns_proc *p, struct nns_io *io, int nio, int timeout_ms, int *status,
		  struct nns_error *e);
/*
 * 1 once the program has ended (not reaped), 0 if @timeout_ms ran out
 * first, -EINTR when a signal came first.
 */
int nns_proc_wait_exit(struct nns_proc *p, int timeout_ms);
/* 1 and @status once the program has ended, 0 while it runs. */
int nns_proc_poll(struct nns_proc *p, int *status);
/*
 * Kills a program still running (its group, when it has one of its own),
 * reaps it and closes the pidfd; @status, when not NULL, gets how it
 * ended when it is reaped here.
 */
void nns_proc_release(struct nns_proc *p, int *status);
void nns_io_free(struct nns_io *io, int nio);

#endif
