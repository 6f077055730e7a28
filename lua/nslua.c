/*
** nslua: the stand-alone Lua 5.4 interpreter with the netns library built in.
**
** It takes the options of 'lua5.4' and behaves like it (same messages, same
** 'arg' table, same exit status, Ctrl-C interrupts running code).  A script
** stopped by SIGINT, SIGTERM or SIGHUP unwinds like an error and then exits
** as a shell expects, 128 + the signal.  On top of that it preloads 'netns' (the C core and the embedded Lua modules), makes
** it a global, gives the library a chance to tear the script's topologies
** down when the script ends, and has a few options of its own; see
** 'print_help'.
*/

#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lua.h"
#include "lauxlib.h"
#include "lualib.h"

#include <dlfcn.h>


/*
** The Lua modules of the library, precompiled into the program by a file
** that 'lua/embed.lua' generates.  That file declares the same structure.
*/
struct nslua_module {
  const char *name;       /* module name, as given to 'require' */
  const char *chunkname;  /* its file, relative to lua/ */
  const char *code;       /* the precompiled chunk (debug information kept) */
  size_t size;
};

extern const struct nslua_module nslua_modules[];  /* ends with { NULL } */

int luaopen_netns_core (lua_State *L);  /* the binding, linked in */
int lns_is_layer (const char *source);  /* lua/lerror.c: a file of netns's Lua layer */
void nns_proc_job_ignores (int sig);  /* core/proc.c: signals programs keep ignored */
void nns_proc_host_ending (void);  /* core/proc.c: waits stop holding the exit up */
void nns_proc_host_stopped (void);  /* core/proc.c: dropped programs are not waited for */


#define INIT_VAR        "LUA_INIT"
#define INIT_VAR_VER    INIT_VAR LUA_VERSUFFIX

#define PROMPT          "> "
#define PROMPT2         ">> "
#define MAXINPUT        512  /* line length without readline */
#define EOFMARK         "<eof>"  /* ends messages of incomplete chunks */


static const char *progname = "nslua";

/* the state that a SIGINT must stop: only a signal handler reads it */
static lua_State *running_state = NULL;

/* the latest SIGINT, SIGTERM or SIGHUP: only the handlers write it */
static volatile sig_atomic_t pending_signal = 0;

/* set by a handler, cleared by the hook it set: a signal not yet acted on */
static volatile sig_atomic_t hook_pending = 0;

/*
** the signals that reached the code run so far (a chunk, or the
** teardown with the signal that stopped the script): the third ends
** nslua at once
*/
static volatile sig_atomic_t signals_seen = 0;

/*
** the signal whose error stopped user code, for an exit status of
** 128 + it; 0 again once code goes on after it (a pcall caught it)
*/
static int caught_signal = 0;

/*
** a SIGTERM or SIGHUP that reached user code, or any signal that stopped
** a step of the teardown: the run ends with 128 + it even when a pcall
** caught its error and the script went on (lua5.4 dies of it), as a test
** runner that catches every error does
*/
static int ending_signal = 0;

/* set while 'netns.atexit' tears down: a signal then stops one step */
static int in_teardown = 0;

/* the signals nslua was started with ignored (nohup): they stay so */
static sigset_t ignored_signals;



/*
** {==================================================================
** Running chunks: error messages and Ctrl-C
** ===================================================================
*/

static void set_signal (int sig, void (*handler) (int)) {
  struct sigaction sa;
  sa.sa_handler = handler;
  sa.sa_flags = 0;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, NULL);
}


/*
** Whether the hook runs in a function of the library's Lua files, or in
** one such a function called: the line luaL_error would name is there.
*/
static int struck_in_layer (lua_State *L, lua_Debug *ar) {
  lua_Debug caller;
  if (lua_getinfo(L, "S", ar) && lns_is_layer(ar->source))
    return 1;
  return lua_getstack(L, 1, &caller) && lua_getinfo(L, "S", &caller) &&
         lns_is_layer(caller.source);
}


/* Runs inside Lua at the first chance after SIGINT, SIGTERM or SIGHUP. */
static void interrupt_hook (lua_State *L, lua_Debug *ar) {
  int sig = pending_signal;
  const char *msg;
  lua_sethook(L, NULL, 0, 0);
  hook_pending = 0;
  if (!in_teardown)
    caught_signal = sig;
  if (in_teardown || sig != SIGINT)
    ending_signal = sig;
  msg = sig == SIGTERM ? "terminated!" : sig == SIGHUP ? "hangup!" : "interrupted!";
  /* struck inside the library (in its Lua, or in a call its Lua made):
     said as by a call it interrupted, with no position in its own files */
  if (struck_in_layer(L, ar)) {
    lua_pushstring(L, msg);
    lua_error(L);
  }
  luaL_error(L, "%s", msg);
}


/* Whether error message 'msg' is the one interrupt_hook raised (or re-raised). */
static int is_signal_error (const char *msg) {
  static const char *const texts[] = { "interrupted!", "terminated!", "hangup!" };
  size_t len = msg ? strlen(msg) : 0;
  size_t i;
  for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
    size_t n = strlen(texts[i]);
    if (len >= n && strcmp(msg + len - n, texts[i]) == 0)
      return 1;
  }
  return 0;
}


/*
** A signal handler may not touch a Lua state, except to set a hook;
** the hook then raises an ordinary error, so that pcall, to-be-closed
** variables and 'netns.atexit' all still run.  A second signal stops
** again what the first one's error runs (the '<close>' handlers, the
** teardown), which is taken up again; a third ends the process, as does
** a second one before the hook has fired (code stuck in C, or in a
** coroutine), as Ctrl-C does lua5.4.
*/
static void on_sigint (int sig) {
  int mask = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  if (hook_pending || ++signals_seen >= 3) {
    set_signal(sig, SIG_DFL);
    raise(sig);  /* delivered as this handler returns */
    return;
  }
  hook_pending = 1;
  pending_signal = sig;
  lua_sethook(running_state, interrupt_hook, mask, 1);
}

/*
** At the REPL's prompt no Lua code runs: a signal ends the input, as its
** end does, so that the teardown still follows.
*/
static void on_prompt_signal (int sig) {
  set_signal(sig, SIG_DFL);
  pending_signal = sig;
}

/*
** SIGTERM and SIGHUP stop a script the way Ctrl-C does, so that what it
** built is torn down before nslua exits; when nslua started with them
** ignored (nohup), they are left ignored, as lua5.4 leaves them.  SIGINT
** is caught even then, as lua5.4 catches it.
*/
static void catch_signals (void (*handler) (int)) {
  static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
  size_t i;
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    if (!sigismember(&ignored_signals, sigs[i]))
      set_signal(sigs[i], handler);
}

/*
** A SIGINT ignored at start (a shell's background job) is caught all the
** same, but the programs the script runs still get it ignored, as they
** would from the shell.
*/
static void note_ignored_signals (void) {
  static const int sigs[] = { SIGTERM, SIGHUP };
  struct sigaction old;
  size_t i;
  sigemptyset(&ignored_signals);
  for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
    if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
      sigaddset(&ignored_signals, sigs[i]);
  if (sigaction(SIGINT, NULL, &old) == 0 && old.sa_handler == SIG_IGN)
    nns_proc_job_ignores(SIGINT);
}


static void print_message (const char *pname, const char *msg) {
  if (pname != NULL)
    fprintf(stderr, "%s: ", pname);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}


/*
** Prints the error message on top of the stack when 'status' is an
** error.  The message is a string: Lua made it, or 'add_traceback' did.
*/
static int report (lua_State *L, int status) {
  if (status != LUA_OK) {
    print_message(progname, lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return status;
}


/* Message handler: turns any error object into a message with traceback. */
static int add_traceback (lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (caught_signal && !in_teardown && !is_signal_error(msg))
    caught_signal = 0;  /* a pcall caught the signal; another error ends the code */
  if (msg == NULL) {
    /* an object that can describe itself gives the message as it is */
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
      return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)",
                          luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}


/*
** Calls the function below the 'narg' arguments on top of the stack,
** with a traceback on errors and Ctrl-C turned into an error.
*/
static int docall (lua_State *L, int narg, int nres) {
  int status;
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, add_traceback);
  lua_insert(L, base);
  running_state = L;
  if (!in_teardown)  /* the teardown counts the signal that stopped the script */
    signals_seen = 0;
  catch_signals(on_sigint);
  status = lua_pcall(L, narg, nres, base);
  catch_signals(SIG_DFL);
  lua_remove(L, base);
  if (status == LUA_OK && !in_teardown)
    caught_signal = 0;  /* the code went on after a signal: it stopped nothing */
  return status;
}


static int dochunk (lua_State *L, int status) {
  if (status == LUA_OK)
    status = docall(L, 0, 0);
  return report(L, status);
}


static int dofile (lua_State *L, const char *name) {
  return dochunk(L, luaL_loadfile(L, name));
}


static int dostring (lua_State *L, const char *s, const char *chunkname) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), chunkname));
}

/* }================================================================== */



/*
** {==================================================================
** The command line
** ===================================================================
*/

/* what the options before the script ask for */
#define OPT_ERROR       1    /* bad option: nothing else counts */
#define OPT_I           2
#define OPT_V           4
#define OPT_E           8
#define OPT_NOENV       16   /* -E */
#define OPT_KEEP        32
#define OPT_QUIET       64
#define OPT_HELP        128
#define OPT_CLEANUP     256
#define OPT_MONITOR     512
#define OPT_JSON        1024
#define OPT_CNI         2048
#define OPT_L           4096
#define OPT_MODES       (OPT_CLEANUP | OPT_MONITOR | OPT_CNI)

struct cmdline {
  int flags;
  int script;           /* argv index of the script; argc when none;
                           the bad option on OPT_ERROR */
  const char *graph;    /* --graph FILE */
  const char *prefix;   /* --cleanup [prefix] */
};

/* the options of nslua's own: all long, all before the script */
struct long_option {
  const char *name;
  int flag;
  int value;            /* 0: none; 1: required; 2: optional */
};

static const struct long_option long_options[] = {
  { "keep", OPT_KEEP, 0 },
  { "quiet", OPT_QUIET, 0 },
  { "help", OPT_HELP, 0 },
  { "graph", 0, 1 },
  { "cleanup", OPT_CLEANUP, 2 },
  { "monitor", OPT_MONITOR, 0 },
  { "json", OPT_JSON, 0 },
  { "cni", OPT_CNI, 0 },
  { NULL, 0, 0 }
};


static void print_usage (const char *badoption, int needs_argument) {
  fprintf(stderr, "%s: ", progname);
  if (needs_argument)
    fprintf(stderr, "'%s' needs argument\n", badoption);
  else
    fprintf(stderr, "unrecognized option '%s'\n", badoption);
  fprintf(stderr,
  "usage: %s [options] [script [args]]\n"
  "Available options are:\n"
  "  -e stat   execute string 'stat'\n"
  "  -i        enter interactive mode after executing 'script'\n"
  "  -l mod    require library 'mod' into global 'mod'\n"
  "  -l g=mod  require library 'mod' into global 'g'\n"
  "  -v        show version information\n"
  "  -E        ignore environment variables\n"
  "  -W        turn warnings on\n"
  "  --        stop handling options\n"
  "  -         stop handling options and execute stdin\n",
  progname);
  fflush(stderr);
}


static void print_help (void) {
  printf(
  "usage: %s [options] [script [args]]\n"
  "Runs a Lua 5.4 script with the 'netns' library preloaded (and in the\n"
  "global 'netns'); the topologies the script builds are removed when it\n"
  "ends, fails or is stopped by SIGINT, SIGTERM or SIGHUP (exit status\n"
  "128 + the signal).\n"
  "Available options are:\n"
  "  -e stat          execute string 'stat'\n"
  "  -i               enter interactive mode after executing 'script'\n"
  "  -l mod           require library 'mod' into global 'mod'\n"
  "  -l g=mod         require library 'mod' into global 'g'\n"
  "  -v               show version information\n"
  "  -E               ignore environment variables\n"
  "  -W               turn warnings on\n"
  "  --keep           leave the script's topologies in place when it ends\n"
  "  --graph FILE     write the DOT graph of the script's topologies to FILE\n"
  "  --quiet          do not report what the library does\n"
  "  --cleanup [prefix]\n"
  "                   remove the pins left by killed runs, then exit\n"
  "  --monitor [name ...]\n"
  "                   print the link, address, route, neighbour and rule\n"
  "                   events of the named namespaces (else the current one)\n"
  "                   as ip monitor does, until interrupted\n"
  "  --json           with --monitor: one JSON object per event\n"
  "  --cni plugin.lua\n"
  "                   run plugin.lua as a CNI plugin: the request from the\n"
  "                   CNI_* variables and stdin, one JSON document out\n"
  "  --help           show this help and exit\n"
  "  --               stop handling options\n"
  "  -                stop handling options and execute stdin\n",
  progname);
  fflush(stdout);
}


/* An option's argument must be there and must not look like an option. */
static int take_value (char **argv, int i) {
  if (argv[i + 1] == NULL || argv[i + 1][0] == '-')
    return -1;
  return i + 1;
}


/* Finds the long option named by 'arg' (without "--", up to any '='). */
static const struct long_option *find_long (const char *arg) {
  const struct long_option *o;
  size_t len = strcspn(arg, "=");
  for (o = long_options; o->name != NULL; o++) {
    if (strlen(o->name) == len && strncmp(arg, o->name, len) == 0)
      return o;
  }
  return NULL;
}


/*
** Reads the long option 'argv[i]': "--name", "--name value" or
** "--name=value".  Returns the index of the last argv entry it used, or
** -1 when it is bad.
*/
static int scan_long (char **argv, int i, struct cmdline *cl) {
  const struct long_option *o = find_long(argv[i] + 2);
  const char *value = strchr(argv[i], '=');
  if (o == NULL)
    return -1;
  if (value != NULL) {
    if (o->value == 0 || *++value == '\0')
      return -1;
  }
  else if (o->value == 1 || (o->value == 2 && take_value(argv, i) > 0)) {
    if ((i = take_value(argv, i)) < 0)
      return -1;
    value = argv[i];
  }
  cl->flags |= o->flag;
  if (o->flag == OPT_CLEANUP)
    cl->prefix = value;
  else if (o->value != 0)
    cl->graph = value;
  return i;
}


/* Same as 'scan_long' for the options of 'lua5.4'. */
static int scan_option (char **argv, int i, struct cmdline *cl) {
  const char *arg = argv[i];
  switch (arg[1]) {
    case '-':
      return scan_long(argv, i, cl);
    case 'e':
    case 'l':  /* the value may be glued to the option: -lmod */
      cl->flags |= (arg[1] == 'e') ? OPT_E : OPT_L;
      return (arg[2] != '\0') ? i : take_value(argv, i);
    case 'i':  /* -i implies -v */
      cl->flags |= OPT_I | OPT_V;
      break;
    case 'v':
      cl->flags |= OPT_V;
      break;
    case 'E':
      cl->flags |= OPT_NOENV;
      break;
    case 'W':
      break;
    default:
      return -1;
  }
  return (arg[2] == '\0') ? i : -1;  /* no letters after these */
}


/*
** Finds the options and the script.  As in lua5.4, options stop at the
** first argument that is not one, at "-" (the script is stdin) and
** after "--".
*/
static void scan_cmdline (char **argv, int argc, struct cmdline *cl) {
  int i;
  memset(cl, 0, sizeof(*cl));
  for (i = 1; i < argc; i++) {
    cl->script = i;
    if (argv[i][0] != '-' || argv[i][1] == '\0')
      return;
    if (strcmp(argv[i], "--") == 0) {
      cl->script = i + 1;
      return;
    }
    if ((i = scan_option(argv, i, cl)) < 0) {
      cl->flags = OPT_ERROR;
      return;
    }
  }
  cl->script = argc;
}


/*
** What is wrong with options that each make sense alone, or NULL.  The
** modes (--cleanup, --monitor, --cni) run no code of the user's: an option
** for that code would be passed over without a word.
*/
static const char *misfit_options (const struct cmdline *cl, int argc) {
  int mode = cl->flags & OPT_MODES;
  if ((cl->flags & OPT_JSON) && mode != OPT_MONITOR)
    return "--json needs --monitor";
  if (mode == 0)
    return NULL;
  if (mode & (mode - 1))
    return "--cleanup, --monitor and --cni exclude each other";
  if ((cl->flags & (OPT_E | OPT_L | OPT_I | OPT_V | OPT_KEEP)) || cl->graph != NULL)
    return "-e, -l, -i, -v, --keep and --graph do not go with "
           "--cleanup, --monitor or --cni";
  if (mode == OPT_CLEANUP && cl->script < argc)
    return "--cleanup takes one prefix";
  return NULL;
}


/*
** Whether the --graph file can be written: said before the script runs,
** rather than once it has built (and maybe torn down) its topologies.
*/
static int graph_writable (lua_State *L, const char *path) {
  int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    print_message(progname, lua_pushfstring(L, "--graph %s: %s", path, strerror(errno)));
    return 0;
  }
  close(fd);
  return 1;
}


/* Was the bad option 'arg' bad because its argument is missing? */
static int lacks_argument (const char *arg) {
  const struct long_option *o;
  if (arg[1] == 'e' || arg[1] == 'l')
    return 1;
  o = (arg[1] == '-') ? find_long(arg + 2) : NULL;
  return o != NULL && o->value == 1;
}


/*
** The table 'arg': the script name at index 0, its arguments at 1, 2,
** ..., the interpreter and its options at negative indices.  Without a
** script the interpreter sits at index 0.
*/
static void create_arg_table (lua_State *L, char **argv, int argc,
                              int script) {
  int i;
  if (script == argc)
    script = 0;
  lua_createtable(L, argc - (script + 1), script + 1);
  for (i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}


/* Runs 'globname = require(modname)' for '-l globname[=modname]'. */
static int dolibrary (lua_State *L, char *globname) {
  int status;
  char *modname = strchr(globname, '=');
  if (modname == NULL)
    modname = globname;
  else
    *modname++ = '\0';
  lua_getglobal(L, "require");
  lua_pushstring(L, modname);
  status = docall(L, 1, 1);
  if (status == LUA_OK)
    lua_setglobal(L, globname);
  return report(L, status);
}


/* Runs -e, -l and -W in order; returns 0 when some code failed. */
static int run_options (lua_State *L, char **argv, int script) {
  int i;
  for (i = 1; i < script; i++) {
    struct cmdline ignored = { 0 };
    char opt = argv[i][1];
    if (opt == 'e' || opt == 'l') {
      char *value = (argv[i][2] != '\0') ? argv[i] + 2 : argv[++i];
      int status = (opt == 'e') ? dostring(L, value, "=(command line)")
                                : dolibrary(L, value);
      if (status != LUA_OK)
        return 0;
    }
    else if (opt == 'W')
      lua_warning(L, "@on", 0);
    else if (opt == '-' && argv[i][2] != '\0') {
      int last = scan_long(argv, i, &ignored);  /* skip its value, if any */
      if (last > i)  /* (-1, a bad option, was refused by scan_cmdline) */
        i = last;
    }
  }
  return 1;
}


static int handle_luainit (lua_State *L) {
  const char *name = "=" INIT_VAR_VER;
  const char *init = getenv(name + 1);
  if (init == NULL) {
    name = "=" INIT_VAR;
    init = getenv(name + 1);
  }
  if (init == NULL)
    return LUA_OK;
  if (init[0] == '@')
    return dofile(L, init + 1);
  return dostring(L, init, name);
}


/* Pushes arg[1], ..., arg[#arg]: the script's '...'. */
static int push_script_args (lua_State *L) {
  int i, n;
  if (lua_getglobal(L, "arg") != LUA_TTABLE)
    luaL_error(L, "'arg' is not a table");
  n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (i = 1; i <= n; i++)
    lua_rawgeti(L, -i, i);
  lua_remove(L, -i);
  return n;
}


static int handle_script (lua_State *L, char **argv, int script) {
  int status;
  const char *fname = argv[script];
  /* "-" is stdin, unless "--" made it a file name */
  if (strcmp(fname, "-") == 0 && (script == 1 || strcmp(argv[script - 1], "--") != 0))
    fname = NULL;
  status = luaL_loadfile(L, fname);
  if (status == LUA_OK)
    status = docall(L, push_script_args(L), LUA_MULTRET);
  return report(L, status);
}

/* }================================================================== */



/*
** {==================================================================
** Read-eval-print loop
** All stack positions are relative to 'base', the top when the loop
** started: slots below it belong to the caller.
** ===================================================================
*/

/*
** Line editing, as Debian's lua5.4 has it, with readline loaded only when
** a prompt is shown (as lua.c does since 5.4.6): a script never pays for
** loading it.  Without the library, lines are read plainly.
*/
#if !defined(NSLUA_READLINE_LIB)
#define NSLUA_READLINE_LIB "libreadline.so.8"
#endif

typedef char *(*readline_fn) (const char *prompt);
typedef void (*add_history_fn) (const char *line);

static readline_fn l_readline;
static add_history_fn l_add_history;

/*
** Readline's reads.  nslua's own handler stays in place at the prompt
** (readline is told not to catch signals), and a read that a signal cut
** short ends the input, as the plain read does: readline's own would
** read on after SIGINT.
*/
static int getc_until_signal (FILE *stream) {
  unsigned char c;
  for (;;) {
    ssize_t n;
    if (pending_signal)
      return EOF;
    n = read(fileno(stream), &c, 1);
    if (n == 1)
      return c;
    if (n == 0 || errno != EINTR)
      return EOF;
  }
}

static void init_readline (void) {
  void *lib = dlopen(NSLUA_READLINE_LIB, RTLD_NOW | RTLD_LOCAL);
  int (**getc_function) (FILE *);
  int *rl_catch_signals;
  const char **name;
  if (lib == NULL)
    return;
  name = (const char **)dlsym(lib, "rl_readline_name");
  if (name != NULL)
    *name = "nslua";  /* for conditionals in ~/.inputrc */
  l_readline = (readline_fn)dlsym(lib, "readline");
  l_add_history = (add_history_fn)dlsym(lib, "add_history");
  getc_function = (int (**) (FILE *))dlsym(lib, "rl_getc_function");
  rl_catch_signals = (int *)dlsym(lib, "rl_catch_signals");
  if (l_readline == NULL || l_add_history == NULL || getc_function == NULL ||
      rl_catch_signals == NULL)
    l_readline = NULL;  /* not the library it claims to be: read plainly */
  else {
    *getc_function = getc_until_signal;
    *rl_catch_signals = 0;
  }
}

static char *read_line (const char *prompt, char *buffer) {
  char *line;
  pending_signal = 0;
  catch_signals(on_prompt_signal);
  if (l_readline != NULL)
    line = l_readline(prompt);
  else {
    fputs(prompt, stdout);
    fflush(stdout);
    line = fgets(buffer, MAXINPUT, stdin);  /* NULL when a signal comes */
  }
  catch_signals(SIG_DFL);
  if (pending_signal) {  /* the input ends here */
    caught_signal = pending_signal;
    if (line != NULL && l_readline != NULL)
      free(line);
    return NULL;
  }
  return line;
}

static void save_line (const char *line) {
  if (l_readline != NULL)
    l_add_history(line);
}

static void free_line (char *line) {
  if (l_readline != NULL)
    free(line);
}


/*
** The prompt is 'tostring(_PROMPT)' (or _PROMPT2 for continuation
** lines) when set.  It stays on the stack, anchored, while in use.
*/
static const char *get_prompt (lua_State *L, int firstline) {
  if (lua_getglobal(L, firstline ? "_PROMPT" : "_PROMPT2") == LUA_TNIL)
    return firstline ? PROMPT : PROMPT2;
  else {
    const char *p = luaL_tolstring(L, -1, NULL);
    lua_remove(L, -2);
    return p;
  }
}


/* A syntax error at <eof> means the chunk may go on in the next line. */
static int incomplete (lua_State *L, int status) {
  size_t len, marklen = sizeof(EOFMARK) - 1;
  const char *msg;
  if (status != LUA_ERRSYNTAX)
    return 0;
  msg = lua_tolstring(L, -1, &len);
  return len >= marklen && strcmp(msg + len - marklen, EOFMARK) == 0;
}


/* Reads a line and pushes it; returns 0 at the end of input. */
static int push_line (lua_State *L, int firstline) {
  char buffer[MAXINPUT];
  const char *prompt = get_prompt(L, firstline);
  char *line = read_line(prompt, buffer);
  size_t len;
  lua_pop(L, 1);  /* the prompt */
  if (line == NULL)
    return 0;
  len = strlen(line);
  if (len > 0 && line[len - 1] == '\n')
    line[--len] = '\0';
  if (firstline && line[0] == '=')  /* "=expr" still works, as in 5.2 */
    lua_pushfstring(L, "return %s", line + 1);
  else
    lua_pushlstring(L, line, len);
  free_line(line);
  return 1;
}


/*
** Tries the line on top of the stack as 'return <line>;', so that
** typing an expression prints its value.  On success the chunk goes on
** top of the line.
*/
static int load_as_expression (lua_State *L) {
  const char *line = lua_tostring(L, -1);
  const char *code = lua_pushfstring(L, "return %s;", line);
  int status = luaL_loadbuffer(L, code, strlen(code), "=stdin");
  if (status == LUA_OK) {
    lua_remove(L, -2);
    if (line[0] != '\0')
      save_line(line);
  }
  else
    lua_pop(L, 2);
  return status;
}


/*
** Compiles the statement at 'base + 1', reading more lines while it is
** incomplete.  When the input ends first, the syntax error stands.
*/
static int load_statement (lua_State *L, int base) {
  for (;;) {
    size_t len;
    const char *code = lua_tolstring(L, base + 1, &len);
    int status = luaL_loadbuffer(L, code, len, "=stdin");
    if (!incomplete(L, status) || !push_line(L, 0)) {
      save_line(code);
      return status;
    }
    lua_remove(L, -2);  /* the error message */
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);  /* code .. "\n" .. line */
  }
}


/*
** Leaves at 'base + 1' the compiled chunk or the error message; returns
** the status, or -1 at the end of input.
*/
static int load_input (lua_State *L, int base) {
  int status;
  lua_settop(L, base);
  if (!push_line(L, 1))
    return -1;
  status = load_as_expression(L);
  if (status != LUA_OK)
    status = load_statement(L, base);
  lua_remove(L, base + 1);  /* the source text */
  return status;
}


/* Prints the values above 'base' with the global 'print'. */
static void print_results (lua_State *L, int base) {
  int n = lua_gettop(L) - base;
  if (n <= 0)
    return;
  luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
  lua_getglobal(L, "print");
  lua_insert(L, base + 1);
  if (lua_pcall(L, n, 0, 0) != LUA_OK)
    print_message(progname, lua_pushfstring(L, "error calling 'print' (%s)",
                                            lua_tostring(L, -1)));
}


static void do_repl (lua_State *L) {
  int status;
  int base = lua_gettop(L);
  const char *saved_progname = progname;
  progname = NULL;  /* errors typed in need no program name */
  init_readline();
  while ((status = load_input(L, base)) != -1) {
    if (caught_signal)  /* at a continuation prompt: the input ends too */
      break;
    if (status == LUA_OK)
      status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK)
      print_results(L, base);
    else
      report(L, status);
    if (caught_signal == SIGTERM || caught_signal == SIGHUP || ending_signal)
      break;  /* asked to stop, not just to stop this line (a pcall caught it) */
    caught_signal = 0;  /* Ctrl-C stopped a line; the session goes on */
  }
  lua_settop(L, base);
  lua_writeline();
  progname = saved_progname;
}

/* }================================================================== */



/*
** {==================================================================
** The netns library
** ===================================================================
*/

/* package.preload entry of an embedded module: upvalue 1 is the module */
static int load_embedded (lua_State *L) {
  const struct nslua_module *m = lua_touserdata(L, lua_upvalueindex(1));
  const char *chunkname = lua_pushfstring(L, "@%s", m->chunkname);
  if (luaL_loadbufferx(L, m->code, m->size, chunkname, "b") != LUA_OK)
    return lua_error(L);
  lua_pushstring(L, m->name);
  lua_call(L, 1, 1);
  return 1;
}


static void set_preloads (lua_State *L) {
  const struct nslua_module *m;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_netns_core);
  lua_setfield(L, -2, "netns.core");
  for (m = nslua_modules; m->name != NULL; m++) {
    lua_pushlightuserdata(L, (void *)m);
    lua_pushcclosure(L, load_embedded, 1);
    lua_setfield(L, -2, m->name);
  }
  lua_pop(L, 1);
}


/*
** package.loaded["netns.host"] tells the library what the command line
** asked of it.  'cleanup' is false without --cleanup, else its prefix
** (nil when none was given).
*/
static void set_host_table (lua_State *L, const struct cmdline *cl) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  lua_createtable(L, 0, 4);
  lua_pushboolean(L, cl->flags & OPT_KEEP);
  lua_setfield(L, -2, "keep");
  lua_pushboolean(L, cl->flags & OPT_QUIET);
  lua_setfield(L, -2, "quiet");
  if (cl->graph != NULL) {
    lua_pushstring(L, cl->graph);
    lua_setfield(L, -2, "graph");
  }
  if (!(cl->flags & OPT_CLEANUP)) {
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "cleanup");
  }
  else if (cl->prefix != NULL) {
    lua_pushstring(L, cl->prefix);
    lua_setfield(L, -2, "cleanup");
  }
  lua_setfield(L, -2, "netns.host");
  lua_pop(L, 1);
}


/* Sets the global 'netns = require "netns"'; returns 0 on failure. */
static int load_netns (lua_State *L, const struct cmdline *cl) {
  set_host_table(L, cl);
  set_preloads(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "netns");
  if (report(L, docall(L, 1, 1)) != LUA_OK)
    return 0;
  lua_setglobal(L, "netns");
  return 1;
}


/*
** nslua --cleanup [prefix]: netns.cleanup(prefix), listing each name it
** removed, and nothing else.
*/
static int run_cleanup (lua_State *L, const char *prefix) {
  lua_Integer i;
  lua_getglobal(L, "netns");
  lua_getfield(L, -1, "cleanup");
  if (prefix != NULL)
    lua_pushstring(L, prefix);
  else
    lua_pushnil(L);
  if (report(L, lua_pcall(L, 1, 1, 0)) != LUA_OK)
    return 0;
  for (i = 1; lua_istable(L, -1) && lua_rawgeti(L, -1, i) == LUA_TSTRING; i++) {
    printf("removed %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  fflush(stdout);
  return 1;
}


/*
** nslua --monitor [--json] [name ...]: the arguments after the options
** name the namespaces to watch.
*/
static int run_monitor (lua_State *L, char **argv, int argc, int first,
                        int json) {
  int i, status;
  lua_getglobal(L, "require");
  lua_pushliteral(L, "netns.events");
  if (report(L, docall(L, 1, 1)) != LUA_OK)
    return 0;
  lua_getfield(L, -1, "run");
  lua_createtable(L, argc - first, 0);
  for (i = first; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - first + 1);
  }
  lua_pushboolean(L, json);
  status = docall(L, 2, 2);
  if (status != LUA_OK && caught_signal) {  /* the usual way to stop it */
    lua_pop(L, 1);
    return 1;
  }
  if (status == LUA_OK && lua_isstring(L, -1)) {  /* a name it cannot open */
    print_message(progname, lua_tostring(L, -1));
    return 0;
  }
  return report(L, status) == LUA_OK;
}


/*
** nslua --cni plugin.lua: one CNI invocation of the plugin the script
** returns (netns.cni.run); its exit status is the protocol's, 0 or 1.
*/
static int run_cni (lua_State *L, char **argv, int argc, int script) {
  if (script >= argc) {
    print_message(progname, "--cni needs a plugin script");
    return 0;
  }
  lua_getglobal(L, "require");
  lua_pushliteral(L, "netns.cni");
  if (report(L, docall(L, 1, 1)) != LUA_OK)
    return 0;
  lua_getfield(L, -1, "run");
  lua_pushstring(L, argv[script]);
  if (report(L, docall(L, 1, 1)) != LUA_OK)
    return 0;
  return lua_tointeger(L, -1) == 0;
}


/*
** Calls 'netns.atexit(ok)' when the library has one, at most once per
** run: 'done' points into the exit guard below.
*/
static int call_atexit (lua_State *L, int *done, int ok) {
  int status = LUA_OK;
  int top = lua_gettop(L);
  if (*done)
    return status;
  *done = 1;
  in_teardown = 1;
  if (caught_signal || ending_signal)  /* what the stopped script dropped dies with it */
    nns_proc_host_stopped();
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "netns") == LUA_TTABLE &&
      lua_getfield(L, -1, "atexit") == LUA_TFUNCTION) {
    lua_pushboolean(L, ok);
    status = report(L, docall(L, 1, 0));
  }
  lua_settop(L, top);
  return status;
}


/*
** The exit guard is a to-be-closed userdata in the frame of 'pmain'.
** Normally 'pmain' calls 'netns.atexit' itself; the guard is for when
** the state gets closed under it: 'os.exit(code, true)' closes the state
** from inside the script, and then only to-be-closed variables and
** finalizers run.  (A plain 'os.exit' skips all that, as in lua5.4.)
*/
static int guard_close (lua_State *L) {
  int *done = lua_touserdata(L, 1);
  call_atexit(L, done, lua_isnil(L, 2));  /* arg 2: error, if any */
  return 0;
}


static int *push_exit_guard (lua_State *L) {
  int *done = lua_newuserdatauv(L, sizeof(int), 0);
  *done = 0;
  lua_createtable(L, 0, 1);
  lua_pushcfunction(L, guard_close);
  lua_setfield(L, -2, "__close");
  lua_setmetatable(L, -2);
  lua_toclose(L, -1);
  return done;
}

/* }================================================================== */



/*
** Runs what the command line asks for after the library is loaded:
** LUA_INIT, the options, the script, the REPL.  Returns 1 when all
** went well.
*/
static int run_user_code (lua_State *L, char **argv, int argc,
                          const struct cmdline *cl) {
  int script = cl->script;
  if (!(cl->flags & OPT_NOENV) && handle_luainit(L) != LUA_OK)
    return 0;
  if (!run_options(L, argv, script))
    return 0;
  if (script < argc && handle_script(L, argv, script) != LUA_OK)
    return 0;
  if (cl->flags & OPT_I)
    do_repl(L);
  else if (script == argc && !(cl->flags & (OPT_E | OPT_V))) {
    /* nothing to run: read the program from stdin */
    if (isatty(0)) {
      lua_writestring(LUA_COPYRIGHT, strlen(LUA_COPYRIGHT));
      lua_writeline();
      do_repl(L);
    }
    else
      dofile(L, NULL);
  }
  return 1;
}


/*
** The whole run, in protected mode: arguments are 'argc' and 'argv';
** returns a boolean, true when all went well.
*/
static int pmain (lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  struct cmdline cl;
  const char *misfit;
  int ok, *done;
  scan_cmdline(argv, argc, &cl);
  luaL_checkversion(L);
  if (argv[0] != NULL && argv[0][0] != '\0')
    progname = argv[0];
  if (cl.flags == OPT_ERROR) {
    print_usage(argv[cl.script], lacks_argument(argv[cl.script]));
    return 0;
  }
  if (cl.flags & OPT_HELP) {
    print_help();
    lua_pushboolean(L, 1);
    return 1;
  }
  misfit = misfit_options(&cl, argc);
  if (misfit != NULL) {
    print_message(progname, misfit);
    return 0;
  }
  if (cl.graph != NULL && !graph_writable(L, cl.graph))
    return 0;
  if (cl.flags & OPT_V) {
    lua_writestring(LUA_COPYRIGHT, strlen(LUA_COPYRIGHT));
    lua_writeline();
  }
  if (cl.flags & OPT_NOENV) {  /* tells the libraries to ignore the env. */
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  create_arg_table(L, argv, argc, cl.script);
  lua_gc(L, LUA_GCGEN, 0, 0);
  if (!load_netns(L, &cl))
    return 0;
  if (cl.flags & OPT_CLEANUP) {
    lua_pushboolean(L, run_cleanup(L, cl.prefix));
    return 1;
  }
  if (cl.flags & OPT_MONITOR) {
    lua_pushboolean(L, run_monitor(L, argv, argc, cl.script,
                                   cl.flags & OPT_JSON));
    return 1;
  }
  if (cl.flags & OPT_CNI) {
    lua_pushboolean(L, run_cni(L, argv, argc, cl.script));
    return 1;
  }
  done = push_exit_guard(L);
  ok = run_user_code(L, argv, argc, &cl);
  if (call_atexit(L, done, ok) != LUA_OK)
    ok = 0;
  lua_pushboolean(L, ok);
  return 1;
}


int main (int argc, char **argv) {
  int status, result;
  lua_State *L = luaL_newstate();
  note_ignored_signals();
  if (L == NULL) {
    print_message(argv[0], "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  lua_pushcfunction(L, pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  status = lua_pcall(L, 2, 1, 0);
  result = lua_toboolean(L, -1);
  report(L, status);
  if (caught_signal || ending_signal)  /* lua5.4 would be dead: nothing waits */
    nns_proc_host_ending();
  lua_close(L);  /* also runs pending to-be-closed variables, finalizers */
  if (caught_signal)  /* as a shell reports a program a signal stopped */
    return 128 + caught_signal;
  if (ending_signal)
    return 128 + ending_signal;
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
