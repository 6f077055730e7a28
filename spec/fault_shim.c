// SPDX-License-Identifier: MIT
/*
 * Fault injection for the specs, by LD_PRELOAD: never part of what is
 * installed.  It stands between nslua and libc for the calls that change
 * or reach the kernel's namespaces and netlink, counts them, and can make
 * one of them fail:
 *
 *   NETNS_FAULT_CALL   setns, socket, unshare, mount, umount2, sendto,
 *                      sendmsg, open, ioctl: the function to fail
 *   NETNS_FAULT_AT     k: its k-th call fails (1 is the first)
 *   NETNS_FAULT_ERRNO  the errno it fails with: a number, a name among
 *                      those below (default EPERM), or KILL: the process
 *                      gets SIGKILL just before that call
 *   NETNS_FAULT_LOG    a file each counted call appends its name to, with
 *                      "!" before it when it was made to fail; a script
 *                      writes markers there (append mode) to tell which
 *                      calls one of its statements made
 *   NETNS_FAULT_OLD_CLOSE_RANGE
 *                      when set, close_range refuses CLOSE_RANGE_CLOEXEC
 *                      with EINVAL, as Linux before 5.11 does (not counted)
 *
 * The counts live in memory shared with the children nslua forks or
 * clones, so that the k-th call is the k-th of the whole run, a program's
 * start included.  LD_PRELOAD itself is removed from the environment at
 * load time: the programs nslua runs are not counted.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/close_range.h>

enum { F_SETNS, F_SOCKET, F_UNSHARE, F_MOUNT, F_UMOUNT2, F_SENDTO, F_SENDMSG, F_OPEN, F_IOCTL, F_N };

static const char *const names[F_N] = { "setns",   "socket", "unshare", "mount", "umount2",
					"sendto",  "sendmsg", "open",	 "ioctl" };

static struct {
	long calls[F_N];
} *shared;

static int fail_fn = -1, fail_errno = EPERM, log_fd = -1, old_close_range;
static long fail_at;

static int errno_of(const char *s)
{
	static const struct {
		const char *name;
		int code;
	} known[] = { { "EPERM", EPERM },   { "ENOMEM", ENOMEM }, { "EBADF", EBADF },
		      { "EINVAL", EINVAL }, { "EMFILE", EMFILE }, { "ENOSPC", ENOSPC },
		      { "EACCES", EACCES }, { "EIO", EIO },	  { "KILL", -1 } };
	size_t i;

	if (!s || !*s)
		return EPERM;
	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(s, known[i].name))
			return known[i].code;
	return atoi(s) > 0 ? atoi(s) : EPERM;
}

__attribute__((constructor)) static void fault_init(void)
{
	const char *call = getenv("NETNS_FAULT_CALL"), *at = getenv("NETNS_FAULT_AT");
	const char *log = getenv("NETNS_FAULT_LOG");
	int i;

	/*
	 * Only nslua is counted.  A wrapper in between (the shell that starts
	 * nslua under valgrind) keeps LD_PRELOAD for it and stays inert.
	 */
	if (strcmp(program_invocation_short_name, "nslua") != 0)
		return;
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		      -1, 0);
	if (shared == MAP_FAILED)
		abort();
	for (i = 0; call && i < F_N; i++)
		if (!strcmp(call, names[i]))
			fail_fn = i;
	fail_at = at ? atol(at) : 0;
	fail_errno = errno_of(getenv("NETNS_FAULT_ERRNO"));
	old_close_range = getenv("NETNS_FAULT_OLD_CLOSE_RANGE") != NULL;
	if (log) {
		int fd = (int)syscall(SYS_openat, AT_FDCWD, log,
				      O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

		/* Far above what the specs count, so that it never shifts a number. */
		log_fd = fd < 0 ? -1 : fcntl(fd, F_DUPFD_CLOEXEC, 900);
		if (fd >= 0)
			close(fd);
	}
	unsetenv("LD_PRELOAD");
}

/* Counts a call of @fn; true when it is the one to fail (errno is then set). */
static int faulty(int fn)
{
	long n;
	int fail;

	if (!shared)
		return 0;
	n = __atomic_add_fetch(&shared->calls[fn], 1, __ATOMIC_SEQ_CST);
	fail = fn == fail_fn && n == fail_at;

	if (log_fd >= 0) {
		char line[16];
		size_t len = strlen(names[fn]);

		line[0] = '!';
		memcpy(line + 1, names[fn], len);
		line[len + 1] = '\n';
		/* a lost line shows as a wrong count in the spec */
		(void)!write(log_fd, line + !fail, len + 1 + (size_t)fail);
	}
	if (fail && fail_errno < 0)
		raise(SIGKILL);
	if (fail)
		errno = fail_errno;
	return fail;
}

#define REAL(ret, name, ...)                                 \
	static ret (*real)(__VA_ARGS__);                     \
	if (!real)                                           \
		real = (ret(*)(__VA_ARGS__))dlsym(RTLD_NEXT, name)

int setns(int fd, int nstype)
{
	REAL(int, "setns", int, int);
	return faulty(F_SETNS) ? -1 : real(fd, nstype);
}

int unshare(int flags)
{
	REAL(int, "unshare", int);
	return faulty(F_UNSHARE) ? -1 : real(flags);
}

int socket(int domain, int type, int protocol)
{
	REAL(int, "socket", int, int, int);
	return faulty(F_SOCKET) ? -1 : real(domain, type, protocol);
}

int mount(const char *src, const char *dst, const char *type, unsigned long flags,
	  const void *data)
{
	REAL(int, "mount", const char *, const char *, const char *, unsigned long, const void *);
	return faulty(F_MOUNT) ? -1 : real(src, dst, type, flags, data);
}

int umount2(const char *target, int flags)
{
	REAL(int, "umount2", const char *, int);
	return faulty(F_UMOUNT2) ? -1 : real(target, flags);
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t tolen)
{
	REAL(ssize_t, "sendto", int, const void *, size_t, int, const struct sockaddr *,
	     socklen_t);
	return faulty(F_SENDTO) ? -1 : real(fd, buf, len, flags, to, tolen);
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	REAL(ssize_t, "sendmsg", int, const struct msghdr *, int);
	return faulty(F_SENDMSG) ? -1 : real(fd, msg, flags);
}

long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	REAL(long, "syscall", long, long, long, long, long, long, long);
	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (old_close_range && nr == SYS_close_range && (a[2] & CLOSE_RANGE_CLOEXEC)) {
		errno = EINVAL;
		return -1;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	REAL(int, "ioctl", int, unsigned long, void *);
	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	return faulty(F_IOCTL) ? -1 : real(fd, req, arg);
}

/* open and its aliases: the mode is there only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, mode)                                  \
	do {                                                    \
		if ((flags) & (O_CREAT | O_TMPFILE)) {          \
			va_list ap;                             \
			va_start(ap, flags);                    \
			mode = va_arg(ap, mode_t);              \
			va_end(ap);                             \
		}                                               \
	} while (0)

int open(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return faulty(F_OPEN) ? -1 : (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return faulty(F_OPEN) ? -1 : (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

int openat(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return faulty(F_OPEN) ? -1 : (int)syscall(SYS_openat, dir, path, flags, mode);
}

int openat64(int dir, const char *path, int flags, ...)
{
	mode_t mode = 0;

	OPEN_MODE(flags, mode);
	return faulty(F_OPEN) ? -1 : (int)syscall(SYS_openat, dir, path, flags, mode);
}
