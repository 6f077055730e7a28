// SPDX-License-Identifier: MIT
/*
 * The bench's stopwatch, run by bench/driver.lua (never timed itself).
 *
 *   harness measure OUT LOG CMD [ARG...]
 *	runs CMD with stdout and stderr on LOG and writes one line to OUT:
 *	"wall_s user_s sys_s maxrss_kib status minflt" (user, sys, peak RSS
 *	and minor page faults from wait4, so they cover CMD and every child
 *	it waited for).
 *   harness settle [TIMEOUT_S]
 *	waits until the kernel has finished destroying the namespaces deleted
 *	so far, and prints how long that took.  Namespaces are destroyed by a
 *	kernel worker, in order, after the process that deleted them has gone;
 *	a sentinel namespace is dropped last, holding the peer of a veth that
 *	lives here: when that veth disappears, the worker has reached it.
 *   harness pagecost
 *	prints what the first touch of a page of fresh memory costs here, in
 *	microseconds of wall time, and the share of it counted as user time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#define SENTINEL "bench-settle"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double tv(const struct timeval *t)
{
	return (double)t->tv_sec + t->tv_usec / 1e6;
}

static int measure(const char *out, const char *log, char **argv)
{
	struct rusage ru;
	double t0, t1;
	int status, fd;
	FILE *f;
	pid_t pid;

	t0 = now();
	pid = fork();
	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			_exit(126);
		close(fd);
		execvp(argv[0], argv);
		dprintf(2, "harness: exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return perror("wait4"), 2;
	t1 = now();
	f = fopen(out, "w");
	if (!f)
		return perror(out), 2;
	fprintf(f, "%.6f %.6f %.6f %ld %d %ld\n", t1 - t0, tv(&ru.ru_utime), tv(&ru.ru_stime),
		ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		ru.ru_minflt);
	fclose(f);
	return 0;
}

/* Creates SENTINEL here with its peer in a namespace nothing else holds. */
static int plant_sentinel(void)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *info, *data, *peer;
	struct ifinfomsg *ifi;
	struct nlmsghdr *nlh;
	int here, there, sk, ret = -1;
	ssize_t n;

	here = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (here < 0 || unshare(CLONE_NEWNET) < 0)
		return -1;
	there = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (setns(here, CLONE_NEWNET) < 0)
		abort();
	sk = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (there < 0 || sk < 0)
		return -1;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, SENTINEL);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)there);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (send(sk, nlh, nlh->nlmsg_len, 0) == (ssize_t)nlh->nlmsg_len &&
	    (n = recv(sk, buf, sizeof(buf), 0)) > 0) {
		struct nlmsgerr *err = mnl_nlmsg_get_payload((struct nlmsghdr *)buf);

		ret = err->error;
		if (ret < 0)
			errno = -ret;
	}
	close(sk);
	close(there);	/* the sentinel namespace's last reference */
	close(here);
	return ret;
}

static int settle(double timeout)
{
	double t0 = now();

	if (if_nametoindex(SENTINEL) == 0 && plant_sentinel() < 0) {
		fprintf(stderr, "harness: settle: %s\n", strerror(errno));
		return 1;
	}
	while (if_nametoindex(SENTINEL) != 0) {
		if (now() - t0 > timeout) {
			fprintf(stderr, "harness: settle: kernel still busy after %.0f s\n", timeout);
			return 1;
		}
		usleep(1000);
	}
	printf("%.6f\n", now() - t0);
	return 0;
}

/*
 * Every page a program touches for the first time is a minor fault.  On a
 * machine where the hypervisor takes part in each (a VM without nested
 * paging), that is tens of microseconds, much of it counted as the
 * program's user time: the tables' fault counts then explain user time
 * that no instruction of the program accounts for.
 */
static int pagecost(void)
{
	const size_t pages = 2048, size = pages * 4096;
	struct rusage r0, r1;
	double t0, t1;
	char *p;
	size_t i;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return perror("mmap"), 1;
	getrusage(RUSAGE_SELF, &r0);
	t0 = now();
	for (i = 0; i < pages; i++)
		((volatile char *)p)[i * 4096] = 1;
	t1 = now();
	getrusage(RUSAGE_SELF, &r1);
	munmap(p, size);
	printf("%.2f %.2f\n", (t1 - t0) * 1e6 / (double)pages,
	       (tv(&r1.ru_utime) - tv(&r0.ru_utime)) / (t1 - t0));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 5 && !strcmp(argv[1], "measure"))
		return measure(argv[2], argv[3], argv + 4);
	if (argc >= 2 && !strcmp(argv[1], "settle"))
		return settle(argc > 2 ? atof(argv[2]) : 300);
	if (argc == 2 && !strcmp(argv[1], "pagecost"))
		return pagecost();
	fprintf(stderr, "usage: harness measure OUT LOG CMD [ARG...] | harness settle [TIMEOUT_S]"
			" | harness pagecost\n");
	return 2;
}
