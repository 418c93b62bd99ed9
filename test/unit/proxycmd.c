/* Unit tests for lib/proxycmd.c: token expansion (quoted values, %%,
 * unknown tokens), and the command's life: bytes both ways over the
 * socketpair, its exit status, and stopping it with everything it
 * started. */
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proxycmd.h"
#include "tap.h"
#include "util.h"

static struct peer
mkpeer(char *id, char *host, int port)
{
	struct peer p;

	memset(&p, 0, sizeof(p));
	p.id = id;
	p.host = host;
	p.port = port;
	return p;
}

/* Run cmd to its end; what it wrote on stdout. */
static char *
run_capture(const char *cmd)
{
	pid_t pid;
	char *err = NULL, tmp[512];
	struct buf out = { 0 };
	ssize_t n;
	int fd = proxycmd_start(cmd, &pid, &err);

	if (fd == -1) {
		printf("# %s\n", err);
		free(err);
		return NULL;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, tmp, sizeof(tmp))) > 0)
		buf_append(&out, tmp, (size_t)n);
	close(fd);
	proxycmd_stop(&pid, 1000);
	buf_puts(&out, "");
	return buf_steal(&out);
}

static void
test_expand(void)
{
	struct peer p = mkpeer("gpu-1", "10.0.0.7", 2222);
	char *err = NULL, *c, *out;

	c = proxycmd_expand("ssh -W %h:%p -l %r bastion # %n 100%%", &p, "ann",
	    &err);
	is_str(c, "ssh -W '10.0.0.7':'2222' -l 'ann' bastion # 'gpu-1' 100%",
	    "tokens are substituted shell-quoted; %% is a percent sign");
	free(c);

	c = proxycmd_expand("nc %x", &p, "ann", &err);
	ok(c == NULL && err && strstr(err, "unknown token %x"), "an unknown token");
	free(err);
	err = NULL;
	c = proxycmd_expand("nc %h %", &p, "ann", &err);
	ok(c == NULL && err && strstr(err, "lone %"), "a lone % at the end");
	free(err);
	err = proxycmd_check("nc %h %p %r %n %%");
	ok(err == NULL, "check: every known token");
	free(err);
	err = proxycmd_check("nc %q");
	ok(err != NULL, "check: an unknown token");
	free(err);

	/* A hostile host name stays one word, however the shell reads it. */
	p.host = "h'; touch pwned; echo '$(id) `id` \"x\" \\";
	c = proxycmd_expand("printf '%%s|' %h", &p, "u", &err);
	out = run_capture(c);
	ok(out != NULL && strcmp(out, "h'; touch pwned; echo '$(id) `id` "
	    "\"x\" \\|") == 0, "a hostile host reaches the command as one "
	    "argument, unchanged");
	ok(access("pwned", F_OK) != 0, "and nothing it spells is run");
	free(out);
	free(c);
}

/* Processes of group g that are alive (not zombies awaiting a reaper). */
static int
live_in_group(pid_t g)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL) {
		char path[300], st[512], state;
		int pgrp;
		FILE *f;
		char *rp;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fgets(st, sizeof(st), f) != NULL &&
		    (rp = strrchr(st, ')')) != NULL &&
		    sscanf(rp + 1, " %c %*d %d", &state, &pgrp) == 2 &&
		    pgrp == g && state != 'Z')
			n++;
		fclose(f);
	}
	closedir(d);
	return n;
}

static void
test_life(void)
{
	pid_t pid;
	char *err = NULL, *how, buf[64];
	int fd;
	ssize_t n;

	/* Bytes both ways: the command's stdin and stdout are the pair. */
	fd = proxycmd_start("exec cat", &pid, &err);
	ok(fd >= 0 && pid > 0, "start");
	ok(write(fd, "hello\n", 6) == 6, "write to its stdin");
	n = read(fd, buf, sizeof(buf));
	ok(n == 6 && memcmp(buf, "hello\n", 6) == 0, "read its stdout");
	ok(proxycmd_ended(&pid) == NULL, "still running");
	close(fd);
	proxycmd_stop(&pid, 1000);
	is_int(pid, -1, "stopped and reaped");

	fd = proxycmd_start("echo bye; exit 7", &pid, &err);
	n = read(fd, buf, sizeof(buf));
	ok(n == 4 && memcmp(buf, "bye\n", 4) == 0, "output before it ends");
	how = NULL;
	for (int i = 0; i < 200 && how == NULL; i++) {
		how = proxycmd_ended(&pid);
		if (how == NULL)
			sleep_ms(10);
	}
	is_str(how, "exited with status 7", "its exit status");
	is_int(pid, -1, "reaped");
	free(how);
	close(fd);

	/* A command that ignores EOF and has children of its own: the
	 * whole group goes. */
	fd = proxycmd_start("sleep 100 & sleep 100; wait", &pid, &err);
	{
		pid_t group = pid;

		int before, after = -1;

		sleep_ms(100);
		before = live_in_group(group);
		close(fd);
		proxycmd_stop(&pid, 200);
		for (int i = 0; i < 100 && after != 0; i++) {
			after = live_in_group(group);
			if (after != 0)
				sleep_ms(10);
		}
		ok(before == 3, "the command runs with its two children");
		if (before != 3)
			printf("#   %d live\n", before);
		is_int(after, 0, "stop ends every process of its group");
	}
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_expand();
	test_life();
	return tap_done();
}
