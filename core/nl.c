// SPDX-License-Identifier: MIT
/*
 * The netlink engine: one rtnetlink socket, requests that wait for their
 * acknowledgement, dumps copied out whole, and batches of requests sent in
 * one sendmsg.  Every error carries the kernel's extended-ack text.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include "netns.h"

/* Dumps restarted this many times when the kernel says they were interrupted. */
#define DUMP_RETRIES 16
/* A batch is sent in slices small enough that their ACKs fit the receive queue. */
#define BATCH_SLICE_BYTES ((size_t)64 * 1024)
#define BATCH_SLICE_MSGS 256

struct nns_nl {
	struct mnl_socket *sk;
	uint32_t seq;
};

/*
 * Where replies land before they are read: one per thread, not one per
 * socket, since every call reads its replies to the end before returning
 * and a thousand handles should not hold a thousand buffers.  The kernel
 * sends dump parts of up to 32 KiB, but one message may be larger (a link
 * with hundreds of alternative names): a reply that did not fit is lost to
 * the read, so the request or dump is read to its end, the buffer grows
 * to the size the kernel said, and the request or dump is made again.
 */
static __thread char rx_small[32768];
static __thread char *rx_large; /* once a reply did not fit; freed with the thread */
static __thread size_t rx_large_size, rx_need;
static pthread_key_t rx_key;
static pthread_once_t rx_once = PTHREAD_ONCE_INIT;
/* The largest reply a thread makes room for: more is no rtnetlink message. */
#define RX_MAX ((size_t)64 << 20)
/* What recv_some returns for a datagram larger than the buffer (rx_need says how large). */
#define RX_TOO_SMALL (-EMSGSIZE)

static char *rx_buf(void)
{
	return rx_large ? rx_large : rx_small;
}

static size_t rx_size(void)
{
	return rx_large ? rx_large_size : sizeof(rx_small);
}

static void rx_key_make(void)
{
	if (pthread_key_create(&rx_key, free) != 0)
		abort(); /* only when the process is out of keys */
}

/*
 * Whether @ret says the last read was cut short, which a larger buffer
 * cures: the kernel's own EMSGSIZE, an error it answers with, has the
 * same number and leaves rx_need within the buffer.
 */
static bool rx_cut(int ret)
{
	return ret == RX_TOO_SMALL && rx_need > rx_size();
}

/*
 * Makes the thread's buffer hold rx_need bytes, which the last read
 * lacked, up to the aligned end a decoder may look at.
 */
static int rx_grow(void)
{
	size_t size = NLMSG_ALIGN(rx_need);
	char *p;

	if (rx_need > RX_MAX)
		return -EMSGSIZE;
	pthread_once(&rx_once, rx_key_make);
	p = realloc(rx_large, size);
	if (!p)
		return -ENOMEM;
	rx_large = p;
	rx_large_size = size;
	pthread_setspecific(rx_key, p);
	return 0;
}

static int set_flag(struct mnl_socket *sk, int option)
{
	int one = 1;

	return mnl_socket_setsockopt(sk, option, &one, sizeof(one));
}

int nns_nl_open(struct nns_nl **out)
{
	struct nns_nl *nl = calloc(1, sizeof(*nl));
	int ret;

	if (!nl)
		return -ENOMEM;
	nl->sk = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sk)
		goto fail;
	/* Extended acks carry the kernel's reason; capped acks keep them short. */
	if (set_flag(nl->sk, NETLINK_EXT_ACK) < 0 || set_flag(nl->sk, NETLINK_CAP_ACK) < 0 ||
	    set_flag(nl->sk, NETLINK_GET_STRICT_CHK) < 0)
		goto fail;
	/*
	 * Not bound: the first send binds it to a free port id (as bind with
	 * id 0 would, two system calls earlier), and replies are told apart by
	 * their sender, the kernel, and their sequence numbers.
	 */
	nl->seq = (uint32_t)time(NULL);
	*out = nl;
	return 0;
fail:
	ret = -errno;
	if (nl->sk)
		mnl_socket_close(nl->sk);
	free(nl);
	return ret;
}

void nns_nl_close(struct nns_nl *nl)
{
	if (!nl)
		return;
	mnl_socket_close(nl->sk);
	free(nl);
}

int nns_nl_fd(const struct nns_nl *nl)
{
	return mnl_socket_get_fd(nl->sk);
}

static int extack_attr(const struct nlattr *attr, void *data)
{
	struct nns_error *e = data;

	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0 && e) {
		strncpy(e->ext, mnl_attr_get_str(attr), sizeof(e->ext) - 1);
		e->ext[sizeof(e->ext) - 1] = '\0';
	}
	return MNL_CB_OK;
}

/* The errno of an NLMSG_ERROR message (0 for an ACK), extack text into @e. */
static int parse_error(const struct nlmsghdr *nlh, struct nns_error *e)
{
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
	size_t off = sizeof(*err);

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*err)))
		return -EBADMSG;
	/* The kernel sends 0 or -errno; anything else is no answer to trust. */
	if (err->error > 0 || err->error < -4095)
		return -EBADMSG;
	if (err->error && e)
		e->ext[0] = '\0';
	if (err->error && (nlh->nlmsg_flags & NLM_F_ACK_TLVS)) {
		/* Without NLM_F_CAPPED the request itself sits before the TLVs. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			/* An echo shorter than a header leaves no place to start. */
			if (err->msg.nlmsg_len < sizeof(struct nlmsghdr))
				return err->error;
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		}
		if (mnl_nlmsg_size(off) <= nlh->nlmsg_len)
			mnl_attr_parse(nlh, (unsigned)off, extack_attr, e);
	}
	return err->error;
}

/*
 * The errno an NLMSG_DONE carries: a dump that failed part way (or whose
 * filter named nothing, as an address dump of a device that is gone) ends
 * with -errno there, and extack text after it, rather than with an error.
 */
static int parse_done(const struct nlmsghdr *nlh, struct nns_error *e)
{
	int err;

	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(err)))
		return 0; /* kernels before 4.x sent no payload */
	memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
	if (err >= 0)
		return 0;
	if (err < -4095)
		return -EBADMSG;
	if (e)
		e->ext[0] = '\0';
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		mnl_attr_parse(nlh, sizeof(err), extack_attr, e);
	return err;
}

/*
 * One datagram from the kernel into the thread's buffer, its length;
 * RX_TOO_SMALL when it was larger (MSG_TRUNC makes recvmsg return its
 * whole length), and it is then lost.  A datagram another process sent to
 * the socket's port id is skipped.
 */
static ssize_t recv_flags(struct nns_nl *nl, int flags)
{
	struct iovec iov = { .iov_base = rx_buf(), .iov_len = rx_size() };
	struct sockaddr_nl from;
	struct msghdr msg = { .msg_name = &from, .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do {
		from = (struct sockaddr_nl){ 0 };
		msg.msg_namelen = sizeof(from);
		n = recvmsg(mnl_socket_get_fd(nl->sk), &msg, flags | MSG_TRUNC);
	} while ((n < 0 && errno == EINTR) || (n >= 0 && from.nl_pid != 0));
	if (n < 0)
		return -errno;
	if ((size_t)n > iov.iov_len) {
		if ((size_t)n > rx_need)
			rx_need = (size_t)n;
		return RX_TOO_SMALL;
	}
	return n;
}

static ssize_t recv_some(struct nns_nl *nl)
{
	return recv_flags(nl, 0);
}

/*
 * Whether @left bytes at @nlh start with a whole message.  libmnl's
 * mnl_nlmsg_ok compares lengths as int, so it takes an nlmsg_len of 2 GiB
 * or more for a short one; and mnl_nlmsg_next needs an int counter.
 */
static bool msg_ok(const struct nlmsghdr *nlh, size_t left)
{
	return left >= sizeof(*nlh) && nlh->nlmsg_len >= sizeof(*nlh) && nlh->nlmsg_len <= left;
}

static struct nlmsghdr *msg_next(struct nlmsghdr *nlh, size_t *left)
{
	size_t step = NLMSG_ALIGN(nlh->nlmsg_len);

	*left = step < *left ? *left - step : 0;
	return (struct nlmsghdr *)((char *)nlh + step);
}

/*
 * Reads and drops what is left of the answer to request @seq, after a
 * reply that was lost or a failure part way: a dump left running would
 * answer the handle's next request.  The kernel queues each part of a dump
 * as the one before is read, and a request's answer whole before sendmsg
 * returns, so reading stops when nothing is queued.
 */
static void drain(struct nns_nl *nl, uint32_t seq)
{
	for (;;) {
		ssize_t n = recv_flags(nl, MSG_DONTWAIT);
		struct nlmsghdr *nlh = (struct nlmsghdr *)rx_buf();
		size_t left;

		if (n == RX_TOO_SMALL)
			continue;
		if (n < 0)
			return;
		for (left = (size_t)n; msg_ok(nlh, left); nlh = msg_next(nlh, &left))
			if (nlh->nlmsg_seq == seq &&
			    (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR))
				return;
	}
}

static int send_all(struct nns_nl *nl, const void *buf, size_t len)
{
	ssize_t n;

	do
		n = mnl_socket_sendto(nl->sk, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Whether @nlh answers a request of ours numbered from @first to @last. */
static bool ours(const struct nlmsghdr *nlh, uint32_t first, uint32_t last)
{
	return nlh->nlmsg_seq - first <= last - first;
}

static int msgs_append(struct nns_msgs *m, const struct nlmsghdr *nlh)
{
	size_t need = NLMSG_ALIGN(nlh->nlmsg_len);

	if (!m->buf || m->len + need > m->cap) {
		size_t cap = m->cap ? m->cap : 16384;
		char *buf;

		while (cap < m->len + need)
			cap *= 2;
		buf = realloc(m->buf, cap);
		if (!buf)
			return -ENOMEM;
		m->buf = buf;
		m->cap = cap;
	}
	/* The padding too is defined: a decoder may look up to the aligned end. */
	memcpy(m->buf + m->len, nlh, nlh->nlmsg_len);
	memset(m->buf + m->len + nlh->nlmsg_len, 0, need - nlh->nlmsg_len);
	m->len += need;
	return 0;
}

/* Whether @req reads rather than changes (rtnetlink's GET kinds: type % 4 == 2). */
static bool is_get(const struct nlmsghdr *req)
{
	return req->nlmsg_type >= RTM_BASE && (req->nlmsg_type - RTM_BASE) % 4 == 2;
}

/*
 * Sends @req once and reads its answer; RX_TOO_SMALL when a reply did not
 * fit.  A change is answered by an ack (or an error); a reading request,
 * sent without NLM_F_ACK, by its one reply (or an error), which saves a
 * read for each.
 */
static int request_once(struct nns_nl *nl, struct nlmsghdr *req, bool get, struct nns_msgs *reply,
			struct nns_error *e)
{
	uint32_t seq = ++nl->seq;
	int ret;

	req->nlmsg_seq = seq;
	ret = send_all(nl, req, req->nlmsg_len);
	while (ret == 0) {
		ssize_t n = recv_some(nl);
		struct nlmsghdr *nlh = (struct nlmsghdr *)rx_buf();
		size_t left;

		if (n < 0) {
			ret = (int)n;
			break;
		}
		for (left = (size_t)n; msg_ok(nlh, left); nlh = msg_next(nlh, &left)) {
			if (!ours(nlh, seq, seq))
				continue;
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return parse_error(nlh, e);
			if (reply) {
				ret = msgs_append(reply, nlh);
				if (ret < 0)
					break;
			}
			if (get)
				return 0;
		}
	}
	drain(nl, seq);
	return ret;
}

int nns_nl_request(struct nns_nl *nl, struct nlmsghdr *req, struct nns_msgs *reply,
		   struct nns_error *e)
{
	size_t start = reply ? reply->len : 0;
	bool get = is_get(req);
	int ret;

	req->nlmsg_flags |= NLM_F_REQUEST | (get ? 0 : NLM_F_ACK);
	ret = request_once(nl, req, get, reply, e);
	/* Only a reading request has a reply that can be too large, and it may be made again. */
	if (get && rx_cut(ret)) {
		ret = rx_grow();
		if (ret == 0) {
			if (reply)
				reply->len = start;
			ret = request_once(nl, req, get, reply, e);
		}
	}
	if (ret < 0 && e)
		e->code = -ret;
	return ret;
}

void nns_msgs_free(struct nns_msgs *m)
{
	free(m->buf);
	memset(m, 0, sizeof(*m));
}

/* One pass of a dump; -EINTR when the kernel marked it interrupted. */
static int dump_once(struct nns_nl *nl, struct nlmsghdr *req, struct nns_msgs *out,
		     struct nns_error *e)
{
	uint32_t seq = ++nl->seq;
	bool intr = false;
	int ret;

	req->nlmsg_seq = seq;
	ret = send_all(nl, req, req->nlmsg_len);
	while (ret == 0) {
		ssize_t n = recv_some(nl);
		struct nlmsghdr *nlh = (struct nlmsghdr *)rx_buf();
		size_t left;

		if (n < 0) {
			ret = (int)n;
			break;
		}
		for (left = (size_t)n; msg_ok(nlh, left); nlh = msg_next(nlh, &left)) {
			if (!ours(nlh, seq, seq))
				continue;
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			if (nlh->nlmsg_type == NLMSG_DONE) {
				ret = parse_done(nlh, e);
				return ret == 0 && intr ? -EINTR : ret;
			}
			if (nlh->nlmsg_type == NLMSG_ERROR)
				return parse_error(nlh, e);
			ret = msgs_append(out, nlh);
			if (ret < 0)
				break;
		}
	}
	drain(nl, seq);
	return ret;
}

/*
 * The buffer a listing collects its dump in is kept for the thread's next
 * listing: the dump of a thousand links is a megabyte or two, and growing
 * a buffer to that size anew each time (reallocs, copies, fresh pages)
 * cost about as much as parsing it.  A listing detaches it while it runs,
 * so that one run by its callback makes a buffer of its own; the first to
 * end keeps its buffer, the other frees its own.  Callers whose callbacks
 * may leave by longjmp lend a buffer instead (nns_dump_lend): one detached
 * by an abandoned frame would be lost.
 */
static pthread_key_t dump_key;
static pthread_once_t dump_once_flag = PTHREAD_ONCE_INIT;

static void kept_dump_free(void *p)
{
	nns_msgs_free(p);
	free(p);
}

static void dump_key_make(void)
{
	if (pthread_key_create(&dump_key, kept_dump_free) != 0)
		abort(); /* only when the process is out of keys */
}

/* The thread's kept buffer, emptied and detached, or a new one; NULL when out of memory. */
static struct nns_msgs *take_dump_buffer(void)
{
	struct nns_msgs *m;

	pthread_once(&dump_once_flag, dump_key_make);
	m = pthread_getspecific(dump_key);
	if (!m)
		return calloc(1, sizeof(*m));
	pthread_setspecific(dump_key, NULL);
	m->len = 0;
	return m;
}

/* Keeps @m for the thread's next listing, unless it has one again. */
static void keep_dump_buffer(struct nns_msgs *m)
{
	if (m->cap > NNS_DUMP_KEEP)
		nns_msgs_free(m);
	if (pthread_getspecific(dump_key) || pthread_setspecific(dump_key, m) != 0)
		kept_dump_free(m);
}

static __thread struct nns_msgs *lent_buffer;

void nns_dump_lend(struct nns_msgs *m)
{
	lent_buffer = m;
}

int nns_dump_each(struct nns_ns *ns, struct nlmsghdr *req, const char *what, nns_msg_cb each,
		  void *data, struct nns_error *e)
{
	struct nns_msgs own = { 0 }, *msgs = lent_buffer, *kept = NULL;
	struct nlmsghdr *nlh;
	struct nns_nl *nl;
	int ret;

	lent_buffer = NULL; /* for this dump only: one a callback runs takes another */
	if (!msgs) {
		kept = take_dump_buffer();
		msgs = kept ? kept : &own;
	}
	ret = nns_ns_nl(ns, &nl, e);
	if (ret < 0)
		goto out;
	ret = nns_nl_dump(nl, req, msgs, e);
	if (ret < 0) {
		nns_error_set(e, -ret, "%s", what);
		goto out;
	}
	nns_msgs_foreach(msgs, nlh) {
		ret = each(nlh, data);
		if (ret < 0)
			break;
	}
out:
	if (kept)
		keep_dump_buffer(kept);
	nns_msgs_free(&own);
	return ret;
}

int nns_nl_dump(struct nns_nl *nl, struct nlmsghdr *req, struct nns_msgs *out, struct nns_error *e)
{
	int ret, tries = 0;

	req->nlmsg_flags |= NLM_F_REQUEST | NLM_F_DUMP;
	do {
		out->len = 0;
		ret = dump_once(nl, req, out, e);
		if (rx_cut(ret)) { /* a part too large for the buffer: again, with room */
			int grown = rx_grow();

			ret = grown < 0 ? grown : -EINTR;
		}
	} while (ret == -EINTR && ++tries < DUMP_RETRIES);
	if (ret == -EINTR && e) /* never a partial list: say why there is none */
		snprintf(e->ext, sizeof(e->ext),
			 "dump interrupted by concurrent changes %d times in a row", DUMP_RETRIES);
	if (ret < 0 && e)
		e->code = -ret;
	return ret;
}

/* ---- batches ------------------------------------------------------------ */

/* Moves the batch's length past its last request, now complete. */
static void batch_seal(struct nns_batch *b)
{
	if (b->count) {
		struct nlmsghdr *last = (struct nlmsghdr *)(b->buf + b->tail);

		b->len = b->tail + NLMSG_ALIGN(last->nlmsg_len);
	}
}

/* Room for @need bytes in @buf (of @cap bytes), grown by doubling from @first. */
static int grow(char **buf, size_t *cap, size_t need, size_t first)
{
	size_t n = *cap ? *cap : first;
	char *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (!p)
		return -ENOMEM;
	*buf = p;
	*cap = n;
	return 0;
}

/*
 * Files @what as the name of the next request.  The names live one after
 * the other in one buffer: a batch of a thousand requests makes no
 * thousand small allocations.
 */
static int batch_name(struct nns_batch *b, const char *what)
{
	size_t n = strlen(what ? what : "") + 1;

	if (b->count == b->slots) {
		unsigned slots = b->slots ? b->slots * 2 : 8;
		size_t *offs = realloc(b->what, slots * sizeof(*offs));

		if (!offs)
			return -ENOMEM;
		b->what = offs;
		b->slots = slots;
	}
	if (grow(&b->names, &b->names_cap, b->names_len + n, 128) < 0)
		return -ENOMEM;
	memcpy(b->names + b->names_len, what ? what : "", n);
	b->what[b->count] = b->names_len;
	b->names_len += n;
	return 0;
}

struct nlmsghdr *nns_batch_next(struct nns_batch *b, const char *what)
{
	struct nlmsghdr *nlh;

	batch_seal(b);
	if (grow(&b->buf, &b->cap, b->len + NNS_MSG_SIZE, (size_t)4 * NNS_MSG_SIZE) < 0 ||
	    batch_name(b, what) < 0)
		return NULL;
	memset(b->buf + b->len, 0, NNS_MSG_SIZE);
	nlh = mnl_nlmsg_put_header(b->buf + b->len);
	b->tail = b->len;
	b->count++;
	return nlh;
}

int nns_batch_add(struct nns_batch *b, const struct nlmsghdr *nlh, const char *what)
{
	size_t size = NLMSG_ALIGN(nlh->nlmsg_len);

	batch_seal(b);
	if (grow(&b->buf, &b->cap, b->len + size, 256) < 0 || batch_name(b, what) < 0)
		return -ENOMEM;
	memcpy(b->buf + b->len, nlh, nlh->nlmsg_len);
	memset(b->buf + b->len + nlh->nlmsg_len, 0, size - nlh->nlmsg_len);
	b->tail = b->len;
	b->count++;
	return 0;
}

/*
 * Acks are read many at a time, each into its own slot of the thread's
 * buffer: a batch of a thousand requests costs a few dozen system calls
 * to collect rather than a thousand.  An ack is capped (it does not echo
 * the request), so a slot holds it with the kernel's reason; a larger
 * datagram is cut to its slot, which still holds its error number.
 */
#define ACK_SLOT 1024
#define ACK_SLOTS (sizeof(rx_small) / ACK_SLOT)

struct ack_slots {
	struct mmsghdr mm[ACK_SLOTS];
	struct iovec iov[ACK_SLOTS];
	struct sockaddr_nl from[ACK_SLOTS];
};

/* Waits for one datagram, then takes up to @want that are queued; how many, or -errno. */
static int recv_acks(struct nns_nl *nl, struct ack_slots *a, unsigned want)
{
	unsigned i;
	int n;

	if (want > ACK_SLOTS)
		want = ACK_SLOTS;
	for (i = 0; i < want; i++) {
		a->iov[i] = (struct iovec){ .iov_base = rx_small + (size_t)i * ACK_SLOT,
					    .iov_len = ACK_SLOT };
		a->mm[i].msg_hdr = (struct msghdr){ .msg_name = &a->from[i],
						    .msg_namelen = sizeof(a->from[i]),
						    .msg_iov = &a->iov[i],
						    .msg_iovlen = 1 };
	}
	do
		n = recvmmsg(mnl_socket_get_fd(nl->sk), a->mm, want, MSG_WAITFORONE, NULL);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : n;
}

/*
 * The message in slot @i, or NULL for a datagram not from the kernel.  A
 * datagram cut short keeps its header and error number, not its reason.
 */
static struct nlmsghdr *ack_in(struct ack_slots *a, unsigned i, size_t *len)
{
	struct nlmsghdr *nlh = a->iov[i].iov_base;

	if (a->from[i].nl_pid != 0)
		return NULL;
	*len = a->mm[i].msg_len;
	if ((a->mm[i].msg_hdr.msg_flags & MSG_TRUNC) &&
	    *len >= mnl_nlmsg_size(sizeof(struct nlmsgerr))) {
		*len = ACK_SLOT;
		nlh->nlmsg_len = ACK_SLOT;
		nlh->nlmsg_flags &= (uint16_t)~NLM_F_ACK_TLVS;
	}
	return nlh;
}

/*
 * Takes ack @nlh if it answers one of requests @first..@last: a failure
 * is told against its own request, with its own text, and the first is
 * kept in *@failed and @e.  Whether it was one of them.
 */
static bool take_ack(struct nns_batch *b, const struct nlmsghdr *nlh, uint32_t first, uint32_t last,
		     uint32_t base, int *failed, struct nns_error *e)
{
	struct nns_error one = { 0 };
	unsigned index;
	int err;

	if (!ours(nlh, first, last) || nlh->nlmsg_type != NLMSG_ERROR)
		return false;
	err = parse_error(nlh, &one);
	if (err >= 0)
		return true;
	index = nlh->nlmsg_seq - base;
	nns_error_set(&one, -err, "%s", b->names + b->what[index]);
	if (b->failed)
		b->failed(index, &one, b->data);
	if (!*failed) {
		*failed = err;
		if (e)
			*e = one;
	}
	return true;
}

/* Collects the acks of requests @first..@last; the first failure is returned. */
static int batch_acks(struct nns_nl *nl, struct nns_batch *b, uint32_t first, uint32_t last,
		      uint32_t base, int *failed, struct nns_error *e)
{
	uint32_t pending = last - first + 1;
	struct ack_slots a;

	while (pending) {
		int got = recv_acks(nl, &a, pending);

		if (got < 0)
			return got;
		for (unsigned i = 0; i < (unsigned)got; i++) {
			size_t left;
			struct nlmsghdr *nlh = ack_in(&a, i, &left);

			for (; nlh && msg_ok(nlh, left); nlh = msg_next(nlh, &left))
				if (take_ack(b, nlh, first, last, base, failed, e))
					pending--;
		}
	}
	return 0;
}

int nns_batch_run(struct nns_nl *nl, struct nns_batch *b, struct nns_error *e)
{
	uint32_t base = nl->seq + 1;
	int failed = 0, ret = 0;
	size_t off = 0;
	unsigned i = 0;

	batch_seal(b);
	while (i < b->count && ret == 0) {
		size_t start = off;
		uint32_t first = nl->seq + 1;

		/* Number and gather one slice. */
		do {
			struct nlmsghdr *nlh = (struct nlmsghdr *)(b->buf + off);

			nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
			nlh->nlmsg_seq = ++nl->seq;
			off += NLMSG_ALIGN(nlh->nlmsg_len);
			i++;
		} while (i < b->count && off - start < BATCH_SLICE_BYTES &&
			 nl->seq - first + 1 < BATCH_SLICE_MSGS);
		ret = send_all(nl, b->buf + start, off - start);
		if (ret == 0)
			ret = batch_acks(nl, b, first, nl->seq, base, &failed, e);
	}
	if (ret == 0 || failed) /* a request's own failure says more than a slice's */
		ret = failed ? failed : ret;
	else if (e)
		nns_error_set(e, -ret, "batch of %u requests", b->count);
	return ret;
}

void nns_batch_free(struct nns_batch *b)
{
	free(b->what);
	free(b->names);
	free(b->buf);
	memset(b, 0, sizeof(*b));
}
