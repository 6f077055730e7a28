// SPDX-License-Identifier: MIT
/*
 * Programs inside a namespace.  The child enters the namespace and, like
 * `ip netns exec`, gets a private mount namespace with the namespace's own
 * /sys and the files of /etc/netns/NAME bound over /etc (a view made once
 * per handle).  The child shares our memory until it execs and reports a
 * failed set-up through a pipe; a pidfd lets the parent wait with a timeout.
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
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/close_range.h>

#include "netns.h"

/*
 * What a child that failed before exec tells its parent, through a pipe
 * that exec closes: the parent reads either this or the end of the pipe.
 * A failed exec itself is told only when the caller needs the program
 * started (must_start); otherwise it is exit status 127, as from a shell.
 * The child runs in the parent's memory (CLONE_VM | CLONE_VFORK, as
 * posix_spawn does, so that nothing is copied), but where that is only
 * emulated by a plain fork (valgrind), memory is not shared and the parent
 * does not wait: the pipe tells it all the same.
 */
struct child_report {
	int err;
	const char *stage; /* a literal: the same address in both; NULL: exec */
};

static void report(int fd, int err, const char *stage)
{
	struct child_report r;
	ssize_t n;

	memset(&r, 0, sizeof(r)); /* the padding too: it crosses to the parent */
	r.err = err;
	r.stage = stage;
	n = write(fd, &r, sizeof(r));

	_exit(n == (ssize_t)sizeof(r) ? 127 : 126);
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

/*
 * A view made once per handle and kept: making a mount namespace for each
 * program, and tearing it down after, costs far more than most programs
 * (the teardown waits for an RCU grace period).  Programs of one handle
 * share the view, as they share the network namespace.
 */

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ULL; /* FNV-1a's prime: any change shows */
}

/*
 * What a view of /etc/netns/NAME depends on, summed up: that directory
 * (inode, mtime: an entry added or removed) and each file of /etc it is
 * bound over (device, inode: a file the host replaced by a rename, which
 * the kernel detaches the bind from).  0 when there is no such directory.
 */
static uint64_t etc_stamp(const char *name)
{
	char dir[PATH_MAX], target[PATH_MAX];
	uint64_t h = 0xcbf29ce484222325ULL;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (!name || snprintf(dir, sizeof(dir), "%s/%s", NNS_ETC_DIR, name) >= (int)sizeof(dir) ||
	    stat(dir, &st) < 0)
		return 0;
	h = mix(mix(mix(h, st.st_ino), (uint64_t)st.st_mtim.tv_sec), (uint64_t)st.st_mtim.tv_nsec);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || !strcmp(de->d_name, "..")))
			continue;
		if (snprintf(target, sizeof(target), "/etc/%s", de->d_name) < (int)sizeof(target) &&
		    stat(target, &st) == 0)
			h = mix(mix(h, st.st_dev), st.st_ino);
	}
	if (d)
		closedir(d);
	return h;
}

/* The child that makes a view: it holds it until the parent has opened it. */
static void view_maker(const struct nns_ns *ns, const char *name, int tell, int hold)
{
	char c = 0;

	if (setns(ns->fd, CLONE_NEWNET) < 0 || remount(name) || write(tell, &c, 1) != 1)
		_exit(1);
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* @fd moved above 0, 1 and 2, where a program's standard streams go. */
static int above_stdio(int fd)
{
	int high;

	if (fd < 0 || fd > 2)
		return fd < 0 ? -errno : fd;
	high = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (high < 0)
		high = -errno;
	close(fd);
	return high;
}

/*
 * A descriptor above 2 on a new view of @ns's mounts, or -errno; @root
 * gets the maker's root there, which is ours (a chroot stays a chroot).
 */
static int make_view(const struct nns_ns *ns, const char *name, int *root)
{
	int tell[2], hold[2], fd = -EIO;
	char c, path[64];
	pid_t pid;

	if (pipe2(tell, O_CLOEXEC) < 0)
		return -errno;
	if (pipe2(hold, O_CLOEXEC) < 0) {
		fd = -errno;
		close(tell[0]);
		close(tell[1]);
		return fd;
	}
	pid = fork();
	if (pid == 0) {
		close(tell[0]);
		close(hold[1]);
		view_maker(ns, name, tell[1], hold[0]);
	}
	close(tell[1]);
	close(hold[0]);
	if (pid < 0)
		fd = -errno;
	else if (read(tell[0], &c, 1) == 1 &&
		 snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid) < (int)sizeof(path))
		fd = above_stdio(open(path, O_RDONLY | O_CLOEXEC));
	if (fd >= 0) {
		snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
		*root = above_stdio(open(path, O_PATH | O_DIRECTORY | O_CLOEXEC));
		if (*root < 0) {
			close(fd);
			fd = *root;
		}
	}
	close(hold[1]); /* lets the maker go */
	close(tell[0]);
	while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return fd;
}

/* Makes or renews @ns's view; without one, each program makes its own. */
static void refresh_view(struct nns_ns *ns, const char *name)
{
	uint64_t stamp = etc_stamp(name);

	if (ns->view > 2 && stamp != ns->view_stamp) {
		close(ns->view);
		close(ns->view_root);
		ns->view = ns->view_root = -1;
	}
	if (ns->view > 2)
		return;
	ns->view = make_view(ns, name, &ns->view_root);
	ns->view_stamp = stamp;
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

/* Signals the job ignored when the host started, which it may catch since (nslua's SIGINT). */
static sigset_t job_ignored;

void nns_proc_job_ignores(int sig)
{
	sigaddset(&job_ignored, sig);
}

/* Set by nns_proc_host_ending: the process is on its way out. */
static bool host_ending;

void nns_proc_host_ending(void)
{
	host_ending = true;
}

/* Set by nns_proc_host_stopped: a signal stopped the host's script, whose teardown runs. */
static bool host_stopped;

void nns_proc_host_stopped(void)
{
	host_stopped = true;
}

bool nns_proc_host_is_stopped(void)
{
	return host_stopped || host_ending;
}

/*
 * While the caller waits for a program in its own foreground process
 * group, the terminal's Ctrl-C and Ctrl-\ are the program's, as a shell
 * leaves them to its foreground job: the waiting thread blocks SIGINT and
 * SIGQUIT.  Afterwards a SIGINT that reached the caller too is delivered
 * only if it ended the program; one the program took for itself (an
 * interactive shell, ping printing its statistics) is dropped, and so is
 * a SIGQUIT, as system() ignores it.  Keys the caller blocked itself are
 * left alone.
 */
static void add_keys(sigset_t *set)
{
	sigaddset(set, SIGINT);
	sigaddset(set, SIGQUIT);
}

void nns_proc_foreground_begin(sigset_t *saved)
{
	sigset_t keys;

	sigemptyset(&keys);
	add_keys(&keys);
	pthread_sigmask(SIG_BLOCK, &keys, saved);
}

void nns_proc_foreground_end(const sigset_t *saved, bool ended_by_sigint)
{
	struct timespec zero = { 0 };
	sigset_t drop;

	sigemptyset(&drop);
	if (!sigismember(saved, SIGQUIT))
		sigaddset(&drop, SIGQUIT);
	if (!ended_by_sigint && !sigismember(saved, SIGINT))
		sigaddset(&drop, SIGINT);
	while (sigtimedwait(&drop, NULL, &zero) > 0)
		;
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* Whether @sig is one a shell or nohup ignore for a whole job, and the caller ignores. */
static bool ignored_for_job(int sig)
{
	struct sigaction old;

	return (sig == SIGHUP || sig == SIGINT || sig == SIGQUIT) &&
	       sigaction(sig, NULL, &old) == 0 && old.sa_handler == SIG_IGN;
}

/*
 * The host's handlers must not leak into the program, nor the signals it
 * ignores for itself (a library's SIGPIPE, an application's SIGCHLD).
 * Those a shell or nohup ignore for the job stay ignored, as exec keeps
 * them: under nohup, a hangup spares the programs too.
 */
static void reset_signal_actions(void)
{
	int sig;

	for (sig = 1; sig < NSIG; sig++)
		if (sigismember(&job_ignored, sig) == 1)
			signal(sig, SIG_IGN);
		else if (sig != SIGKILL && sig != SIGSTOP && !ignored_for_job(sig))
			signal(sig, SIG_DFL);
}

/*
 * Signals stay blocked, as the parent blocked them around clone, until
 * just before exec: the child shares the parent's memory, and one that
 * stopped it inside malloc (a view made here calls opendir) would leave
 * the parent's heap locked or torn.
 */
static void unblock_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/*
 * Enters the handle's view, or makes a view of its own; entering resets the
 * working directory, which goes back to @cwd (the caller's, or the one asked for).
 */
static void enter_mounts(const struct nns_exec *x, int r, const char *cwd)
{
	const char *stage;

	if (x->ns->view > 2) {
		/* Entering resets the root to the view's: back to ours, in it. */
		if (setns(x->ns->view, CLONE_NEWNS) < 0 || fchdir(x->ns->view_root) < 0 ||
		    chroot(".") < 0)
			report(r, errno, "enter mount view");
		if (cwd && chdir(cwd) < 0 && x->cwd)
			report(r, errno, "change directory");
		return;
	}
	stage = remount(x->ns_name);
	if (stage)
		report(r, errno, stage);
	if (x->cwd && chdir(x->cwd) < 0)
		report(r, errno, "change directory");
}

/* Writes "netns: exec NAME (in NS): REASON [ENAME]" without stdio, which may allocate. */
static void say_exec_failed(const struct nns_exec *x, int err)
{
	const char *parts[] = { "netns: exec ",		 x->argv[0],
				x->label ? " (in " : "", x->label ? x->label : "",
				x->label ? ")" : "",	 ": ",
				strerrordesc_np(err),	 " [",
				nns_errno_name(err),	 "]\n" };
	char msg[1024];
	size_t i, len = 0;

	for (i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		size_t n = strnlen(parts[i], sizeof(msg) - 1 - len);

		memcpy(msg + len, parts[i], n);
		len += n;
	}
	if (write(2, msg, len) < 0)
		return;
}

/*
 * Every namespace handle holds a descriptor or two, and a topology of a
 * thousand hosts needs more than the 1024 a login's soft limit usually
 * allows.  So the soft limit on open files is raised to the hard one, once,
 * as Go's runtime does for its programs: nothing here uses select(), whose
 * sets stop at 1024.  Programs started get the soft limit they would have
 * had, unless the caller has set another since.
 */
static rlim_t fd_limit_before, fd_limit_raised_to; /* 0: not raised */
static pthread_once_t fd_limit_once = PTHREAD_ONCE_INIT;

static void raise_fd_limit(void)
{
	struct rlimit r;

	if (getrlimit(RLIMIT_NOFILE, &r) < 0 || r.rlim_cur >= r.rlim_max)
		return;
	fd_limit_before = r.rlim_cur;
	r.rlim_cur = r.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &r) == 0)
		fd_limit_raised_to = r.rlim_max;
}

void nns_raise_fd_limit(void)
{
	pthread_once(&fd_limit_once, raise_fd_limit);
}

/* In a program's process, before exec; a limit it cannot set is left as it is. */
static void restore_fd_limit(void)
{
	struct rlimit r;

	if (!fd_limit_raised_to || getrlimit(RLIMIT_NOFILE, &r) < 0 ||
	    r.rlim_cur != fd_limit_raised_to)
		return;
	r.rlim_cur = fd_limit_before < r.rlim_max ? fd_limit_before : r.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &r);
}

struct child_args {
	const struct nns_exec *x;
	int report; /* the pipe's end to write a failure to */
	pid_t parent;
	const char *cwd;
	const char *file; /* what to exec, when found along the program's own PATH */
};

/*
 * Only 0, 1 and 2 cross exec.  CLOSE_RANGE_CLOEXEC needs Linux 5.11;
 * before, the others are closed outright (the child's descriptor table is
 * its own), all but @report: close-on-exec already, it must stay open
 * until exec to tell of a failed one.
 */
static int close_above_stdio(int report)
{
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	if (errno != EINVAL)
		return -1;
	if (report > 3 && syscall(SYS_close_range, 3, report - 1, 0) < 0)
		return -1;
	return (int)syscall(SYS_close_range, report + 1, ~0U, 0);
}

static int child(void *arg)
{
	const struct child_args *a = arg;
	const struct nns_exec *x = a->x;
	int r = a->report, err;

	reset_signal_actions();
	if (x->own_group)
		setpgid(0, 0);
	if (x->die_with_parent && prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		report(r, errno, "die with parent");
	if (x->die_with_parent && getppid() != a->parent)
		_exit(127); /* the parent is gone already: nobody waits for a report */
	if (setns(x->ns->fd, CLONE_NEWNET) < 0)
		report(r, errno, "enter namespace");
	enter_mounts(x, r, a->cwd);
	if (place_fd(x->stdin_fd, 0) < 0 || place_fd(x->stdout_fd, 1) < 0 ||
	    place_fd(x->stderr_fd, 2) < 0)
		report(r, errno, "redirect");
	restore_fd_limit();
	if (close_above_stdio(r) < 0)
		report(r, errno, "close descriptors");
	unblock_signals();
	if (x->envp)
		execvpe(a->file ? a->file : x->argv[0], x->argv, x->envp);
	else
		execvp(x->argv[0], x->argv);
	err = errno;
	if (x->must_start)
		report(r, err, NULL);
	say_exec_failed(x, err);
	_exit(err == ENOENT ? 127 : 126);
}

/* Whether @path is a file its owner could run (what execve would try). */
static bool runnable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/*
 * The program of @x found along the PATH of the environment it is given,
 * into @buf; NULL leaves the search to execvpe.  execvpe searches the
 * caller's PATH, and a program given env = { PATH = ... } is looked for
 * there, as env(1) would.  An empty entry is the directory it starts in,
 * @cwd.  When no entry has it, the last one tried is returned, so that exec
 * fails as a search would, with ENOENT.
 */
static const char *program_path(const struct nns_exec *x, const char *cwd, char *buf, size_t size)
{
	const char *path = NULL, *mine = getenv("PATH"), *dir, *end;
	char *const *e;

	if (!x->envp || !x->argv[0][0] || strchr(x->argv[0], '/'))
		return NULL;
	for (e = x->envp; *e; e++)
		if (!strncmp(*e, "PATH=", 5))
			path = *e + 5;
	if (!path || (mine && !strcmp(path, mine)))
		return NULL; /* the caller's: execvpe searches it */
	for (dir = path;; dir = end + 1) {
		int len;

		end = strchrnul(dir, ':');
		len = (int)(end - dir);
		if (len == 0)
			len = snprintf(buf, size, "%s/%s", cwd ? cwd : ".", x->argv[0]);
		else
			len = snprintf(buf, size, "%.*s/%s", len, dir, x->argv[0]);
		if (len > 0 && (size_t)len < size && runnable(buf))
			return buf;
		if (!*end)
			return buf;
	}
}

/*
 * Where the program starts, as an absolute path, since entering a view
 * resets the directory: the one asked for, or the caller's.
 */
static const char *start_dir(const char *asked, char *buf, size_t size)
{
	char here[PATH_MAX];

	if (asked && asked[0] == '/')
		return asked;
	if (!getcwd(here, sizeof(here)))
		return asked;
	if (snprintf(buf, size, "%s%s%s", here, asked ? "/" : "", asked ? asked : "") >= (int)size)
		return asked;
	return buf;
}

/*
 * The child's own stack: it must not run on the suspended parent's.  A
 * script without "#!" is run by execvp through /bin/sh with a copy of argv
 * on the stack, hence room for that beyond what the child itself needs; a
 * guard page below turns an overflow into a fault, not a write into ours.
 */
#define CHILD_STACK ((size_t)128 * 1024)

static size_t stack_size(char *const *argv)
{
	size_t argc = 0, page = (size_t)sysconf(_SC_PAGESIZE);

	while (argv[argc])
		argc++;
	return (CHILD_STACK + (argc + 2) * sizeof(char *) + page - 1) / page * page + page;
}

/*
 * Starts child() sharing our memory; returns once it has exec'd or failed.
 * Signals stay blocked until the child has reset its handlers, so that none
 * of ours runs in it.  With @held, SIGINT and SIGQUIT stay blocked after
 * (see nns_proc_foreground_begin), and @held gets the mask from before: no
 * key is lost between the program's start and its wait.
 */
static pid_t spawn_child(struct child_args *a, sigset_t *held)
{
	size_t size = stack_size(a->x->argv), page = (size_t)sysconf(_SC_PAGESIZE);
	sigset_t all, old;
	char *stack;
	pid_t pid;
	int err;

	stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK,
		     -1, 0);
	if (stack == MAP_FAILED)
		return -errno;
	if (mprotect(stack, page, PROT_NONE) < 0) {
		err = errno;
		munmap(stack, size);
		return -err;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pid = clone(child, stack + size, CLONE_VM | CLONE_VFORK | SIGCHLD, a);
	err = errno;
	if (held && pid > 0) {
		*held = old;
		add_keys(&old);
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	munmap(stack, size);
	return pid < 0 ? -err : pid;
}

/*
 * The pipe a child reports on, both ends close-on-exec; the end it writes
 * to above 0, 1 and 2, which the child fills with the program's own.
 */
static int report_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	if (fds[1] < 3) {
		int fd = fcntl(fds[1], F_DUPFD_CLOEXEC, 3);

		close(fds[1]);
		if (fd < 0) {
			close(fds[0]);
			return -errno;
		}
		fds[1] = fd;
	}
	return 0;
}

/* 0 once the child has exec'd (the pipe ends unread), else its errno and @stage. */
static int child_outcome(int fd, const char **stage)
{
	struct child_report r;
	ssize_t n;

	do
		n = read(fd, &r, sizeof(r));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(r))
		return 0;
	*stage = r.stage;
	return r.err;
}

/* What messages call the program: its argv[0], or the command a shell runs. */
const char *nns_exec_label(const struct nns_exec *x)
{
	/* argv[2] exists only when argv[1] is not the terminating NULL. */
	if (x->argv[1] && x->argv[2] && !strcmp(x->argv[0], "/bin/sh") && !strcmp(x->argv[1], "-c"))
		return x->argv[2];
	return x->argv[0];
}

int nns_proc_start(const struct nns_exec *x, struct nns_proc *p, struct nns_error *e)
{
	char where[PATH_MAX];
	char file[PATH_MAX];
	struct child_args a = { x, -1, getpid(), start_dir(x->cwd, where, sizeof(where)), NULL };
	const char *stage = NULL;
	int fds[2], err, ret;

	a.file = program_path(x, a.cwd, file, sizeof(file));
	refresh_view(x->ns, x->ns_name);
	p->pidfd = -1;
	p->group = x->own_group;
	p->end_group = false;
	p->pid = 0;
	p->keys_held = false;
	ret = report_pipe(fds);
	if (ret < 0)
		goto out;
	a.report = fds[1];
	p->pid = spawn_child(&a, x->hold_keys ? &p->keys_mask : NULL);
	p->keys_held = x->hold_keys && p->pid > 0;
	close(fds[1]);
	err = p->pid < 0 ? 0 : child_outcome(fds[0], &stage);
	close(fds[0]);
	if (p->pid < 0) {
		ret = p->pid;
		p->pid = 0;
		goto out;
	}
	if (err) {
		/* The child failed before exec and has exited: collect it. */
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->pid = 0;
		ret = -err;
		if (stage)
			nns_error_set(e, err, "exec %s: %s", nns_exec_label(x), stage);
		else
			nns_error_set(e, err, "exec %s", nns_exec_label(x));
		goto held;
	}
	/* Without pidfds (old kernels, valgrind) waits fall back to polling. */
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	if (p->pidfd < 0 && errno != ENOSYS) {
		ret = -errno;
		kill(p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		p->pid = 0; /* reaped: its number may be anyone's now */
	}
out:
	if (ret < 0)
		nns_error_set(e, -ret, "exec %s", nns_exec_label(x));
held:
	/* No program ran to take a key: one that came is the caller's. */
	if (ret < 0 && p->keys_held) {
		nns_proc_foreground_end(&p->keys_mask, true);
		p->keys_held = false;
	}
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

/* Reads what an output pipe holds, then closes it. */
static int drain(struct nns_io *io)
{
	size_t len;
	int ret;

	do {
		len = io->len;
		ret = buf_read(io);
	} while (ret == 0 && io->fd >= 0 && io->len > len);
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
	return ret;
}

/*
 * Serves the pipes in @io until the program exits and they close, or time
 * runs out.  A pipe read only while the program runs (its stderr) is not
 * waited for, but stays open as long as one that is waited for: what the
 * program left running may still write to both, and a closed one would
 * kill it by SIGPIPE before it wrote the other.
 */
static int pump(struct nns_proc *p, struct nns_io *io, int nio, long long deadline, bool *exited)
{
	for (;;) {
		struct pollfd pfd[4];
		int i, n = 0, waited = 0, wait_ms = -1;

		for (i = 0; i < nio; i++)
			waited += io[i].fd >= 0 && !io[i].while_running;
		if (*exited && !waited) {
			for (i = 0; i < nio; i++) {
				int ret = io[i].fd >= 0 ? drain(&io[i]) : 0;

				if (ret < 0)
					return ret;
			}
			return 0;
		}
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

/*
 * waitpid for @p.  With nns_proc.end_group, what the program left in its
 * process group is killed before it is reaped: until then its pid, which
 * names the group, is still its own (a zombie's), never another's.
 */
static pid_t wait_child(struct nns_proc *p, int *status, int options)
{
	siginfo_t si;

	if (!p->end_group)
		return waitpid(p->pid, status, options);
	memset(&si, 0, sizeof(si));
	if (waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOWAIT | options) < 0)
		return -1;
	if (si.si_pid == 0) /* WNOHANG, and it runs */
		return 0;
	kill(-p->pid, SIGKILL);
	return waitpid(p->pid, status, 0);
}

int nns_proc_wait(struct nns_proc *p, struct nns_io *io, int nio, int timeout_ms, int *status,
		  struct nns_error *e)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	bool exited = false;
	int i, ret;

	/* The program must never block us: a full or slow pipe waits for poll. */
	for (i = 0; i < nio; i++)
		if (io[i].fd >= 0)
			fcntl(io[i].fd, F_SETFL, fcntl(io[i].fd, F_GETFL) | O_NONBLOCK);
	*status = 0;
	if (p->pid <= 0) { /* reaped already: waitpid(0) would take any child */
		nns_error_set(e, ECHILD, "wait");
		return -ECHILD;
	}
	if (host_ending && timeout_ms < 0)
		kill(p->group ? -p->pid : p->pid, SIGKILL);
	ret = pump(p, io, nio, deadline, &exited);
	/* Timed out or interrupted: the program, and what it started, do not outlive the wait. */
	if (ret < 0)
		kill(p->group ? -p->pid : p->pid, SIGKILL);
	while (wait_child(p, status, 0) < 0) {
		if (errno != EINTR) { /* SIGCHLD ignored, or reaped by someone else */
			if (ret == 0 || ret == -ETIMEDOUT)
				ret = -errno;
			break;
		}
	}
	p->pid = 0;
	if (ret < 0 && ret != -ETIMEDOUT) {
		nns_error_set(e, -ret, "wait");
		return ret;
	}
	return ret == -ETIMEDOUT;
}

int nns_proc_wait_exit(struct nns_proc *p, int timeout_ms)
{
	struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
	long long deadline = now_ms() + timeout_ms;
	int n;

	/* A signal ends the wait, as it ends an unlimited one: the host's handler decides. */
	if (p->pidfd < 0) {
		while (!has_exited(p)) {
			if (now_ms() >= deadline)
				return 0;
			if (poll(NULL, 0, 10) < 0 && errno == EINTR)
				return -EINTR;
		}
		return 1;
	}
	n = poll(&pfd, 1, timeout_ms);
	if (n < 0)
		return -errno;
	return n != 0;
}

int nns_proc_poll(struct nns_proc *p, int *status)
{
	pid_t r;

	if (p->pid <= 0) /* reaped already: waitpid(0) would take any child */
		return -ECHILD;
	r = wait_child(p, status, WNOHANG);

	if (r < 0)
		return -errno;
	if (r == 0)
		return 0;
	p->pid = 0;
	return 1;
}

void nns_proc_release(struct nns_proc *p, int *status)
{
	/* An abandoned program is stopped and reaped rather than left a zombie. */
	if (p->pid > 0) {
		kill(p->group ? -p->pid : p->pid, SIGKILL);
		while (waitpid(p->pid, status, 0) < 0 && errno == EINTR)
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
