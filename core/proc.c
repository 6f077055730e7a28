// SPDX-License-Identifier: MIT
/*
 * Programs inside a namespace.  The child enters the namespace and, like
 * `ip netns exec`, gets a private mount namespace with the namespace's own
 * /sys and the files of /etc/netns/NAME bound over /etc.  A pipe tells the
 * parent whether the set-up worked; a pidfd lets it wait with a timeout.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "netns.h"

/* What a child that failed before exec tells its parent. */
struct child_report {
	int err;
	char stage[32];
};

static void report(int fd, int err, const char *stage)
{
	struct child_report r = { .err = err };
	ssize_t n;

	strncpy(r.stage, stage, sizeof(r.stage) - 1);
	n = write(fd, &r, sizeof(r));
	(void)n;
	_exit(127);
}

/* /etc/netns/NAME/x over /etc/x, as `ip netns exec` does; missing targets are skipped. */
static void bind_etc(const char *name)
{
	char dir[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/%s", NNS_ETC_DIR, name);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (snprintf(src, sizeof(src), "%s/%s", dir, de->d_name) < (int)sizeof(src) &&
		    snprintf(dst, sizeof(dst), "/etc/%s", de->d_name) < (int)sizeof(dst))
			mount(src, dst, "none", MS_BIND, NULL);
	}
	closedir(d);
}

/* A private view of the mounts: this namespace's /sys and /etc/netns files. */
static const char *remount(const char *ns_name)
{
	unsigned long flags = 0;
	struct statvfs sv;

	if (unshare(CLONE_NEWNS) < 0)
		return "unshare mount namespace";
	if (mount("", "/", "none", MS_SLAVE | MS_REC, NULL) < 0)
		return "make mounts private";
	if (statvfs("/sys", &sv) == 0 && (sv.f_flag & ST_RDONLY))
		flags = MS_RDONLY;
	umount2("/sys", MNT_DETACH);
	if (mount(ns_name ? ns_name : "netns", "/sys", "sysfs", flags, NULL) < 0)
		return "mount /sys";
	if (ns_name)
		bind_etc(ns_name);
	return NULL;
}

static int open_null(int flags)
{
	return open("/dev/null", flags | O_CLOEXEC);
}

/* Puts @fd on @target; NNS_FD_NULL means /dev/null, NNS_FD_INHERIT leaves it. */
static int place_fd(int fd, int target)
{
	if (fd == NNS_FD_INHERIT)
		return 0;
	if (fd == NNS_FD_NULL) {
		fd = open_null(target == 0 ? O_RDONLY : O_WRONLY);
		if (fd < 0)
			return -1;
	}
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	return dup2(fd, target) < 0 ? -1 : 0;
}

static void reset_signals(void)
{
	sigset_t none;
	int sig;

	/* The host's handlers and ignored signals must not leak into the program. */
	for (sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void child(const struct nns_exec *x, int rfd, pid_t parent)
{
	const char *stage;
	int err;

	reset_signals();
	if (x->own_group)
		setpgid(0, 0);
	if (x->die_with_parent &&
	    (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent))
		_exit(127);
	if (setns(x->ns->fd, CLONE_NEWNET) < 0)
		report(rfd, errno, "enter namespace");
	stage = remount(x->ns_name);
	if (stage)
		report(rfd, errno, stage);
	if (place_fd(x->stdin_fd, 0) < 0 || place_fd(x->stdout_fd, 1) < 0 ||
	    place_fd(x->stderr_fd, 2) < 0)
		report(rfd, errno, "redirect");
	/* Only 0, 1 and 2 cross exec; the report pipe stays until exec closes it. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		report(rfd, errno, "close descriptors");
	if (x->cwd && chdir(x->cwd) < 0)
		report(rfd, errno, "change directory");
	if (x->envp)
		execvpe(x->argv[0], x->argv, x->envp);
	else
		execvp(x->argv[0], x->argv);
	err = errno;
	dprintf(2, "netns: exec %s%s%s%s: %s [%s]\n", x->argv[0], x->label ? " (in " : "",
		x->label ? x->label : "", x->label ? ")" : "", strerror(err), nns_errno_name(err));
	_exit(err == ENOENT ? 127 : 126);
}

int nns_proc_start(const struct nns_exec *x, struct nns_proc *p, struct nns_error *e)
{
	struct child_report r;
	pid_t parent = getpid();
	int fds[2], ret = 0;
	ssize_t n;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		ret = -errno;
		goto out;
	}
	p->pidfd = -1;
	p->group = x->own_group;
	p->pid = fork();
	if (p->pid < 0) {
		ret = -errno;
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (p->pid == 0)
		child(x, fds[1], parent);
	close(fds[1]);
	do
		n = read(fds[0], &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	close(fds[0]);
	if (n == sizeof(r)) {
		/* The child failed before exec and has exited: collect it. */
		waitpid(p->pid, NULL, 0);
		ret = -r.err;
		nns_error_set(e, r.err, "exec %s: %s", x->argv[0], r.stage);
		return ret;
	}
	/* Without pidfds (old kernels, valgrind) waits fall back to polling. */
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0 && errno != ENOSYS) {
		ret = -errno;
		kill(p->pid, SIGKILL);
		waitpid(p->pid, NULL, 0);
	}
out:
	if (ret < 0)
		nns_error_set(e, -ret, "exec %s", x->argv[0]);
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int buf_read(struct nns_io *io)
{
	ssize_t n;

	if (io->len + 4096 > io->cap) {
		size_t cap = io->cap ? io->cap * 2 : 8192;
		char *buf = realloc(io->buf, cap);

		if (!buf)
			return -ENOMEM;
		io->buf = buf;
		io->cap = cap;
	}
	n = read(io->fd, io->buf + io->len, io->cap - io->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : -errno;
	if (n == 0) {
		close(io->fd);
		io->fd = -1;
	}
	io->len += (size_t)n;
	return 0;
}

/*
 * write() that turns a closed pipe into EPIPE rather than a SIGPIPE that
 * would end the whole host: the signal is held and then consumed.
 */
static ssize_t write_nosigpipe(int fd, const void *buf, size_t len)
{
	struct timespec zero = { 0 };
	sigset_t pipe_set, old;
	ssize_t n;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, buf, len);
	err = errno;
	if (n < 0 && err == EPIPE)
		sigtimedwait(&pipe_set, NULL, &zero);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return n;
}

static int buf_write(struct nns_io *io)
{
	ssize_t n = write_nosigpipe(io->fd, io->data + io->len, io->size - io->len);

	if (n < 0 && errno != EINTR && errno != EAGAIN) {
		/* The program closed its input early: it does not want the rest. */
		n = (ssize_t)(io->size - io->len);
	}
	if (n > 0)
		io->len += (size_t)n;
	if (io->len == io->size) {
		close(io->fd);
		io->fd = -1;
	}
	return 0;
}

/* Whether the program has ended, without reaping it. */
static bool has_exited(const struct nns_proc *p)
{
	siginfo_t si = { 0 };

	return waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid;
}

/* How long one poll may sleep: without a pidfd, the exit is checked every 10 ms. */
static int poll_slice(const struct nns_proc *p, int wait_ms)
{
	if (p->pidfd >= 0 || (wait_ms >= 0 && wait_ms < 10))
		return wait_ms;
	return 10;
}

/* Serves the pipes in @io until the program exits and they close, or time runs out. */
static int pump(struct nns_proc *p, struct nns_io *io, int nio, long long deadline,
		bool *exited)
{
	for (;;) {
		struct pollfd pfd[4];
		int i, n = 0, open = 0, wait_ms = -1;

		for (i = 0; i < nio; i++)
			open += io[i].fd >= 0;
		if (*exited && !open)
			return 0;
		pfd[n++] = (struct pollfd){ .fd = *exited ? -1 : p->pidfd, .events = POLLIN };
		for (i = 0; i < nio; i++)
			pfd[n++] = (struct pollfd){ .fd = io[i].fd,
						    .events = io[i].data ? POLLOUT : POLLIN };
		if (deadline >= 0) {
			wait_ms = (int)(deadline - now_ms());
			if (wait_ms < 0)
				return -ETIMEDOUT;
		}
		if (poll(pfd, (nfds_t)n, poll_slice(p, wait_ms)) < 0)
			return -errno;
		if (pfd[0].revents || (p->pidfd < 0 && !*exited && has_exited(p)))
			*exited = true;
		for (i = 0; i < nio; i++) {
			int ret = 0;

			if (!pfd[i + 1].revents)
				continue;
			ret = io[i].data ? buf_write(&io[i]) : buf_read(&io[i]);
			if (ret < 0)
				return ret;
		}
	}
}

int nns_proc_wait(struct nns_proc *p, struct nns_io *io, int nio, int timeout_ms,
		  int *status, struct nns_error *e)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	bool exited = false;
	int i, ret;

	/* The program must never block us: a full or slow pipe waits for poll. */
	for (i = 0; i < nio; i++)
		if (io[i].fd >= 0)
			fcntl(io[i].fd, F_SETFL, fcntl(io[i].fd, F_GETFL) | O_NONBLOCK);
	ret = pump(p, io, nio, deadline, &exited);
	/* Timed out or interrupted: the program, and what it started, do not outlive the wait. */
	if (ret < 0)
		kill(p->group ? -p->pid : p->pid, SIGKILL);
	while (waitpid(p->pid, status, 0) < 0 && errno == EINTR)
		;
	p->pid = 0;
	if (ret < 0 && ret != -ETIMEDOUT) {
		nns_error_set(e, -ret, "wait");
		return ret;
	}
	return 0;
}

int nns_proc_wait_exit(struct nns_proc *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
	long long deadline = now_ms() + timeout_ms;
	int n;

	if (p->pidfd < 0) {
		while (!has_exited(p)) {
			if (now_ms() >= deadline)
				return 0;
			poll(NULL, 0, 10);
		}
		return 1;
	}
	do
		n = poll(&pfd, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	return n != 0;
}

int nns_proc_poll(struct nns_proc *p, int *status)
{
	pid_t r = waitpid(p->pid, status, WNOHANG);

	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	p->pid = 0;
	return 1;
}

void nns_proc_release(struct nns_proc *p)
{
	/* An abandoned program is stopped and reaped rather than left a zombie. */
	if (p->pid > 0) {
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->pid = 0;
	}
	if (p->pidfd >= 0)
		close(p->pidfd);
	p->pidfd = -1;
}

void nns_io_free(struct nns_io *io, int nio)
{
	int i;

	for (i = 0; i < nio; i++) {
		if (io[i].fd >= 0)
			close(io[i].fd);
		io[i].fd = -1;
		if (!io[i].data)
			free(io[i].buf);
		io[i].buf = NULL;
	}
}
