// SPDX-License-Identifier: MIT
/*
 * Network namespaces.  Named ones live exactly where and how iproute2 keeps
 * them (a bind mount of the nsfs file on /run/netns/NAME, the run directory a
 * shared mount), so `ip netns` and this library see each other's.  Only the
 * calling thread ever changes namespace, and always returns; the helper
 * threads of nns_ns_new_many end inside the namespaces they make.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/net_namespace.h>
#include <linux/rtnetlink.h>

#include "netns.h"

#define SELF_NS "/proc/thread-self/ns/net"

int nns_valid_ns_name(const char *name, const char **why)
{
	if (!*name)
		*why = "must not be empty";
	else if (strchr(name, '/'))
		*why = "must not contain '/'";
	else if (!strcmp(name, ".") || !strcmp(name, ".."))
		*why = "must not be '.' or '..'";
	else if (strlen(name) > NAME_MAX)
		*why = "longer than 255 bytes";
	else
		return 0;
	return -EINVAL;
}

static int ns_path(const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", NNS_RUN_DIR, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/*
 * Fills dev/ino; with @check, also makes sure that @fd really is a network
 * namespace (one this thread has just made by unshare needs no check).
 */
static int ns_adopt(struct nns_ns *ns, int fd, bool check)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (check && ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET)
		return -EINVAL;
	ns->fd = fd;
	ns->nl = NULL;
	ns->deferred = NULL;
	ns->view = ns->view_root = -1;
	ns->dev = st.st_dev;
	ns->ino = st.st_ino;
	return 0;
}

static int open_ns(const char *path, int flags, struct nns_ns *ns, struct nns_error *e)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC | flags);
	if (fd < 0) {
		ret = -errno;
		goto out;
	}
	ret = ns_adopt(ns, fd, true);
	if (ret < 0)
		close(fd);
	if (ret == -EINVAL && e) /* a pin file left unmounted, or any other file */
		snprintf(e->ext, sizeof(e->ext), "%s is not a network namespace", path);
out:
	if (ret < 0)
		nns_error_set(e, -ret, "netns open %s", path);
	return ret;
}

int nns_ns_open_path(const char *path, struct nns_ns *ns, struct nns_error *e)
{
	return open_ns(path, 0, ns, e);
}

/* A name under the run directory: a symlink planted there is never followed. */
int nns_ns_open_name(const char *name, struct nns_ns *ns, struct nns_error *e)
{
	char path[PATH_MAX];
	int ret = ns_path(name, path, sizeof(path));

	if (ret < 0) {
		nns_error_set(e, -ret, "netns open %s", name);
		return ret;
	}
	ret = open_ns(path, O_NOFOLLOW, ns, e);
	if (ret == -ELOOP && e)
		snprintf(e->ext, sizeof(e->ext), "%s/%s is a symlink, never followed", NNS_RUN_DIR,
			 name);
	if (ret < 0)
		nns_error_set(e, -ret, "netns open %s", name);
	return ret;
}

int nns_ns_open_pid(pid_t pid, struct nns_ns *ns, struct nns_error *e)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)pid);
	return nns_ns_open_path(path, ns, e);
}

int nns_ns_current(struct nns_ns *ns, struct nns_error *e)
{
	return nns_ns_open_path(SELF_NS, ns, e);
}

/* Changes deferred and never flushed are dropped unsent. */
static void drop_deferred(struct nns_ns *ns)
{
	if (ns->deferred) {
		nns_batch_free(ns->deferred);
		free(ns->deferred);
		ns->deferred = NULL;
	}
}

void nns_ns_close(struct nns_ns *ns)
{
	drop_deferred(ns);
	nns_nl_close(ns->nl);
	ns->nl = NULL;
	if (ns->view > 2)
		close(ns->view);
	if (ns->view_root > 2)
		close(ns->view_root);
	ns->view = ns->view_root = -1;
	if (ns->fd >= 0)
		close(ns->fd);
	ns->fd = -1;
}

int nns_ns_enter(const struct nns_ns *ns, int *saved, struct nns_error *e)
{
	int ret = 0;

	*saved = open(SELF_NS, O_RDONLY | O_CLOEXEC);
	if (*saved < 0) {
		ret = -errno;
		goto out;
	}
	if (setns(ns->fd, CLONE_NEWNET) < 0) {
		ret = -errno;
		close(*saved);
		*saved = -1;
	}
out:
	if (ret < 0)
		nns_error_set(e, -ret, "netns enter");
	return ret;
}

void nns_ns_leave(int saved)
{
	/* Running on in the wrong namespace would be worse than stopping. */
	if (setns(saved, CLONE_NEWNET) < 0) {
		fprintf(stderr, "netns: cannot return to the original network namespace: %s\n",
			strerror(errno));
		abort();
	}
	close(saved);
}

int nns_ns_nl(struct nns_ns *ns, struct nns_nl **out, struct nns_error *e)
{
	if (!ns->nl) {
		int saved, ret = nns_ns_enter(ns, &saved, e);

		if (ret < 0)
			return ret;
		ret = nns_nl_open(&ns->nl);
		nns_ns_leave(saved);
		if (ret < 0) {
			nns_error_set(e, -ret, "netlink socket");
			return ret;
		}
	}
	*out = ns->nl;
	return 0;
}

int nns_ns_defer(struct nns_ns *ns)
{
	if (!ns->deferred) {
		ns->deferred = calloc(1, sizeof(*ns->deferred));
		if (!ns->deferred)
			return -ENOMEM;
	}
	return 0;
}

int nns_ns_flush(struct nns_ns *ns, struct nns_error *e)
{
	struct nns_nl *nl;
	int ret = 0;

	if (ns->deferred && ns->deferred->count) {
		ret = nns_ns_nl(ns, &nl, e);
		if (ret == 0)
			ret = nns_batch_run(nl, ns->deferred, e);
	}
	drop_deferred(ns);
	return ret;
}

int nns_ns_request(struct nns_ns *ns, struct nlmsghdr *nlh, const char *what, struct nns_error *e)
{
	struct nns_nl *nl;
	int ret;

	ret = nns_ns_nl(ns, &nl, e);
	if (ret == 0)
		ret = nns_nl_request(nl, nlh, NULL, e);
	if (ret < 0)
		nns_error_set(e, -ret, "%s", what);
	return ret;
}

int nns_ns_change(struct nns_ns *ns, struct nlmsghdr *nlh, const char *what, struct nns_error *e)
{
	if (!ns->deferred)
		return nns_ns_request(ns, nlh, what, e);
	if (nns_batch_add(ns->deferred, nlh, what) < 0) {
		nns_error_set(e, ENOMEM, "%s", what);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Moves the calling thread into a fresh namespace and keeps a handle on it,
 * with its netlink socket opened there.  The thread stays inside.
 */
static int fresh_ns(struct nns_ns *ns)
{
	int fd, ret;

	if (unshare(CLONE_NEWNET) < 0)
		return -errno;
	fd = open(SELF_NS, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = ns_adopt(ns, fd, false);
	if (ret == 0)
		ret = nns_nl_open(&ns->nl);
	if (ret < 0) {
		ns->nl = NULL;
		ns->fd = -1;
		close(fd);
	}
	return ret;
}

/* A fresh namespace, entered only long enough to keep a handle on it. */
int nns_ns_new(struct nns_ns *ns, struct nns_error *e)
{
	int saved, ret;

	saved = open(SELF_NS, O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		ret = -errno;
	} else {
		ret = fresh_ns(ns);
		nns_ns_leave(saved);
	}
	if (ret < 0)
		nns_error_set(e, -ret, "netns new");
	return ret;
}

/*
 * Many fresh namespaces at once.  Making one is mostly the kernel setting
 * up its per-namespace state, which runs in parallel (it holds the pernet
 * lock only for reading), so the work is shared among up to one thread a
 * core.  The calling thread takes part and returns to its namespace; the
 * helpers end inside their last namespace and exit, which drops it.
 */
struct new_many {
	struct nns_ns **ns;
	size_t n;
	const struct nns_sysctl *set;
	size_t nset;
	size_t next;	   /* the next index to claim, atomically */
	int err;	   /* the first failure, atomically */
	size_t failed_key; /* with err, the sysctl that failed, or nset */
};

#define NEW_MANY_THREADS 8     /* at most, however many cores there are */
#define NEW_MANY_PER_THREAD 16 /* fewer are not worth a thread's start */

/*
 * Writes sysctl @s in the namespace the thread is in: /proc/sys/net shows
 * the namespace of whoever opens it, and the thread that made the
 * namespace is still inside, so this costs no trip in and out.
 */
static int write_sysctl(const struct nns_sysctl *s)
{
	size_t len = strlen(s->value);
	int fd = open(s->path, O_WRONLY | O_CLOEXEC), ret = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s->value, len);
	if (n != (ssize_t)len)
		ret = n < 0 ? -errno : -EIO;
	close(fd);
	return ret;
}

/* Namespace @i of @job with its sysctls written; *@key is the one that failed, or nset. */
static int make_one(struct new_many *job, size_t i, size_t *key)
{
	int ret = fresh_ns(job->ns[i]);

	*key = job->nset;
	for (size_t k = 0; ret == 0 && k < job->nset; k++) {
		ret = write_sysctl(&job->set[k]);
		if (ret < 0)
			*key = k;
	}
	return ret;
}

static void *make_some(void *arg)
{
	struct new_many *job = arg;
	size_t i, key;

	while ((i = __atomic_fetch_add(&job->next, 1, __ATOMIC_RELAXED)) < job->n &&
	       !__atomic_load_n(&job->err, __ATOMIC_RELAXED)) {
		int ret = make_one(job, i, &key), none = 0;

		/* The first failure is reported; failed_key is read once all are joined. */
		if (ret < 0 && __atomic_compare_exchange_n(&job->err, &none, ret, false,
							   __ATOMIC_RELAXED, __ATOMIC_RELAXED))
			job->failed_key = key;
	}
	return NULL;
}

/* The cores this thread may run on: not the machine's, in a container pinned to a few. */
static size_t usable_cores(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	return (size_t)CPU_COUNT(&set);
}

static unsigned helpers_for(size_t n)
{
	size_t cores = usable_cores(), threads = n / NEW_MANY_PER_THREAD;

	if (threads > cores)
		threads = cores;
	if (threads > NEW_MANY_THREADS)
		threads = NEW_MANY_THREADS;
	return threads > 1 ? (unsigned)threads - 1 : 0;
}

int nns_ns_new_many(struct nns_ns **ns, size_t n, const struct nns_sysctl *set, size_t nset,
		    struct nns_error *e)
{
	struct new_many job = { .ns = ns, .n = n, .set = set, .nset = nset, .failed_key = nset };
	pthread_t helper[NEW_MANY_THREADS];
	unsigned started = 0, want = helpers_for(n);
	sigset_t all, old;
	int saved;
	size_t i;

	for (i = 0; i < n; i++) {
		ns[i]->fd = ns[i]->view = ns[i]->view_root = -1;
		ns[i]->nl = NULL;
		ns[i]->deferred = NULL;
	}
	if (n == 0)
		return 0;
	saved = open(SELF_NS, O_RDONLY | O_CLOEXEC);
	if (saved < 0) {
		int ret = -errno;

		nns_error_set(e, -ret, "netns new");
		return ret;
	}
	/* Signals are for the calling thread, never for a helper. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	while (started < want && pthread_create(&helper[started], NULL, make_some, &job) == 0)
		started++;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	make_some(&job);
	nns_ns_leave(saved);
	while (started)
		pthread_join(helper[--started], NULL);
	if (job.err) {
		for (i = 0; i < n; i++)
			nns_ns_close(ns[i]);
		if (job.failed_key < nset)
			nns_error_set(e, -job.err, "netns new: sysctl %s", set[job.failed_key].key);
		else
			nns_error_set(e, -job.err, "netns new");
	}
	return job.err;
}

/*
 * The run directory must be a shared mount so that bind mounts made under
 * it reach every mount namespace, as iproute2 arranges.  The lock keeps
 * concurrent first users from stacking several mounts on it.
 */
/*
 * The run directory this thread last found ready.  A topology adds
 * hundreds of namespaces; the check is redone only when the directory is
 * no longer that one (same device and inode, still root's alone, still not
 * a symlink), which one lstat tells.
 */
static __thread struct {
	bool ready;
	dev_t dev;
	ino_t ino;
} run_dir;

static bool run_dir_still_ready(void)
{
	struct stat st;

	return run_dir.ready && lstat(NNS_RUN_DIR, &st) == 0 && S_ISDIR(st.st_mode) &&
	       st.st_dev == run_dir.dev && st.st_ino == run_dir.ino && !(st.st_mode & 022) &&
	       (st.st_uid == 0 || st.st_uid == geteuid());
}

static int prepare_run_dir(struct nns_error *e)
{
	bool made = false;
	int lock, ret = 0;

	struct stat st;

	if (run_dir_still_ready())
		return 0;
	run_dir.ready = false;
	if (mkdir(NNS_RUN_DIR, 0755) < 0 && errno != EEXIST)
		return -errno;
	/* Never a symlink, never a directory others could plant names in. */
	lock = open(NNS_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (lock < 0) {
		if (e && (errno == ELOOP || errno == ENOTDIR))
			snprintf(e->ext, sizeof(e->ext),
				 "%s is not a directory (a symlink is never followed)",
				 NNS_RUN_DIR);
		return -errno;
	}
	if (fstat(lock, &st) < 0 || (st.st_uid != 0 && st.st_uid != geteuid()) ||
	    (st.st_mode & 022)) {
		if (e)
			snprintf(e->ext, sizeof(e->ext),
				 "%s is not a directory only its owner "
				 "(root) can write",
				 NNS_RUN_DIR);
		ret = -EPERM;
		goto out;
	}
	if (flock(lock, LOCK_EX) < 0) {
		ret = -errno;
		goto out;
	}
	while (mount("", NNS_RUN_DIR, "none", MS_SHARED | MS_REC, NULL) < 0) {
		/* EINVAL: not a mount point yet; make it one by binding it on itself. */
		if (errno != EINVAL || made ||
		    mount(NNS_RUN_DIR, NNS_RUN_DIR, "none", MS_BIND | MS_REC, NULL) < 0) {
			ret = -errno;
			goto out;
		}
		made = true;
	}
	if (ret == 0 && fstat(lock, &st) == 0) {
		run_dir.ready = true;
		run_dir.dev = st.st_dev;
		run_dir.ino = st.st_ino;
	}
out:
	close(lock);
	return ret;
}

/* Makes the empty file a pin is mounted on: EEXIST when the name is taken. */
static int claim_name(const char *path)
{
	if (mknod(path, S_IFREG, 0) < 0) {
		int file;

		/* A file system without mknod for plain files: create it the long way. */
		if (errno != EPERM && errno != EINVAL && errno != EOPNOTSUPP)
			return -errno;
		file = open(path, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
		if (file < 0)
			return -errno;
		close(file);
	}
	return 0;
}

/* Binds namespace @fd on the file claimed at @path, which goes when that fails. */
static int mount_ns(int fd, const char *path)
{
	char src[64];
	int err;

	snprintf(src, sizeof(src), "/proc/self/fd/%d", fd);
	if (mount(src, path, "none", MS_BIND, NULL) == 0)
		return 0;
	err = errno;
	unlink(path);
	return -err;
}

/*
 * A cleanup running meanwhile takes a claimed file, unmounted for that
 * moment, for a leftover and removes it: the mount then finds no file
 * (ENOENT), and the name is claimed again, this many times at most.
 */
#define BIND_TRIES 3

/*
 * Binds namespace @ns on a new file @path; with @owner, this run is first
 * recorded as the owner of pin @owner.  The record goes before the mount:
 * a run killed between the two leaves a plain file with its record, which
 * cleanup removes, never a pin without one, which it would have to leave.
 */
static int bind_ns(struct nns_ns *ns, const char *path, const char *owner)
{
	int ret, tries = 0;

	do {
		ret = claim_name(path);
		if (ret == 0 && owner && (ret = nns_owner_set(ns, owner, NULL)) < 0)
			unlink(path);
		if (ret == 0 && (ret = mount_ns(ns->fd, path)) < 0 && owner)
			nns_owner_clear(owner);
	} while (ret == -ENOENT && ++tries < BIND_TRIES);
	return ret;
}

int nns_ns_pin(struct nns_ns *ns, const char *name, bool own, struct nns_error *e)
{
	char path[PATH_MAX];
	int ret;

	ret = ns_path(name, path, sizeof(path));
	if (ret == 0)
		ret = prepare_run_dir(e);
	if (ret == 0)
		ret = bind_ns(ns, path, own ? name : NULL);
	if (ret < 0)
		nns_error_set(e, -ret, "netns pin %s", name);
	return ret;
}

int nns_ns_add(const char *name, struct nns_ns *ns, struct nns_error *e)
{
	char path[PATH_MAX];
	int ret;

	ret = ns_path(name, path, sizeof(path));
	if (ret == 0)
		ret = prepare_run_dir(e);
	if (ret < 0)
		goto out;
	ret = nns_ns_new(ns, e);
	if (ret < 0)
		goto out;
	ret = bind_ns(ns, path, NULL);
	if (ret < 0)
		nns_ns_close(ns);
out:
	if (ret < 0)
		nns_error_set(e, -ret, "netns add %s", name);
	return ret;
}

static int unbind(const char *name, const char *verb, struct nns_error *e)
{
	char path[PATH_MAX];
	int ret;

	ret = ns_path(name, path, sizeof(path));
	if (ret == 0) {
		/* Lazily: processes still inside keep the namespace alive. */
		bool unmounted = umount2(path, MNT_DETACH) == 0;

		/* Unmounted, the file may go to a cleanup before us: gone all the same. */
		if (unlink(path) < 0 && !(errno == ENOENT && unmounted))
			ret = -errno;
		else
			nns_owner_clear(name); /* last: a pin without one is never cleaned up */
	}
	if (ret < 0)
		nns_error_set(e, -ret, "netns %s %s", verb, name);
	return ret;
}

int nns_ns_delete(const char *name, struct nns_error *e)
{
	return unbind(name, "delete", e);
}

int nns_ns_unpin(const char *name, struct nns_error *e)
{
	return unbind(name, "unpin", e);
}

bool nns_ns_exists(const char *name)
{
	char path[PATH_MAX];

	return ns_path(name, path, sizeof(path)) == 0 && access(path, F_OK) == 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int nns_ns_list(char ***names, size_t *count, struct nns_error *e)
{
	size_t n = 0, cap = 0;
	char **v = NULL, **grown;
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	dir = opendir(NNS_RUN_DIR);
	if (!dir) {
		ret = errno == ENOENT ? 0 : -errno;
		goto out;
	}
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown)
				break;
			v = grown;
		}
		v[n] = strdup(de->d_name);
		if (!v[n])
			break;
		n++;
	}
	if (de)
		ret = -ENOMEM;
	closedir(dir);
out:
	if (ret < 0) {
		nns_strv_free(v, n);
		nns_error_set(e, -ret, "netns list");
		return ret;
	}
	if (n) /* v is NULL when there is nothing */
		qsort(v, n, sizeof(*v), cmp_names);
	*names = v;
	*count = n;
	return 0;
}

/* The start time of process @pid (field 22 of its stat), or 0 when it is gone. */
static unsigned long long start_time(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long t = 0;
	ssize_t n;
	int fd, field;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: count from the last ')'. */
	p = strrchr(buf, ')');
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	return t;
}

static int owner_path(const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", NNS_OWNER_DIR, name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71 /* Linux 5.14 */
#endif

/* The namespace's cookie: never reused while the system runs; 0 when unknown. */
static unsigned long long ns_cookie(struct nns_ns *ns)
{
	unsigned long long cookie = 0;
	socklen_t len = sizeof(cookie);
	struct nns_nl *nl;

	if (nns_ns_nl(ns, &nl, NULL) < 0 ||
	    getsockopt(nns_nl_fd(nl), SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0)
		return 0;
	return cookie;
}

/*
 * "PID START COOKIE": this process, and the namespace it pinned, so that
 * a record left behind by a pin that someone else removed (ip netns del)
 * never names a pin made afresh under that name.  PID and START are
 * worked out once per process: a topology records an owner for each of
 * its hundreds of namespaces.
 */
static void owner_line(struct nns_ns *ns, char *line, size_t size)
{
	static __thread unsigned long long start;
	static __thread pid_t pid;

	if (pid != getpid()) {
		pid = getpid();
		start = start_time(pid);
	}
	snprintf(line, size, "%d %llu %llu", (int)pid, start, ns_cookie(ns));
}

/* The record is a symlink whose target is the line: one system call to write. */
static int write_owner(const char *path, const char *line)
{
	if (symlink(line, path) == 0)
		return 0;
	if (errno == EEXIST) { /* left by an earlier run of that name */
		if (unlink(path) < 0)
			return -errno;
	} else if (errno == ENOENT) { /* the first record on this machine */
		if (mkdir(NNS_OWNER_DIR, 0755) < 0 && errno != EEXIST)
			return -errno;
	} else {
		return -errno;
	}
	return symlink(line, path) < 0 ? -errno : 0;
}

int nns_owner_set(struct nns_ns *ns, const char *name, struct nns_error *e)
{
	char path[PATH_MAX], line[80];
	int ret = owner_path(name, path, sizeof(path));

	owner_line(ns, line, sizeof(line));
	if (ret == 0)
		ret = write_owner(path, line);
	if (ret < 0)
		nns_error_set(e, -ret, "netns own %s", name);
	return ret;
}

void nns_owner_clear(const char *name)
{
	char path[PATH_MAX];

	if (owner_path(name, path, sizeof(path)) == 0)
		unlink(path);
}

struct owner_record {
	pid_t pid;
	unsigned long long start, cookie; /* cookie 0: none recorded (older records) */
};

/* Whether the run a record names still runs (its pid, started when it was). */
static bool run_alive(const struct owner_record *r)
{
	return start_time(r->pid) == r->start;
}

/* Reads the owner record of @name: false when there is none of ours (ip netns add). */
static bool read_owner(const char *name, struct owner_record *r)
{
	char path[PATH_MAX], line[80], *end;
	ssize_t n;
	long pid;

	if (owner_path(name, path, sizeof(path)) < 0)
		return false;
	n = readlink(path, line, sizeof(line) - 1);
	if (n < 0 && errno == EINVAL) { /* a record written as a plain file */
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

		if (fd < 0)
			return false;
		n = read(fd, line, sizeof(line) - 1);
		close(fd);
	}
	if (n <= 0)
		return false;
	line[n] = '\0';
	/* "PID START [COOKIE]"; anything else is not a record of ours */
	errno = 0;
	pid = strtol(line, &end, 10);
	if (end == line || *end != ' ' || pid <= 0 || pid > INT_MAX)
		return false;
	r->pid = (pid_t)pid;
	r->start = strtoull(end + 1, &end, 10);
	r->cookie = *end == ' ' ? strtoull(end + 1, &end, 10) : 0;
	return !errno && (*end == '\n' || *end == '\0');
}

/* The cookie of the namespace pinned as @name, or 0. */
static unsigned long long pin_cookie(const char *name)
{
	unsigned long long cookie;
	struct nns_ns ns = { 0 };

	if (nns_ns_open_name(name, &ns, NULL) < 0)
		return 0;
	cookie = ns_cookie(&ns);
	nns_ns_close(&ns);
	return cookie;
}

/*
 * Whether pin @name is one that a run now ended recorded as its own.  A
 * record of another namespace is stale (the pin was removed by another
 * tool and made again): it is dropped, and the pin left alone.
 */
static bool left_by_dead_run(const char *name)
{
	struct owner_record r;
	unsigned long long cookie;

	if (!read_owner(name, &r) || run_alive(&r))
		return false;
	if (!r.cookie)
		return true;
	cookie = pin_cookie(name);
	if (cookie && cookie != r.cookie)
		nns_owner_clear(name);
	return cookie == r.cookie;
}

bool nns_owner_is_self(const char *name)
{
	struct owner_record r;

	return read_owner(name, &r) && r.pid == getpid() && run_alive(&r) &&
	       (!r.cookie || pin_cookie(name) == r.cookie);
}

/*
 * A handle's own pin: another tool may have removed it, and made one of
 * the same name since, for another namespace, which is not the handle's to
 * remove.  Either way the handle's pin is gone (ENOENT), and this run's
 * owner record of it goes too; another run's stays.
 */
int nns_ns_unbind_own(struct nns_ns *ns, const char *name, bool del, struct nns_error *e)
{
	const char *verb = del ? "delete" : "unpin";
	char path[PATH_MAX];
	struct stat st;
	int ret;

	ret = ns_path(name, path, sizeof(path));
	if (ret == 0 && stat(path, &st) == 0 && (st.st_dev != ns->dev || st.st_ino != ns->ino)) {
		nns_error_set(e, ENOENT, "netns %s %s", verb, name);
		if (e)
			snprintf(e->ext, sizeof(e->ext), "%.200s holds another namespace now",
				 path);
		ret = -ENOENT;
	} else {
		ret = unbind(name, verb, e);
	}
	if (ret == -ENOENT) {
		struct owner_record r;

		/* this run's record of this namespace's pin, not of one pinned there since */
		if (read_owner(name, &r) && r.pid == getpid() && run_alive(&r) &&
		    (!r.cookie || r.cookie == ns_cookie(ns)))
			nns_owner_clear(name);
	}
	return ret;
}

/* Whether @path holds a namespace (a bind-mounted nsfs file), not a stale file. */
static bool is_pinned(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	bool pinned;

	if (fd < 0)
		return errno != ENOENT; /* unreadable: leave it alone */
	pinned = ioctl(fd, NS_GET_NSTYPE) >= 0;
	close(fd);
	return pinned;
}

/*
 * Whether @path is what a pin is before its mount: an empty file that no
 * one may read or write (mode 0), as this library and ip netns add make
 * it.  Anything else there (a directory, a file someone put there) was
 * never a pin, and is not this library's to remove.
 */
static bool is_bare_pin_file(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
	       (st.st_mode & 07777) == 0;
}

/*
 * Removes @name when a killed run left it (a stale file, or a pin of a dead
 * owner): 1 when removed, 0 when it is no leftover, or -errno when it is
 * one that cannot be removed (its owner record then stays, for a retry).
 */
static int remove_leftover(const char *name)
{
	char path[PATH_MAX];

	if (ns_path(name, path, sizeof(path)) < 0)
		return 0;
	if (!is_pinned(path)) {
		struct owner_record r;

		if (!is_bare_pin_file(path))
			return 0;

		/* A live run's file, between its owner record and its mount, stays. */
		if (read_owner(name, &r) && run_alive(&r))
			return 0;
		/*
		 * The record goes only with the file: one a live run writes
		 * meanwhile, then mounts over the file (which then cannot be
		 * unlinked: EBUSY), stays its own.
		 */
		if (unlink(path) < 0)
			return errno == EBUSY || errno == ENOENT ? 0 : -errno;
	} else {
		if (!left_by_dead_run(name))
			return 0;
		if (umount2(path, MNT_DETACH) < 0 || unlink(path) < 0)
			return -errno;
	}
	nns_owner_clear(name);
	return 1;
}

int nns_ns_cleanup(const char *prefix, char ***removed, size_t *count, struct nns_error *e)
{
	size_t i, n, kept = 0, len = strlen(prefix);
	char **names;
	int ret;

	ret = nns_ns_list(&names, &n, e);
	if (ret < 0)
		return ret;
	for (i = 0, ret = 0; i < n; i++) {
		bool candidate = ret == 0 && strncmp(names[i], prefix, len) == 0;
		int r = candidate ? remove_leftover(names[i]) : 0;

		if (r < 0) {
			nns_error_set(e, -r, "cleanup %s", names[i]);
			ret = r; /* the rest stay: what stopped this one stops them */
		}
		if (r > 0)
			names[kept++] = names[i];
		else
			free(names[i]);
	}
	if (ret < 0) {
		nns_strv_free(names, kept);
		return ret;
	}
	*removed = names;
	*count = kept;
	return 0;
}

/* ---- namespace ids ------------------------------------------------------- */

static int nsid_attr(const struct nlattr *attr, void *data)
{
	if (mnl_attr_get_type(attr) == NETNSA_NSID && mnl_attr_validate(attr, MNL_TYPE_U32) >= 0)
		*(int32_t *)data = (int32_t)mnl_attr_get_u32(attr);
	return MNL_CB_OK;
}

int nns_nsid_get(struct nns_ns *ns, const struct nns_ns *other, int *id, struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 };
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nns_msgs reply = { 0 };
	struct rtgenmsg *g;
	struct nns_nl *nl;
	int32_t nsid = -1;
	int ret;

	ret = nns_ns_nl(ns, &nl, e);
	if (ret < 0)
		return ret;
	nlh->nlmsg_type = RTM_GETNSID;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)other->fd);
	ret = nns_nl_request(nl, nlh, &reply, e);
	if (ret == 0 && reply.len)
		mnl_attr_parse((struct nlmsghdr *)reply.buf, sizeof(*g), nsid_attr, &nsid);
	nns_msgs_free(&reply);
	if (ret < 0)
		nns_error_set(e, -ret, "netns list-id");
	*id = nsid;
	return ret;
}

int nns_nsid_set(struct nns_ns *ns, const struct nns_ns *other, const char *label, int id,
		 struct nns_error *e)
{
	char buf[NNS_MSG_SIZE] = { 0 }, what[PATH_MAX + 32];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct rtgenmsg *g;

	nlh->nlmsg_type = RTM_NEWNSID;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->rtgen_family = AF_UNSPEC;
	mnl_attr_put_u32(nlh, NETNSA_FD, (uint32_t)other->fd);
	mnl_attr_put_u32(nlh, NETNSA_NSID, (uint32_t)id);
	if (id < 0)
		snprintf(what, sizeof(what), "netns set %s auto", label);
	else
		snprintf(what, sizeof(what), "netns set %s %d", label, id);
	return nns_ns_request(ns, nlh, what, e);
}
