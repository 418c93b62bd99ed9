/* engine_child: the engine found ($CC_ENGINE, next to us, PATH), a child
 * wired with pipes (lines through both ways, EOF ends it), no fd of ours
 * inherited, its own process group, stop escalating to SIGTERM. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>

#include "engine_child.h"
#include "tap.h"
#include "util.h"

/* Read from fd until EOF or 3 s. */
static void
read_all(int fd, struct buf *out)
{
	long long end = monotonic_ms() + 3000;
	char tmp[512];

	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		long long left = end - monotonic_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return;
		n = read(fd, tmp, sizeof(tmp));
		if (n == -1 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return;
		buf_append(out, tmp, (size_t)n);
	}
}

int
main(void)
{
	struct engine_child ec;
	struct buf b = { 0 };
	char *err = NULL, *p;
	int st, keep;

	setenv("CC_ENGINE", "/x/my-engine", 1);
	p = engine_child_path();
	is_str(p, "/x/my-engine", "CC_ENGINE wins");
	free(p);
	unsetenv("CC_ENGINE");
	p = engine_child_path();
	ok(strcmp(p, "cc-engine") == 0 || str_ends(p, "/cc-engine"),
	    "else cc-engine (next to us or on PATH)");
	free(p);

	/* cat as the engine: what goes in comes out, EOF ends it. */
	ok(engine_child_start("/bin/cat", NULL, &ec, &err) == 0, "cat started");
	ok(ec.pid > 0 && ec.to_engine >= 0 && ec.from_engine >= 0, "pid and fds");
	ok((fcntl(ec.to_engine, F_GETFD) & FD_CLOEXEC) &&
	    (fcntl(ec.from_engine, F_GETFL) & O_NONBLOCK), "our ends: cloexec, nonblocking");
	is_int(getpgid(ec.pid) == ec.pid, 1, "its own process group");
	ok(write_all(ec.to_engine, "{\"type\":\"hello\"}\n", 17) == 0, "event written");
	close(ec.to_engine);
	ec.to_engine = -1;
	read_all(ec.from_engine, &b);
	is_str(b.s, "{\"type\":\"hello\"}\n", "the line came back, then EOF");
	st = engine_child_stop(&ec, 2000);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "cat exited 0 at EOF");
	is_int(ec.pid, -1, "reaped");
	buf_free(&b);

	/* No fd of ours leaks in: only 0, 1, 2 (and ls's own directory fd). */
	keep = open("/dev/null", O_RDONLY);	/* not cloexec on purpose */
	{
		char *args[] = { "-c", "exec ls /proc/self/fd", NULL };

		ok(engine_child_start("/bin/sh", args, &ec, &err) == 0, "sh started");
		read_all(ec.from_engine, &b);
		/* 3 is ls's own reading of the directory. */
		is_str(b.s, "0\n1\n2\n3\n", "the child holds only stdin, stdout, stderr");
		st = engine_child_stop(&ec, 2000);
		ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "sh exited 0");
		buf_free(&b);
	}
	close(keep);

	/* A child that ignores EOF: stop sends SIGTERM after the grace. */
	{
		char *args[] = { "-c", "exec sleep 30", NULL };
		long long t0;

		ok(engine_child_start("/bin/sh", args, &ec, &err) == 0, "sleeper started");
		ok(!engine_child_reap(&ec, &st), "still running");
		t0 = monotonic_ms();
		st = engine_child_stop(&ec, 200);
		ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM, "stopped by SIGTERM");
		ok(monotonic_ms() - t0 < 2000, "within the grace and a little");
	}

	/* A missing program: the child exits 127, reaped by engine_child_reap. */
	ok(engine_child_start("/nonexistent/cc-engine", NULL, &ec, &err) == 0,
	    "a missing engine still forks");
	{
		long long end = monotonic_ms() + 3000;

		while (!engine_child_reap(&ec, &st) && monotonic_ms() < end)
			sleep_ms(10);
	}
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 127, "exit 127, reaped by reap");
	engine_child_close_fds(&ec);
	free(err);
	return tap_done();
}
