/* tty.c — the terminal bridge.  See tty.h. */
#include <errno.h>
#include <fcntl.h>
#include <histedit.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <event2/event.h>
#include <jansson.h>

#include "bridge.h"
#include "paths.h"
#include "tty.h"
#include "ttyrender.h"
#include "util.h"

#define PROMPT		"\342\200\272 "		/* "› " */
#define PROMPT_WIDTH	2
#define BUSY_MS		1500			/* typing repeats every 500 ms */
#define TICK_MS		100

struct tty {
	const struct tty_opts *o;
	struct event_base *base;
	struct bridge *b;
	char *user, *channel;

	/* the person */
	int in_fd, out_fd;
	FILE *fin, *fout;
	bool interactive;	/* input is a terminal: libedit */
	bool ansi;		/* output is a terminal: cursor movement */
	bool color;
	EditLine *el;
	History *hist;
	char *hist_path;
	bool prompt_shown;
	size_t cols, rows;
	struct event *in_ev, *tick_ev;
	struct event *sig_int, *sig_term, *sig_winch;
	struct buf inbuf;	/* pipe mode: a partial line */
	bool input_eof;
	int sigints;

	/* what is on the screen */
	unsigned long next_id;
	char *last_id;		/* the last message, redrawable while open */
	char *last_text;
	bool last_open;
	bool printed;		/* something shown already (blank line between) */

	/* a question waiting for a number */
	char *ask_ref;
	json_t *ask_options;
	bool ask_multi;

	/* activity, for "busy" and "done" */
	long long last_call_ms, last_typing_ms, last_input_ms;
	bool answered;
	bool waiting;		/* a queued line was sent and is not done */
	char **queue;
	size_t nqueue, qhead;

	/* the engine, when it is ours */
	pid_t engine;
	int to_engine, from_engine;
	bool restarting;
	bool quitting;
	int exit_code;
};

static void tty_quit(struct tty *t, int code);
static int engine_start(struct tty *t);

/* ---- output --------------------------------------------------------------- */

static void
out(struct tty *t, const char *s, size_t n)
{
	if (write_all(t->out_fd, s, n) == -1 && errno == EPIPE)
		tty_quit(t, 0);
}

static void
outs(struct tty *t, const char *s)
{
	out(t, s, strlen(s));
}

static void
screen_size(struct tty *t)
{
	struct winsize ws;

	t->cols = 80;
	t->rows = 24;
	if (t->ansi && ioctl(t->out_fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
		t->cols = ws.ws_col;
		t->rows = ws.ws_row > 0 ? ws.ws_row : 24;
	}
}

/* Take the prompt and the line being typed off the screen. */
static void
prompt_hide(struct tty *t)
{
	const LineInfo *li;
	size_t off, up;
	struct buf b = { 0 };

	if (!t->prompt_shown)
		return;
	t->prompt_shown = false;
	if (!t->ansi) {
		outs(t, "\n");
		return;
	}
	li = el_line(t->el);
	off = PROMPT_WIDTH + tty_width(li->buffer, (size_t)(li->cursor - li->buffer));
	up = off / (t->cols ? t->cols : 80);
	buf_puts(&b, "\r");
	if (up)
		buf_printf(&b, "\033[%zuA", up);
	buf_puts(&b, "\033[J");
	out(t, b.s, b.len);
	buf_free(&b);
}

static void
prompt_show(struct tty *t)
{
	if (!t->interactive || t->prompt_shown || t->quitting)
		return;
	t->prompt_shown = true;
	el_set(t->el, EL_REFRESH);
}

/* A new block of output below everything. */
static void
show_block(struct tty *t, const char *text, const char *id)
{
	prompt_hide(t);
	if (t->printed && t->interactive)
		outs(t, "\n");
	outs(t, text);
	if (text[0] && text[strlen(text) - 1] != '\n')
		outs(t, "\n");
	t->printed = true;
	free(t->last_id);
	free(t->last_text);
	t->last_id = id ? xstrdup(id) : NULL;
	t->last_text = id ? xstrdup(text) : NULL;
	t->last_open = id != NULL;
	prompt_show(t);
}

/* Redraw the last message from its first changed line; false when that
 * cannot be done on this screen. */
static bool
redraw_last(struct tty *t, const char *text)
{
	const char *old = t->last_text;
	size_t n = 0, s, up;
	struct buf b = { 0 };

	if (!t->ansi || !t->last_open || old == NULL)
		return false;
	while (old[n] && old[n] == text[n])
		n++;
	if (old[n] == '\0' && text[n] == '\0')
		return true;
	s = n;
	while (s > 0 && old[s - 1] != '\n')
		s--;
	up = tty_rows(old + s, strlen(old + s), t->cols);
	if (up + 1 >= t->rows)
		return false;
	prompt_hide(t);
	buf_puts(&b, "\r");
	if (up)
		buf_printf(&b, "\033[%zuA", up);
	buf_puts(&b, "\033[J");
	buf_puts(&b, text + s);
	if (text[0] && text[strlen(text) - 1] != '\n')
		buf_putc(&b, '\n');
	out(t, b.s, b.len);
	buf_free(&b);
	free(t->last_text);
	t->last_text = xstrdup(text);
	prompt_show(t);
	return true;
}

static void
show_edit(struct tty *t, const char *id, const char *text)
{
	if (!t->ansi)
		return;		/* told the engine we cannot edit */
	if (t->last_id && strcmp(t->last_id, id) == 0 && redraw_last(t, text))
		return;
	/* an older message, or too tall to reach: show it again below */
	show_block(t, text, id);
}

static void
show_delete(struct tty *t, const char *id)
{
	size_t up;
	struct buf b = { 0 };

	if (!t->ansi || !t->last_open || t->last_id == NULL ||
	    strcmp(t->last_id, id) != 0)
		return;
	up = tty_rows(t->last_text, strlen(t->last_text), t->cols);
	if (up + 1 >= t->rows)
		return;
	prompt_hide(t);
	buf_printf(&b, "\r\033[%zuA\033[J", up);
	out(t, b.s, b.len);
	buf_free(&b);
	free(t->last_text);
	t->last_text = NULL;
	t->last_open = false;
	prompt_show(t);
}

static char *
render(struct tty *t, const char *md)
{
	return tty_render(md, strlen(md), t->color ? TTYR_COLOR : 0);
}

static void
show_ask(struct tty *t, const char *ref, json_t *a)
{
	const char *q = json_string_value(json_object_get(a, "text"));
	json_t *opts = json_object_get(a, "options"), *o;
	struct buf b = { 0 };
	char *r = render(t, q ? q : "");
	size_t i;

	buf_puts(&b, r);
	free(r);
	json_array_foreach(opts, i, o) {
		const char *label = json_string_value(json_object_get(o, "label"));
		char *num = xasprintf("%zu.", i + 1);

		if (label == NULL)
			label = "";
		if (str_starts(label, num))
			buf_printf(&b, "  %s\n", label);
		else
			buf_printf(&b, "  %s %s\n", num, label);
		free(num);
	}
	t->ask_multi = json_is_true(json_object_get(a, "multi"));
	buf_printf(&b, t->color ? "\033[2m(%s)\033[0m\n" : "(%s)\n", t->ask_multi ?
	    "type the numbers, like 1,3" : "type a number");
	free(t->ask_ref);
	t->ask_ref = xstrdup(ref ? ref : "");
	json_decref(t->ask_options);
	t->ask_options = json_incref(opts);
	show_block(t, b.s, NULL);
	buf_free(&b);
}

static void
show_file(struct tty *t, json_t *a)
{
	const char *path = json_string_value(json_object_get(a, "path"));
	const char *cap = json_string_value(json_object_get(a, "caption"));
	char *s;

	if (path == NULL)
		return;
	if (cap && *cap && strcmp(cap, path) != 0)
		s = xasprintf("%s %s (%s)\n", t->color ? "\360\237\223\216" : "file:",
		    path, cap);
	else
		s = xasprintf("%s %s\n", t->color ? "\360\237\223\216" : "file:", path);
	show_block(t, s, NULL);
	free(s);
}

static void
note(struct tty *t, const char *fmt, const char *arg)
{
	char *s = xasprintf(fmt, arg);
	char *line = t->color ? xasprintf("\033[2m%s\033[0m\n", s) : xasprintf("%s\n", s);

	if (t->interactive)
		show_block(t, line, NULL);
	else
		fputs(line, stderr);
	free(line);
	free(s);
}

/* ---- the platform --------------------------------------------------------- */

static size_t
tty_plat_render(void *ctx, const char *md, char ***chunks)
{
	struct tty *t = ctx;
	char *r = render(t, md);

	if (r[0] == '\0') {
		free(r);
		*chunks = NULL;
		return 0;
	}
	*chunks = xmalloc(sizeof(char *));
	(*chunks)[0] = r;
	return 1;
}

static void
tty_plat_call(void *ctx, const struct bridge_call *c)
{
	struct tty *t = ctx;
	struct bridge_result r = { .status = BRIDGE_OK };
	char id[32];

	snprintf(id, sizeof(id), "t%lu", ++t->next_id);
	t->last_call_ms = monotonic_ms();
	t->answered = true;
	switch (c->kind) {
	case BRIDGE_SEND:
		show_block(t, c->text, id);
		r.msg_id = id;
		break;
	case BRIDGE_EDIT:
		show_edit(t, c->msg_id, c->text);
		break;
	case BRIDGE_DELETE:
		show_delete(t, c->msg_id);
		break;
	case BRIDGE_TYPING:
		t->last_typing_ms = t->last_call_ms;
		break;
	case BRIDGE_FILE:
		show_file(t, c->action);
		r.msg_id = id;
		break;
	case BRIDGE_ASK:
		show_ask(t, c->ref, c->action);
		r.msg_id = id;
		break;
	default:
		break;
	}
	bridge_call_done(t->b, c, &r);
}

/* ---- input ---------------------------------------------------------------- */

static void
emit_message(struct tty *t, const char *text)
{
	bridge_emit(t->b, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "type", "message",
	    "channel", t->channel, "user", t->user, "name", t->user, "admin", 1,
	    "text", text));
	t->last_input_ms = monotonic_ms();
	t->answered = false;
}

/* "2" or "1, 3": the options' values joined by commas; NULL otherwise. */
static char *
ask_answer(struct tty *t, const char *line)
{
	struct buf v = { 0 };
	const char *s = line;
	size_t n = json_array_size(t->ask_options), count = 0;

	while (*s) {
		char *end;
		long k;
		const char *val;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s < '0' || *s > '9')
			break;
		errno = 0;
		k = strtol(s, &end, 10);
		if (errno || k < 1 || (size_t)k > n)
			break;
		val = json_string_value(json_object_get(json_array_get(t->ask_options,
		    (size_t)k - 1), "value"));
		if (val == NULL)
			break;
		if (count++)
			buf_putc(&v, ',');
		buf_puts(&v, val);
		s = end;
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == ',' && t->ask_multi)
			s++;
		else if (*s)
			break;
	}
	if (*s || count == 0) {
		buf_free(&v);
		return NULL;
	}
	return buf_steal(&v);
}

/* A line the person wrote. */
static void
on_line(struct tty *t, const char *line)
{
	char *ans;

	t->sigints = 0;
	if (line[strspn(line, " \t")] == '\0')
		return;
	if (t->interactive) {
		HistEvent he;

		history(t->hist, &he, H_ENTER, line);
	}
	t->last_open = false;	/* the line is below it now */
	if (t->ask_ref && (ans = ask_answer(t, line)) != NULL) {
		bridge_emit(t->b, json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "button",
		    "channel", t->channel, "user", t->user, "ref", t->ask_ref,
		    "value", ans));
		free(ans);
		t->last_input_ms = monotonic_ms();
		t->answered = false;
	} else
		emit_message(t, line);
	free(t->ask_ref);
	t->ask_ref = NULL;
}

static void
on_el_input(evutil_socket_t fd, short what, void *arg)
{
	struct tty *t = arg;
	const char *s;
	int n = 0;
	char *line;

	(void)fd;
	(void)what;
	s = el_gets(t->el, &n);
	if (s == NULL || n <= 0) {
		/* Ctrl-D on an empty line, or the terminal went away */
		if (n <= 0 && (s == NULL || *s == '\0')) {
			t->prompt_shown = false;
			outs(t, "\n");
			tty_quit(t, 0);
		}
		return;
	}
	if (n == 1 && s[0] == '\004') {	/* Ctrl-D on an empty line */
		t->prompt_shown = false;
		outs(t, "\r\033[K");
		tty_quit(t, 0);
		return;
	}
	if (s[n - 1] != '\n')
		return;		/* still typing */
	line = xstrndup(s, (size_t)n - 1);
	/* the line stays on the screen as typed; the prompt comes back */
	t->prompt_shown = false;
	t->printed = true;
	el_set(t->el, EL_UNBUFFERED, 0);
	el_set(t->el, EL_UNBUFFERED, 1);
	t->prompt_shown = true;
	on_line(t, line);
	free(line);
}

/* Pipe mode: lines are queued, sent one after another. */
static void
queue_add(struct tty *t, const char *s, size_t n)
{
	while (n > 0 && (s[n - 1] == '\r'))
		n--;
	t->queue = xreallocarray(t->queue, t->nqueue + 1, sizeof(char *));
	t->queue[t->nqueue++] = xstrndup(s, n);
}

static void
on_pipe_input(evutil_socket_t fd, short what, void *arg)
{
	struct tty *t = arg;
	char chunk[65536];
	ssize_t r;
	char *nl;

	(void)what;
	for (;;) {
		r = read(fd, chunk, sizeof(chunk));
		if (r > 0) {
			buf_append(&t->inbuf, chunk, (size_t)r);
			continue;
		}
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1 && errno == EAGAIN)
			break;
		t->input_eof = true;
		if (t->in_ev)
			event_del(t->in_ev);
		break;
	}
	while (t->inbuf.len && (nl = memchr(t->inbuf.s, '\n', t->inbuf.len)) != NULL) {
		queue_add(t, t->inbuf.s, (size_t)(nl - t->inbuf.s));
		buf_consume(&t->inbuf, (size_t)(nl - t->inbuf.s) + 1);
	}
	if (t->input_eof && t->inbuf.len) {
		queue_add(t, t->inbuf.s, t->inbuf.len);
		buf_clear(&t->inbuf);
	}
}

/* Every 100 ms: the next queued line once the last one is done; leave at
 * the end of a pipe's input. */
static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tty *t = arg;
	long long now = monotonic_ms(), idle = (long long)(t->o->idle * 1000);
	long long quiet;
	bool done;

	(void)fd;
	(void)what;
	if (t->quitting || t->restarting)
		return;
	if (idle <= 0)
		idle = 2000;
	quiet = now - (t->last_call_ms > t->last_input_ms ? t->last_call_ms :
	    t->last_input_ms);
	done = quiet >= idle && now - t->last_typing_ms >= BUSY_MS &&
	    (t->answered || quiet >= 10 * idle);
	if (t->waiting && !done)
		return;
	t->waiting = false;
	if (t->qhead < t->nqueue) {
		const char *line = t->queue[t->qhead++];

		if (line[strspn(line, " \t")] == '\0')
			return;
		if (t->interactive) {
			char *s = xasprintf(t->color ? "\033[2m" PROMPT "\033[0m%s\n" :
			    PROMPT "%s\n", line);

			show_block(t, s, NULL);
			free(s);
		}
		t->waiting = true;
		on_line(t, line);
		return;
	}
	if (!t->interactive && t->input_eof)
		tty_quit(t, 0);
}

static bool
busy(const struct tty *t)
{
	return monotonic_ms() - t->last_typing_ms < BUSY_MS;
}

static void
on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct tty *t = arg;

	(void)what;
	if (sig == SIGWINCH) {
		screen_size(t);
		if (t->el)
			el_resize(t->el);
		return;
	}
	if (sig == SIGTERM || ++t->sigints >= 2) {
		if (t->prompt_shown) {
			t->prompt_shown = false;
			outs(t, "\n");
		}
		tty_quit(t, 0);
		return;
	}
	if (busy(t)) {
		note(t, "^C: interrupting the reply (/stop); Ctrl-C again leaves%s", "");
		emit_message(t, "/stop");
	} else
		note(t, "^C: Ctrl-C again or Ctrl-D leaves%s", "");
}

/* ---- the engine ----------------------------------------------------------- */

static char *
engine_path(const struct tty *t)
{
	char self[PATH_MAX];
	ssize_t n;

	if (t->o->engine)
		return xstrdup(t->o->engine);
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		char *slash, *p;

		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			p = xasprintf("%s/cc-engine", self);
			if (access(p, X_OK) == 0)
				return p;
			free(p);
		}
	}
	return xstrdup("cc-engine");
}

static void
on_idle(void *arg)
{
	struct tty *t = arg;
	int st = 0, code = 0;

	if (t->o->bridge_only || t->engine <= 0) {
		tty_quit(t, 0);
		return;
	}
	/* the engine closed its output: it is ending */
	for (int i = 0; i < 50; i++) {
		pid_t w = waitpid(t->engine, &st, WNOHANG);

		if (w == t->engine || (w == -1 && errno != EINTR))
			break;
		sleep_ms(40);
		if (i == 49) {
			kill(t->engine, SIGKILL);
			waitpid(t->engine, &st, 0);
		}
	}
	t->engine = 0;
	if (WIFEXITED(st))
		code = WEXITSTATUS(st);
	if (t->quitting)
		return;
	if (WIFEXITED(st) && code == 75) {
		t->restarting = true;	/* restart_cb, out of the bridge's callback */
		return;
	}
	note(t, "cc-engine ended (%s); see ~/.codecast/tty.log",
	    WIFEXITED(st) ? (code == 0 ? "exit 0" : "a failure") : "killed by a signal");
	tty_quit(t, 1);
}

static void
restart_cb(evutil_socket_t fd, short what, void *arg)
{
	struct tty *t = arg;

	(void)fd;
	(void)what;
	if (!t->restarting || t->quitting)
		return;
	t->restarting = false;
	bridge_free(t->b);
	t->b = NULL;
	close(t->to_engine);
	close(t->from_engine);
	note(t, "cc-engine restarted%s", "");
	if (engine_start(t) != 0)
		tty_quit(t, 1);
}

static struct bridge *
new_bridge(struct tty *t)
{
	static const struct bridge_platform plat = { tty_plat_render, tty_plat_call,
	    NULL, NULL };
	struct bridge_config bc = { 0 };
	struct bridge *b;

	bc.hello = json_pack("{s:s, s:s, s:i, s:b, s:f, s:b, s:b}", "type", "hello",
	    "platform", "tty", "max_len", 4000, "can_edit", t->ansi,
	    "edit_interval", 0.2, "buttons", 1, "files", 1);
	bc.typing_interval = 0.5;
	b = bridge_new(t->base, &bc, &plat, t);
	json_decref(bc.hello);
	bridge_on_idle(b, on_idle, t);
	return b;
}

static int
engine_start(struct tty *t)
{
	int in[2], outp[2];
	char *prog = engine_path(t), *logp;
	int logfd;
	pid_t pid;
	char *argv[4];
	int argc = 0;

	if (pipe2(in, O_CLOEXEC) == -1) {
		fprintf(stderr, "cc-tty: pipe: %s\n", strerror(errno));
		free(prog);
		return -1;
	}
	if (pipe2(outp, O_CLOEXEC) == -1) {
		fprintf(stderr, "cc-tty: pipe: %s\n", strerror(errno));
		close(in[0]);
		close(in[1]);
		free(prog);
		return -1;
	}
	free(state_dir(NULL));
	logp = path_state("tty.log");
	logfd = open(logp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	free(logp);
	argv[argc++] = prog;
	if (t->o->config_path) {
		argv[argc++] = "-c";
		argv[argc++] = (char *)t->o->config_path;
	}
	argv[argc] = NULL;
	pid = fork();
	if (pid == -1) {
		fprintf(stderr, "cc-tty: fork: %s\n", strerror(errno));
		close(in[0]);
		close(in[1]);
		close(outp[0]);
		close(outp[1]);
		if (logfd >= 0)
			close(logfd);
		free(prog);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);	/* Ctrl-C at the terminal is ours, not its */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) == -1 || dup2(outp[1], 1) == -1 ||
		    (logfd >= 0 && dup2(logfd, 2) == -1))
			_exit(127);
		execvp(argv[0], argv);
		fprintf(stderr, "cc-tty: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(in[0]);
	close(outp[1]);
	if (logfd >= 0)
		close(logfd);
	free(prog);
	t->engine = pid;
	t->to_engine = in[1];
	t->from_engine = outp[0];
	t->b = new_bridge(t);
	if (bridge_start_io(t->b, t->from_engine, t->to_engine) == -1) {
		fprintf(stderr, "cc-tty: engine pipes: %s\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- the whole ------------------------------------------------------------ */

static void
tty_quit(struct tty *t, int code)
{
	if (t->quitting)
		return;
	t->quitting = true;
	t->exit_code = code;
	event_base_loopbreak(t->base);
}

static char *
prompt_fn(EditLine *el)
{
	(void)el;
	return (char *)PROMPT;
}

static int
setup_terminal(struct tty *t)
{
	HistEvent he;

	t->interactive = isatty(t->in_fd) == 1;
	t->ansi = isatty(t->out_fd) == 1 && getenv("TERM") &&
	    strcmp(getenv("TERM"), "dumb") != 0;
	t->color = t->ansi && (getenv("NO_COLOR") == NULL || getenv("NO_COLOR")[0] == '\0');
	screen_size(t);
	if (!t->interactive)
		return 0;
	t->fin = fdopen(dup(t->in_fd), "r");
	t->fout = fdopen(dup(t->out_fd), "w");
	if (t->fin == NULL || t->fout == NULL)
		return -1;
	t->el = el_init("cc-tty", t->fin, t->fout, stderr);
	if (t->el == NULL)
		return -1;
	t->hist = history_init();
	history(t->hist, &he, H_SETSIZE, 1000);
	history(t->hist, &he, H_SETUNIQUE, 1);
	free(state_dir(NULL));
	t->hist_path = path_state("tty_history");
	history(t->hist, &he, H_LOAD, t->hist_path);
	el_set(t->el, EL_EDITOR, "emacs");
	el_set(t->el, EL_HIST, history, t->hist);
	el_set(t->el, EL_PROMPT, prompt_fn);
	el_source(t->el, NULL);
	fprintf(stderr, "%scc-tty: chatting as %s; /help lists the commands, "
	    "Ctrl-D leaves%s\n", t->color ? "\033[2m" : "", t->channel,
	    t->color ? "\033[0m" : "");
	el_set(t->el, EL_UNBUFFERED, 1);
	t->prompt_shown = true;
	return 0;
}

static void
teardown_terminal(struct tty *t)
{
	HistEvent he;

	if (t->el) {
		el_end(t->el);
		t->el = NULL;
	}
	if (t->hist) {
		if (t->hist_path) {
			int fd = open(t->hist_path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);

			if (fd >= 0) {
				fchmod(fd, 0600);
				close(fd);
			}
			history(t->hist, &he, H_SAVE, t->hist_path);
		}
		history_end(t->hist);
	}
	free(t->hist_path);
	if (t->fin)
		fclose(t->fin);
	if (t->fout)
		fclose(t->fout);
}

static char *
user_name(void)
{
	struct passwd *pw = getpwuid(getuid());
	const char *u = pw && pw->pw_name ? pw->pw_name : getenv("USER");

	return xstrdup(u && *u ? u : "me");
}

int
tty_run(const struct tty_opts *o)
{
	struct tty t = { .o = o, .in_fd = 0, .out_fd = 1, .to_engine = -1,
	    .from_engine = -1 };
	struct timeval tick = { 0, TICK_MS * 1000 };
	struct event *restart_ev;
	int ttyfd = -1;

	signal(SIGPIPE, SIG_IGN);
	if (o->bridge_only) {
		ttyfd = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (ttyfd < 0) {
			fprintf(stderr, "cc-tty: --bridge-only: /dev/tty: %s\n", strerror(errno));
			return 2;
		}
		t.in_fd = t.out_fd = ttyfd;
	}
	t.user = user_name();
	t.channel = xasprintf("tty:%s", t.user);
	t.base = event_base_new();
	if (t.base == NULL || setup_terminal(&t) != 0) {
		fprintf(stderr, "cc-tty: cannot set up the terminal\n");
		return 1;
	}
	for (size_t i = 0; i < o->nsend; i++)
		queue_add(&t, o->send[i], strlen(o->send[i]));
	if (o->bridge_only) {
		t.b = new_bridge(&t);
		if (bridge_start_io(t.b, 0, 1) == -1) {
			fprintf(stderr, "cc-tty: stdin/stdout: %s\n", strerror(errno));
			return 1;
		}
	} else if (engine_start(&t) != 0)
		return 1;

	if (t.interactive) {
		t.in_ev = event_new(t.base, t.in_fd, EV_READ | EV_PERSIST, on_el_input, &t);
		event_add(t.in_ev, NULL);
	} else {
		struct stat st;

		fcntl(t.in_fd, F_SETFL, fcntl(t.in_fd, F_GETFL) | O_NONBLOCK);
		if (fstat(t.in_fd, &st) == 0 && (S_ISFIFO(st.st_mode) ||
		    S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode))) {
			t.in_ev = event_new(t.base, t.in_fd, EV_READ | EV_PERSIST,
			    on_pipe_input, &t);
			if (event_add(t.in_ev, NULL) == -1)
				on_pipe_input(t.in_fd, EV_READ, &t);
		} else
			on_pipe_input(t.in_fd, EV_READ, &t);	/* a file, /dev/null */
	}
	t.sig_int = evsignal_new(t.base, SIGINT, on_signal, &t);
	t.sig_term = evsignal_new(t.base, SIGTERM, on_signal, &t);
	t.sig_winch = evsignal_new(t.base, SIGWINCH, on_signal, &t);
	evsignal_add(t.sig_int, NULL);
	evsignal_add(t.sig_term, NULL);
	evsignal_add(t.sig_winch, NULL);
	t.tick_ev = event_new(t.base, -1, EV_PERSIST, on_tick, &t);
	evtimer_add(t.tick_ev, &tick);
	restart_ev = event_new(t.base, -1, EV_PERSIST, restart_cb, &t);
	evtimer_add(restart_ev, &tick);
	t.last_input_ms = t.last_call_ms = monotonic_ms();
	t.last_typing_ms = -BUSY_MS;
	t.answered = true;

	event_base_dispatch(t.base);

	if (t.prompt_shown && t.ansi)
		outs(&t, "\r\033[K");
	teardown_terminal(&t);
	if (t.engine > 0) {
		int st;

		kill(t.engine, SIGTERM);
		for (int i = 0; i < 100; i++) {
			if (waitpid(t.engine, &st, WNOHANG) != 0)
				break;
			sleep_ms(20);
			if (i == 99) {
				kill(t.engine, SIGKILL);
				waitpid(t.engine, &st, 0);
			}
		}
	}
	bridge_free(t.b);
	if (t.to_engine >= 0)
		close(t.to_engine);
	if (t.from_engine >= 0)
		close(t.from_engine);
	event_free(restart_ev);
	event_free(t.tick_ev);
	if (t.in_ev)
		event_free(t.in_ev);
	event_free(t.sig_int);
	event_free(t.sig_term);
	event_free(t.sig_winch);
	event_base_free(t.base);
	for (size_t i = 0; i < t.nqueue; i++)
		free(t.queue[i]);
	free(t.queue);
	buf_free(&t.inbuf);
	free(t.last_id);
	free(t.last_text);
	free(t.ask_ref);
	json_decref(t.ask_options);
	free(t.user);
	free(t.channel);
	if (ttyfd >= 0)
		close(ttyfd);
	return t.exit_code;
}
