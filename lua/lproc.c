// SPDX-License-Identifier: MIT
/*
 * Programs and sysctls inside a namespace: exec, output, popen, spawn and
 * sysctl methods of the namespace handle, and the process handle.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lualib.h>

#include "lnetns.h"

extern char **environ;

typedef struct LProc {
	struct nns_proc p;
	pid_t pid; /* kept after the program is reaped */
	int status;
	bool done;
} LProc;

/* io.popen's file, with the program behind it. */
typedef struct LPipe {
	luaL_Stream stream;
	struct nns_proc p;
} LPipe;

/*
 * What os.execute returns for wait status @status.  luaL_execresult takes a
 * non-zero errno for a failure of its own: a stale one must not leak in.
 */
static int exec_result(lua_State *L, int status)
{
	errno = 0;
	return luaL_execresult(L, status);
}

/* ---- command lines ------------------------------------------------------ */

/* A NULL-terminated array of pointers, owned by a userdata pushed on the stack. */
/* A NULL-ended vector of @n strings, a userdata whose user value may anchor them. */
static char **new_strv(lua_State *L, size_t n)
{
	char **v = lua_newuserdatauv(L, (n + 1) * sizeof(char *), 1);

	v[n] = NULL;
	return v;
}

/* Whether the string at @idx holds a NUL, where C would cut it short. */
static bool has_nul(lua_State *L, int idx)
{
	size_t len;
	const char *s = lua_tolstring(L, idx, &len);

	return strlen(s) != len;
}

/*
 * Element @i of argv, a number on top of the stack, as a string: Lua's own
 * functions take a number where they want a string ({ "ping", "-c", 1 }).
 * The vector at @vec keeps the string, which the caller's table does not.
 */
static void number_arg(lua_State *L, int vec, size_t i)
{
	lua_tolstring(L, -1, NULL); /* converts in place */
	if (lua_getiuservalue(L, vec, 1) != LUA_TTABLE) {
		lua_pop(L, 1);
		lua_newtable(L);
		lua_pushvalue(L, -1);
		lua_setiuservalue(L, vec, 1);
	}
	lua_pushvalue(L, -2);
	lua_rawseti(L, -2, (lua_Integer)i + 1);
	lua_pop(L, 1);
}

/* argv for @arg: a table of strings (or numbers), or a string for /bin/sh -c. */
static char **check_argv(lua_State *L, int arg)
{
	char **argv;
	size_t i, n;
	int vec;

	if (lua_type(L, arg) == LUA_TSTRING) {
		luaL_argcheck(L, !has_nul(L, arg), arg, "command holds a NUL");
		argv = new_strv(L, 3);
		argv[0] = "/bin/sh";
		argv[1] = "-c";
		argv[2] = (char *)lua_tostring(L, arg);
		return argv;
	}
	luaL_argexpected(L, lua_type(L, arg) == LUA_TTABLE, arg, "string or table");
	n = lua_rawlen(L, arg);
	luaL_argcheck(L, n > 0, arg, "empty command");
	argv = new_strv(L, n);
	vec = lua_gettop(L);
	for (i = 0; i < n; i++) {
		int t = lua_rawgeti(L, arg, (lua_Integer)i + 1);

		if (t == LUA_TNUMBER)
			number_arg(L, vec, i);
		else if (t != LUA_TSTRING)
			luaL_argerror(L, arg,
				      lua_pushfstring(L, "command element %d is not a string",
						      (int)i + 1));
		if (has_nul(L, -1))
			luaL_argerror(
				L, arg,
				lua_pushfstring(L, "command element %d holds a NUL", (int)i + 1));
		argv[i] = (char *)lua_tostring(L, -1); /* the table keeps it */
		lua_pop(L, 1);
	}
	return argv;
}

/*
 * The environment: the caller's, with the entries of table @t (at @arg)
 * set, or removed where their value is false.  Strings are anchored in @t's
 * companion table on the stack.
 */
static char **build_env(lua_State *L, int arg, int t)
{
	size_t n = 0, extra = 0, i;
	char **env;

	for (i = 0; environ[i]; i++)
		n++;
	lua_pushnil(L);
	while (lua_next(L, t)) {
		extra++;
		lua_pop(L, 1);
	}
	env = new_strv(L, n + extra);
	lua_newtable(L); /* anchors the "k=v" strings */
	n = 0;
	for (i = 0; environ[i]; i++) {
		const char *eq = strchr(environ[i], '=');

		lua_pushlstring(L, environ[i], eq ? (size_t)(eq - environ[i]) : strlen(environ[i]));
		if (lua_rawget(L, t) == LUA_TNIL)
			env[n++] = environ[i];
		lua_pop(L, 1);
	}
	lua_pushnil(L);
	while (lua_next(L, t)) {
		if (lua_type(L, -2) != LUA_TSTRING ||
		    !(lua_isstring(L, -1) || (lua_isboolean(L, -1) && !lua_toboolean(L, -1))))
			luaL_argerror(
				L, arg,
				"option 'env': string keys; string values, or false to remove");
		/* "A=B" = "c" would set A to "B=c"; a NUL would cut the entry short */
		if (has_nul(L, -2) || strchr(lua_tostring(L, -2), '=') || !*lua_tostring(L, -2) ||
		    (lua_isstring(L, -1) && has_nul(L, -1)))
			luaL_argerror(
				L, arg,
				lua_pushfstring(L,
						"option 'env': bad entry \"%s\" (a name is not "
						"empty and holds no '=', and neither name nor "
						"value holds a NUL)",
						lua_tostring(L, -2)));
		if (lua_isstring(L, -1)) {
			lua_pushfstring(L, "%s=%s", lua_tostring(L, -2), lua_tostring(L, -1));
			env[n++] = (char *)lua_tostring(L, -1);
			lua_rawseti(L, -4, (lua_Integer)n);
		}
		lua_pop(L, 1);
	}
	env[n] = NULL;
	return env;
}

static int fd_option(lua_State *L, int arg, const char *key)
{
	static const char *const names[] = { "inherit", "null", NULL };
	int which = 0;

	if (lua_istable(L, arg) && lua_getfield(L, arg, key) != LUA_TNIL) {
		const char *s = lns_tocstring(L, -1, arg, key);

		for (which = 0; names[which] && (!s || strcmp(s, names[which]) != 0); which++)
			;
		if (!names[which])
			luaL_argerror(L, arg,
				      lua_pushfstring(L,
						      "option '%s' must be \"inherit\" or \"null\"",
						      key));
		lua_pop(L, 1);
	} else if (lua_istable(L, arg)) {
		lua_pop(L, 1);
	}
	return which ? NNS_FD_NULL : NNS_FD_INHERIT;
}

/*
 * Fills @x from the command at @cmd and the options at @opts; what it
 * allocates lives on the Lua stack until the call returns.
 */
static void prepare(lua_State *L, int hidx, int cmd, int opts, const char *const known[],
		    struct nns_exec *x, char *label, size_t size)
{
	LNs *h = lns_check(L, hidx);

	memset(x, 0, sizeof(*x));
	lns_check_options(L, opts, known);
	x->ns = &h->ns;
	x->argv = check_argv(L, cmd);
	lua_getiuservalue(L, hidx, 1);
	x->ns_name = lua_tostring(L, -1); /* anchored on the stack */
	x->label = lns_label(L, hidx, label, size);
	x->stdin_fd = x->stdout_fd = x->stderr_fd = NNS_FD_INHERIT;
	x->die_with_parent = true;
	if (lua_istable(L, opts)) {
		if (lua_getfield(L, opts, "env") != LUA_TNIL) {
			luaL_argcheck(L, lua_istable(L, -1), opts, "option 'env' must be a table");
			x->envp = build_env(L, opts, lua_gettop(L));
		}
		if (lua_getfield(L, opts, "cwd") != LUA_TNIL) {
			luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING && !has_nul(L, -1), opts,
				      "option 'cwd' must be a string without NUL");
			x->cwd = lua_tostring(L, -1);
		}
		x->stdout_fd = fd_option(L, opts, "stdout");
		x->stderr_fd = fd_option(L, opts, "stderr");
	}
}

/* The same, from the command argument (2) itself. */
static const char *cmd_label_of(lua_State *L)
{
	if (lua_type(L, 2) == LUA_TSTRING)
		return lua_tostring(L, 2);
	lua_rawgeti(L, 2, 1);
	lua_replace(L, 2); /* the label outlives nothing it needs */
	return lua_tostring(L, 2);
}

/* Whether table @opts has option @key. */
static bool opt_given(lua_State *L, int opts, const char *key)
{
	bool given = lua_getfield(L, opts, key) != LUA_TNIL;

	lua_pop(L, 1);
	return given;
}

static int opt_timeout(lua_State *L, int opts)
{
	lua_Number t;

	if (!lua_istable(L, opts) || lua_getfield(L, opts, "timeout") == LUA_TNIL) {
		if (lua_istable(L, opts))
			lua_pop(L, 1);
		return -1;
	}
	luaL_argcheck(L, lua_type(L, -1) == LUA_TNUMBER, opts, "option 'timeout' must be a number");
	t = lua_tonumber(L, -1);
	luaL_argcheck(L, t >= 0 && t < 1e6, opts, "option 'timeout' out of range");
	lua_pop(L, 1);
	return (int)(t * 1000);
}

static int make_pipe(int fds[2], struct nns_error *e, const char *what)
{
	if (pipe2(fds, O_CLOEXEC) == 0)
		return 0;
	nns_error_set(e, errno, "exec %s: pipe", what);
	return -errno;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* ---- exec and output ---------------------------------------------------- */

static const char *const exec_options[] = { "env",    "cwd",	"stdin", "timeout",
					    "stdout", "stderr", NULL };
static const char *const output_options[] = { "env",	"cwd",	 "stdin", "timeout",
					      "stderr", "check", NULL };

/*
 * Whether a program exec or output runs leads a process group of its own,
 * which a timeout or an interruption then kills whole, a shell command's
 * pipeline too.  One that reads the terminal stays in the foreground
 * group, where a read does not stop it; and while there is a terminal,
 * one without a time limit stays there too, as a shell's foreground job
 * does: Ctrl-C reaches it, and a program that opens /dev/tty itself (a
 * pager, a password prompt) is not stopped.  The key is then the
 * program's (see nns_proc_foreground_begin); one that ends it interrupts
 * the caller after it.
 */
static bool wants_own_group(bool timed, bool stdin_inherited)
{
	int tty;

	if (stdin_inherited && isatty(0))
		return false;
	if (timed)
		return true;
	tty = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
	if (tty < 0)
		return true; /* no controlling terminal */
	close(tty);
	return false;
}

/* Whether @status, when @reaped, says SIGINT ended the program. */
static bool ended_by_sigint(bool reaped, int status)
{
	return reaped && WIFSIGNALED(status) && WTERMSIG(status) == SIGINT;
}

/*
 * Runs the program with stdin fed from option "stdin" and, when @capture,
 * stdout collected into io[1] and, unless option "stderr" says where it
 * goes, stderr into io[2] (while the program runs, as a shell's $(...)
 * takes no stderr at all: a daemon it starts may keep it).  With
 * @must_start, a program that cannot be started is an error, not exit
 * status 127.
 */
static int run(lua_State *L, bool capture, bool must_start, struct nns_io io[3], int *status,
	       struct nns_error *e)
{
	const char *const *known = capture ? output_options : exec_options;
	char label[300];
	struct nns_exec x;
	struct nns_proc p;
	int fds[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } }, i, ret = 0, timeout;
	const char *in = NULL;
	size_t inlen = 0;
	bool capture_err;

	*status = 0;
	prepare(L, 1, 2, 3, known, &x, label, sizeof(label));
	timeout = opt_timeout(L, 3);
	if (lua_istable(L, 3) && lua_getfield(L, 3, "stdin") != LUA_TNIL) {
		luaL_argcheck(L, lua_type(L, -1) == LUA_TSTRING, 3,
			      "option 'stdin' must be a string");
		in = lua_tolstring(L, -1, &inlen); /* anchored on the stack */
	}
	x.own_group = wants_own_group(timeout >= 0, in == NULL);
	capture_err = capture && !(lua_istable(L, 3) && opt_given(L, 3, "stderr"));
	for (i = 0; i < 3 && ret == 0; i++)
		if ((i == 0 && in) || (i == 1 && capture) || (i == 2 && capture_err))
			ret = make_pipe(fds[i], e, nns_exec_label(&x));
	if (ret < 0)
		goto out;
	if (in)
		x.stdin_fd = fds[0][0];
	if (capture)
		x.stdout_fd = fds[1][1];
	if (capture_err)
		x.stderr_fd = fds[2][1];
	/* From its start, a key is the program's (see nns_proc_foreground_begin). */
	x.hold_keys = !x.own_group;
	x.must_start = must_start;
	ret = nns_proc_start(&x, &p, e);
	if (ret < 0)
		goto out;
	io[0] = (struct nns_io){ .fd = in ? fds[0][1] : -1, .data = in, .size = inlen };
	io[1] = (struct nns_io){ .fd = fds[1][0] };
	io[2] = (struct nns_io){ .fd = fds[2][0], .while_running = true };
	fds[0][1] = fds[1][0] = fds[2][0] = -1; /* now owned by io */
	for (i = 0; i < 3; i++)
		close_fd(&fds[i][i == 0 ? 0 : 1]);
	ret = nns_proc_wait(&p, io, 3, timeout, status, e);
	nns_proc_release(&p, NULL);
	if (p.keys_held)
		nns_proc_foreground_end(&p.keys_mask, ended_by_sigint(ret == 0, *status));
out:
	for (i = 0; i < 3; i++) {
		close_fd(&fds[i][0]);
		close_fd(&fds[i][1]);
	}
	if (ret < 0 && !e->what[0])
		nns_error_set(e, -ret, "exec %s", nns_exec_label(&x));
	return ret;
}

static int ns_exec(lua_State *L)
{
	struct nns_io io[3] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };
	struct nns_error e = { 0 };
	int status, ret;

	ret = run(L, false, false, io, &status, &e);
	nns_io_free(io, 3);
	if (ret < 0)
		return lns_fail(L, 1, &e);
	return exec_result(L, status);
}

/*
 * nil, "netns: exec CMD (in NS): exit status N: STDERR", N, STDERR: how a
 * program that ran but failed is reported by output().  One killed for
 * running out of its time (@timed_out) says so.
 */
static int lns_fail_status(lua_State *L, int status, bool timed_out, const struct nns_io *err)
{
	size_t n = err->len;
	char label[300];
	int code;

	while (n > 0 && (err->buf[n - 1] == '\n' || err->buf[n - 1] == ' '))
		n--;
	luaL_pushfail(L);
	lua_pushfstring(L, "netns: exec %s (in %s): ", cmd_label_of(L),
			lns_label(L, 1, label, sizeof(label)));
	code = WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status);
	if (timed_out) /* the kill ended it, or it had exited and left the output open */
		lua_pushfstring(L, "timed out after %f s, %s %d",
				(lua_Number)opt_timeout(L, 3) / 1000,
				WIFSIGNALED(status) ? "killed by signal" : "exit status", code);
	else if (WIFSIGNALED(status))
		lua_pushfstring(L, "killed by signal %d", code);
	else
		lua_pushfstring(L, "exit status %d", code);
	lua_concat(L, 2);
	if (n) {
		lua_pushliteral(L, ": ");
		lua_pushlstring(L, err->buf, n);
		lua_concat(L, 3);
	}
	lua_pushinteger(L, code);
	lua_pushlstring(L, err->buf ? err->buf : "", err->len);
	return 4;
}

/* Standard output as a string; a program that fails gives nil, message with its stderr. */
static int ns_output(lua_State *L)
{
	struct nns_io io[3] = { { .fd = -1 }, { .fd = -1 }, { .fd = -1 } };
	struct nns_error e = { 0 };
	bool check = true, timed_out;
	int status, ret;

	/* check = false: a failed program's output and status, as io.popen gives them. */
	if (lua_istable(L, 3) && lua_getfield(L, 3, "check") != LUA_TNIL) {
		luaL_argcheck(L, lua_isboolean(L, -1), 3, "option 'check' must be a boolean");
		check = lua_toboolean(L, -1);
	}
	/* unchecked, a program that cannot start gives status 127, as from io.popen */
	ret = run(L, true, check, io, &status, &e);
	if (ret < 0) {
		nns_io_free(io, 3);
		return lns_fail(L, 1, &e);
	}
	timed_out = ret == 1; /* also when it exited in time but a child held its output */
	if (!check || (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		lua_pushlstring(L, io[1].buf ? io[1].buf : "", io[1].len);
		nns_io_free(io, 3);
		if (check)
			return 1;
		if (!timed_out)
			return 1 + exec_result(L, status);
		luaL_pushfail(L); /* as p:wait says it */
		lua_pushliteral(L, "timeout");
		return 3;
	}
	ret = lns_fail_status(L, status, timed_out, &io[2]);
	nns_io_free(io, 3);
	return ret;
}

/* ---- popen -------------------------------------------------------------- */

/* Whether the close running is the collector's, of a file the script dropped. */
static bool finalizing(lua_State *L)
{
	lua_Debug ar;

	return lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.namewhat &&
	       !strcmp(ar.namewhat, "metamethod") && ar.name && !strcmp(ar.name, "__gc");
}

static int pipe_close(lua_State *L)
{
	LPipe *pp = luaL_checkudata(L, 1, LUA_FILEHANDLE);
	struct nns_error e = { 0 };
	int status = 0, ret, waited;
	/* A signal stopped the script that dropped it: its program goes, unwaited for. */
	int timeout_ms = finalizing(L) && nns_proc_host_is_stopped() ? 0 : -1;

	ret = fclose(pp->stream.f);
	waited = nns_proc_wait(&pp->p, NULL, 0, timeout_ms, &status, &e);
	nns_proc_release(&pp->p, NULL);
	if (ret != 0)
		return luaL_fileresult(L, 0, NULL);
	if (waited < 0) {
		errno = e.code;
		return luaL_fileresult(L, 0, "wait");
	}
	return exec_result(L, status);
}

static int ns_popen(lua_State *L)
{
	static const char *const none[] = { NULL };
	const char *mode = luaL_optstring(L, 3, "r");
	struct nns_error e = { 0 };
	char label[300];
	struct nns_exec x;
	int fds[2], mine, ret;
	bool reading;
	LPipe *pp;

	luaL_argcheck(L, (mode[0] == 'r' || mode[0] == 'w') && !mode[1], 3, "invalid mode");
	reading = mode[0] == 'r';
	lua_settop(L, 3);
	lua_pushnil(L); /* no options */
	prepare(L, 1, 2, 4, none, &x, label, sizeof(label));
	if (make_pipe(fds, &e, nns_exec_label(&x)) < 0)
		return lns_fail(L, 1, &e);
	if (reading)
		x.stdout_fd = fds[1];
	else
		x.stdin_fd = fds[0];
	/* as exec's: without a terminal, what stops it reaches its whole pipeline */
	x.own_group = wants_own_group(false, reading);
	mine = reading ? fds[0] : fds[1];
	pp = lua_newuserdatauv(L, sizeof(*pp), 0);
	pp->stream.closef = NULL; /* closed until the program runs */
	pp->p.pid = 0;
	pp->p.pidfd = -1;
	luaL_setmetatable(L, LUA_FILEHANDLE);
	ret = nns_proc_start(&x, &pp->p, &e);
	close(reading ? fds[1] : fds[0]);
	if (ret == 0) {
		pp->stream.f = fdopen(mine, mode);
		if (!pp->stream.f) {
			nns_error_set(&e, errno, "popen %s", nns_exec_label(&x));
			ret = -errno;
			nns_proc_release(&pp->p, NULL);
		}
	}
	if (ret < 0) {
		close(mine);
		return lns_fail(L, 1, &e);
	}
	pp->stream.closef = pipe_close;
	return 1;
}

/* ---- spawn and the process handle --------------------------------------- */

static const char *const spawn_options[] = { "env", "cwd", "stdout", "stderr", "stdin", NULL };

static int ns_spawn(lua_State *L)
{
	struct nns_error e = { 0 };
	char label[300];
	struct nns_exec x;
	LProc *p;

	prepare(L, 1, 2, 3, spawn_options, &x, label, sizeof(label));
	x.stdin_fd = fd_option(L, 3, "stdin");
	/*
	 * p:kill and the handle's end reach all it starts, as a timeout does;
	 * what it leaves behind ends with it.
	 */
	x.own_group = wants_own_group(true, x.stdin_fd == NNS_FD_INHERIT);
	p = lua_newuserdatauv(L, sizeof(*p), 0);
	memset(p, 0, sizeof(*p));
	p->p.pidfd = -1;
	p->done = true; /* nothing to reap until started */
	luaL_setmetatable(L, LNS_PROC);
	x.must_start = true; /* nothing would tell the caller before its wait */
	if (nns_proc_start(&x, &p->p, &e) < 0)
		return lns_fail(L, 1, &e);
	p->done = false;
	p->pid = p->p.pid;
	p->p.end_group = p->p.group;
	return 1;
}

static LProc *check_proc(lua_State *L)
{
	return luaL_checkudata(L, 1, LNS_PROC);
}

/*
 * Its program is reaped (or never ran): the handle has nothing to wait
 * for.  One still running is killed, and p:wait() then says so.
 */
static void proc_end(LProc *p)
{
	if (!p->done)
		nns_proc_release(&p->p, &p->status);
	p->done = true;
}

static int proc_wait(lua_State *L)
{
	LProc *p = check_proc(L);
	struct nns_error e = { 0 };
	int timeout = -1;
	bool foreground;
	sigset_t keys;

	if (!lua_isnoneornil(L, 2)) {
		lua_Number t = luaL_checknumber(L, 2);

		luaL_argcheck(L, t >= 0 && t < 1e6, 2, "timeout out of range"); /* NaN too */
		timeout = (int)(t * 1000);
	}
	if (p->done)
		return exec_result(L, p->status);
	foreground = !p->p.group;
	if (foreground)
		nns_proc_foreground_begin(&keys);
	if (timeout >= 0) {
		int ended = nns_proc_wait_exit(&p->p, timeout);

		/* A wait with a limit that runs out leaves the program running. */
		if (ended == 0) {
			if (foreground)
				nns_proc_foreground_end(&keys, false);
			luaL_pushfail(L);
			lua_pushliteral(L, "timeout");
			return 2;
		}
		if (ended < 0)
			nns_error_set(&e, -ended, "wait");
	}
	if (!e.code)
		nns_proc_wait(&p->p, NULL, 0, -1, &p->status, &e);
	/* Interrupted, the program was stopped; either way it is reaped. */
	proc_end(p);
	if (foreground)
		nns_proc_foreground_end(&keys, ended_by_sigint(!e.code, p->status));
	if (e.code) {
		nns_error_set(&e, e.code, "wait %d", (int)p->pid);
		return lns_fail(L, 0, &e);
	}
	return exec_result(L, p->status);
}

static int proc_running(lua_State *L)
{
	LProc *p = check_proc(L);

	if (!p->done && nns_proc_poll(&p->p, &p->status) == 1)
		proc_end(p);
	lua_pushboolean(L, !p->done);
	return 1;
}

static int proc_kill(lua_State *L)
{
	static const char *const names[] = { "TERM", "KILL", "INT",  "HUP",  "USR1",
					     "USR2", "STOP", "CONT", "QUIT", NULL };
	static const int sigs[] = { SIGTERM, SIGKILL, SIGINT,  SIGHUP, SIGUSR1,
				    SIGUSR2, SIGSTOP, SIGCONT, SIGQUIT };
	LProc *p = check_proc(L);
	int sig = SIGTERM;

	if (lua_type(L, 2) == LUA_TSTRING) {
		const char *s = lua_tostring(L, 2);

		if (!strncmp(s, "SIG", 3))
			lua_pushstring(L, s + 3), lua_replace(L, 2);
		sig = sigs[luaL_checkoption(L, 2, NULL, names)];
	} else if (!lua_isnoneornil(L, 2)) {
		lua_Integer n = luaL_checkinteger(L, 2);

		luaL_argcheck(L, n >= 0 && n <= SIGRTMAX, 2, "invalid signal number");
		sig = (int)n;
	}
	if (p->done || p->p.pid <= 0) {
		errno = ESRCH; /* reaped: its pid may be someone else's now */
		return luaL_fileresult(L, 0, "kill");
	}
	if (kill(p->p.group ? -p->p.pid : p->p.pid, sig) < 0) /* its group: see ns_spawn */
		return luaL_fileresult(L, 0, "kill");
	lua_pushboolean(L, 1);
	return 1;
}

static int proc_gc(lua_State *L)
{
	proc_end(check_proc(L));
	return 0;
}

static int proc_index(lua_State *L)
{
	LProc *p = check_proc(L);
	const char *key = luaL_checkstring(L, 2);

	if (!strcmp(key, "pid")) {
		lua_pushinteger(L, p->pid);
		return 1;
	}
	lua_getmetatable(L, 1);
	lua_getfield(L, -1, "methods");
	lua_getfield(L, -1, key);
	return 1;
}

static int proc_tostring(lua_State *L)
{
	LProc *p = check_proc(L);

	lua_pushfstring(L, "netns process %d%s", (int)p->pid, p->done ? " (ended)" : "");
	return 1;
}

/* ---- sysctl ------------------------------------------------------------- */

/* Why @key is no sysctl key of the form sysctl(8) takes with separator @sep, or NULL. */
static const char *sysctl_key_flaw(const char *key, char sep)
{
	const char *name = key;

	if (strncmp(key, "net", 3) != 0 || key[3] != sep)
		return "must start with 'net.' or 'net/'";
	for (;;) {
		const char *end = strchr(name, sep);
		size_t len = end ? (size_t)(end - name) : strlen(name);

		if (len == 0)
			return "empty name";
		if (sep == '/' && name[0] == '.' && (len == 1 || (len == 2 && name[1] == '.')))
			return "'.' and '..' are not names";
		if (!end)
			return NULL;
		name = end + 1;
	}
}

/*
 * The /proc/sys path, into @path, of the key at stack slot @idx, which
 * names the sysctl as sysctl(8) does: names joined by '.'
 * ("net.ipv4.ip_forward"), or by '/' when a name holds a dot
 * ("net/ipv4/conf/eth0.100/forwarding").  Only net.*, which is the
 * namespace's own, and never a way out of it.  A bad key is an error
 * about argument @arg.
 */
const char *lns_sysctl_key(lua_State *L, int idx, int arg, char *path, size_t size)
{
	size_t n;
	const char *key, *flaw;
	char sep;

	if (idx == arg && !lua_isstring(L, idx)) /* an argument's type error, worded as elsewhere */
		lns_typeerror(L, arg, "string");
	/* a table's key is never converted: lua_next would lose its place */
	if (idx != arg && lua_type(L, idx) != LUA_TSTRING)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "sysctl key: string expected, got %s",
					      luaL_typename(L, idx)));
	key = lua_tolstring(L, idx, &n);
	if (!key)
		return NULL;  /* not reached: both errors above raise */
	if (strlen(key) != n) /* printed, it would end at the NUL */
		luaL_argerror(L, arg, "invalid sysctl key: it holds a NUL");
	sep = strchr(key, '/') ? '/' : '.';
	flaw = sysctl_key_flaw(key, sep);
	if (!flaw && n + 11 > size)
		flaw = "too long";
	if (flaw)
		luaL_argerror(L, arg,
			      lua_pushfstring(L, "invalid sysctl key \"%s\": %s", key, flaw));
	snprintf(path, size, "/proc/sys/%s", key); /* n + 11 <= size */
	if (sep == '.')
		for (char *d = path + 10; *d; d++)
			if (*d == '.')
				*d = '/';
	return key;
}

const char *lns_sysctl_value(lua_State *L, int idx, int arg, const char *key)
{
	const char *value, *flaw = NULL;
	size_t len;

	if (lua_isboolean(L, idx))
		return lua_toboolean(L, idx) ? "1" : "0";
	if (!lua_isstring(L, idx) && idx == arg)
		lns_typeerror(L, arg, "string or number");
	if (!lua_isstring(L, idx))
		flaw = lua_pushfstring(L, "string or number expected, got %s",
				       luaL_typename(L, idx));
	value = flaw ? NULL : lua_tolstring(L, idx, &len);
	if (value && strlen(value) != len)
		flaw = "a value must not hold a NUL";
	/* an empty write is no write: the kernel takes it and changes nothing */
	else if (value && len == 0)
		flaw = "a value must not be empty";
	if (flaw && key)
		flaw = lua_pushfstring(L, "sysctl %s: %s", key, flaw);
	if (flaw)
		luaL_argerror(L, arg, flaw);
	return value;
}

/* /proc/sys/net shows the namespace of whoever opens it: open it from inside. */
static int open_in(LNs *h, const char *path, int flags, struct nns_error *e)
{
	int saved, fd;

	if (nns_ns_enter(&h->ns, &saved, e) < 0)
		return -e->code;
	fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		fd = -errno;
	nns_ns_leave(saved);
	return fd;
}

static int ns_sysctl(lua_State *L)
{
	LNs *h = lns_check(L, 1);
	struct nns_error e = { 0 };
	char path[LNS_SYSCTL_PATH_MAX], buf[4096];
	const char *key = lns_sysctl_key(L, 2, 2, path, sizeof(path));
	bool writing = !lua_isnoneornil(L, 3);
	const char *value = writing ? lns_sysctl_value(L, 3, 3, NULL) : NULL;
	size_t len = value ? strlen(value) : 0;
	ssize_t n;
	int fd;

	fd = open_in(h, path, writing ? O_WRONLY : O_RDONLY, &e);
	if (fd < 0) {
		nns_error_set(&e, -fd, "sysctl %s", key);
		return lns_fail(L, 1, &e);
	}
	n = writing ? write(fd, value, len) : read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		nns_error_set(&e, errno, "sysctl %s", key);
	close(fd);
	if (n < 0)
		return lns_fail(L, 1, &e);
	if (writing) {
		lua_pushboolean(L, 1);
		return 1;
	}
	while (n > 0 && buf[n - 1] == '\n')
		n--;
	lua_pushlstring(L, buf, (size_t)n);
	return 1;
}

/* ---- registration ------------------------------------------------------- */

const luaL_Reg lns_proc_methods[] = {
	{ "exec", ns_exec },   { "output", ns_output }, { "popen", ns_popen },
	{ "spawn", ns_spawn }, { "sysctl", ns_sysctl }, { NULL, NULL },
};

static const luaL_Reg proc_methods[] = {
	{ "wait", proc_wait }, { "kill", proc_kill }, { "running", proc_running },
	{ "close", proc_gc },  { NULL, NULL },
};

static const luaL_Reg proc_meta[] = {
	{ "__index", proc_index },	 { "__gc", proc_gc }, { "__close", proc_gc },
	{ "__tostring", proc_tostring }, { NULL, NULL },
};

void lns_open_proc(lua_State *L)
{
	luaL_newmetatable(L, LNS_PROC);
	luaL_setfuncs(L, proc_meta, 0);
	luaL_newlib(L, proc_methods);
	lua_setfield(L, -2, "methods");
	lua_pop(L, 1);
}
