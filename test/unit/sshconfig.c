/* Unit tests for lib/sshconfig: keywords, separators, quoting, comments,
 * Host lines with several names and patterns, first value wins, Host * and
 * Match blocks, Include (a glob, a relative path, ~, nesting, the depth
 * limit), ProxyJump and the host of a ProxyCommand "ssh ... HOST -W". */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sshconfig.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/cc-sshconfig.XXXXXX";

static char *
put(const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write_all(fd, text, strlen(text)) != 0) {
		perror(path);
		exit(2);
	}
	close(fd);
	return path;
}

static const struct ssh_host *
find(const struct ssh_host *h, size_t n, const char *name)
{
	return sshconfig_find(h, n, name);
}

#define FIELD(h, f) ((h) ? (h)->f : "(no host)")

static void
test_basics(void)
{
	char *path = put("config",
	    "# a comment\n"
	    "   # an indented comment\n"
	    "\n"
	    "Host gpu1 gpu1-alias *.internal !bad ?x\n"
	    "    HostName 10.0.0.1\n"
	    "    user alice            # trailing comment\n"
	    "    PORT=2222\n"
	    "    IdentityFile \"~/.ssh/my key\"\n"
	    "    HostName 10.9.9.9\n"
	    "\n"
	    "Host=eq\n"
	    "  HostName = eq.example.com\n"
	    "  User\t=\t\"bob smith\"\n"
	    "  Port notanumber\n"
	    "\n"
	    "Host *\n"
	    "  User everyone\n"
	    "  Port 2200\n"
	    "  ProxyJump defaultjump\n"
	    "\n"
	    "Host gpu1\n"
	    "  User carol\n"
	    "  ProxyJump bastion\n"
	    "\n"
	    "Match host gpu1\n"
	    "  User matched\n"
	    "  ProxyCommand ssh -q other -W %h:%p\n"
	    "\n"
	    "Host viacmd\n"
	    "  ProxyCommand ssh -q -A jumpbox -W %h:%p\n"
	    "Host viacmd2\n"
	    "  ProxyCommand /usr/bin/ssh jump2 -W %h:%p\n"
	    "Host nocmd\n"
	    "  ProxyCommand nc -X connect -x proxy:3128 %h %p\n"
	    "Host wfirst\n"
	    "  ProxyCommand ssh -W %h:%p jump3\n"
	    "Host both\n"
	    "  ProxyJump pj\n"
	    "  ProxyCommand ssh -q pc -W %h:%p\n"
	    "Host pjnone\n"
	    "  ProxyJump none\n"
	    "Host pct\n"
	    "  HostName %h.example.com\n"
	    "Host crlf\r\n"
	    "  User crlfuser\r\n"
	    "Host 'quoted name'\n"
	    "  User q\n");
	struct ssh_host *h = NULL;
	size_t n = 0;
	char *err = NULL;

	ok(sshconfig_load(path, &h, &n, &err) == 0, "load");
	if (err)
		printf("# %s\n", err);
	free(err);

	is_int(n, 12, "12 entries: aliases only, no patterns");
	if (n >= 3) {
		is_str(h[0].name, "gpu1", "first entry: gpu1");
		is_str(h[1].name, "gpu1-alias", "second: gpu1-alias (each alias of a Host line)");
		is_str(h[2].name, "eq", "third: eq");
	}
	ok(find(h, n, "*.internal") == NULL && find(h, n, "!bad") == NULL &&
	    find(h, n, "?x") == NULL && find(h, n, "*") == NULL, "patterns are not entries");

	const struct ssh_host *g = find(h, n, "gpu1");
	is_str(FIELD(g, hostname), "10.0.0.1", "HostName: the first value wins");
	is_str(FIELD(g, user), "alice", "lower-case keyword; a trailing comment dropped; first User wins over a later block");
	is_int(g ? g->port : 0, 2222, "PORT=2222 (Key=value, upper case)");
	is_str(FIELD(g, identity_file), "~/.ssh/my key", "a quoted argument");
	is_str(FIELD(g, proxy_jump), "bastion", "a value from the alias' second block");
	ok(g && g->proxy_command == NULL, "Match block values are given to nobody");
	is_str(g ? ssh_host_proxy(g) : NULL, "bastion", "proxy: ProxyJump");

	const struct ssh_host *a = find(h, n, "gpu1-alias");
	is_str(FIELD(a, hostname), "10.0.0.1", "the alias shares the block's values");
	ok(a && a->proxy_jump == NULL, "the alias is not in gpu1's second block");
	ok(a && a->user && !strcmp(a->user, "alice") && a->port == 2222,
	    "Host * gives nothing to an entry that has its own value");

	const struct ssh_host *e = find(h, n, "eq");
	is_str(FIELD(e, hostname), "eq.example.com", "Key = value");
	is_str(FIELD(e, user), "bob smith", "Key\\t=\\t\"quoted value\"");
	is_int(e ? e->port : 0, 22, "an invalid Port is ignored: 22");
	ok(e && e->proxy_jump == NULL, "Host * defaults are not applied (documented)");

	const struct ssh_host *v = find(h, n, "viacmd");
	is_str(v ? ssh_host_proxy(v) : NULL, "jumpbox", "ProxyCommand ssh -q -A jumpbox -W: jumpbox");
	v = find(h, n, "viacmd2");
	is_str(v ? ssh_host_proxy(v) : NULL, "jump2", "ProxyCommand /usr/bin/ssh jump2 -W: jump2");
	v = find(h, n, "nocmd");
	ok(v && v->proxy_command && ssh_host_proxy(v) == NULL, "ProxyCommand nc ...: no proxy");
	is_str(FIELD(v, proxy_command), "nc -X connect -x proxy:3128 %h %p",
	    "ProxyCommand kept as the rest of the line");
	v = find(h, n, "wfirst");
	ok(v && ssh_host_proxy(v) == NULL, "ProxyCommand ssh -W %h:%p jump3 (-W first): no proxy, as upstream");
	v = find(h, n, "both");
	is_str(v ? ssh_host_proxy(v) : NULL, "pj", "ProxyJump before ProxyCommand");
	v = find(h, n, "pjnone");
	ok(v && ssh_host_proxy(v) == NULL, "ProxyJump none: no proxy");
	v = find(h, n, "pct");
	is_str(FIELD(v, hostname), "pct.example.com", "%h in HostName is the alias");
	v = find(h, n, "crlf");
	is_str(FIELD(v, user), "crlfuser", "CRLF lines");
	v = find(h, n, "quoted name");
	is_str(FIELD(v, user), "q", "a quoted Host name");

	sshconfig_free(h, n);
	free(path);
}

static void
test_include(void)
{
	char *sub = xasprintf("%s/conf.d", dir), *home = xasprintf("%s/home", dir);
	struct ssh_host *h = NULL;
	size_t n = 0;
	char *err = NULL;

	mkdir(sub, 0700);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	free(put("conf.d/10-a.conf", "Host inc-a\n  HostName a.example\n"));
	free(put("conf.d/20-b.conf", "Host inc-b\n  User bee\n  Include nested\n"));
	free(put("conf.d/skip.txt", "Host not-included\n"));
	free(put("nested", "Host nested-host\n  Port 2022\n"));
	free(put("home/tilde.conf", "Host tilde-host\n"));
	free(put("orphan.conf", "  User fromparent\n  Port 2323\nHost orphan-own\n"));
	char *path = put("config",
	    "Include conf.d/*.conf\n"
	    "Include ~/tilde.conf missing-*.conf missing-file\n"
	    "Host parent\n"
	    "  Include orphan.conf\n"
	    "  HostName parent.example\n"
	    "Host after\n"
	    "  User afteruser\n");

	ok(sshconfig_load(path, &h, &n, &err) == 0, "load with Includes");
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;
	const char *want[] = { "inc-a", "inc-b", "nested-host", "tilde-host", "parent",
	    "orphan-own", "after" };
	is_int(n, 7, "7 entries");
	for (size_t i = 0; i < 7 && i < n; i++) {
		char *name = xasprintf("entry %zu is %s (file order, globs sorted)", i, want[i]);
		is_str(h[i].name, want[i], name);
		free(name);
	}
	ok(find(h, n, "not-included") == NULL, "a glob takes only what it matches");
	is_str(FIELD(find(h, n, "inc-a"), hostname), "a.example", "glob-included value");
	is_int(find(h, n, "nested-host") ? find(h, n, "nested-host")->port : 0, 2022,
	    "a relative Include inside an included file: relative to the top file's directory");
	const struct ssh_host *p = find(h, n, "parent");
	is_str(FIELD(p, user), "fromparent", "an included file's lines before its first Host belong to the including block");
	is_int(p ? p->port : 0, 2323, "... Port too");
	is_str(FIELD(p, hostname), "parent.example", "the including block continues after the Include");
	ok(find(h, n, "orphan-own") && find(h, n, "orphan-own")->hostname == NULL,
	    "the included file's own Host block does not leak into the parent's later lines");
	is_str(FIELD(find(h, n, "after"), user), "afteruser", "next Host after the Include");
	sshconfig_free(h, n);
	free(path);

	/* Depth limit: a file including itself. */
	path = put("loop", "Host loop-host\nInclude loop\n");
	ok(sshconfig_load(path, &h, &n, &err) == -1 && err && strstr(err, "16"),
	    "a self-Include stops at the depth limit with an error");
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;
	ok(h == NULL && n == 0, "nothing returned on error");
	free(path);

	/* 16 levels are fine, 17 are not. */
	for (int i = 0; i <= 17; i++) {
		char *name = xasprintf("chain%d", i);
		char *text = i < 17 ? xasprintf("Host c%d\nInclude chain%d\n", i, i + 1) :
		    xasprintf("Host c%d\n", i);
		free(put(name, text));
		free(name);
		free(text);
	}
	path = xasprintf("%s/chain1", dir);
	ok(sshconfig_load(path, &h, &n, &err) == 0 && n == 17,
	    "16 nested Includes load (17 hosts)");
	free(err);
	err = NULL;
	sshconfig_free(h, n);
	free(path);
	path = xasprintf("%s/chain0", dir);
	ok(sshconfig_load(path, &h, &n, &err) == -1, "17 nested Includes: error");
	free(err);
	err = NULL;
	free(path);

	/* A missing top-level file is no error; a directory is. */
	path = xasprintf("%s/absent", dir);
	ok(sshconfig_load(path, &h, &n, &err) == 0 && n == 0 && h == NULL,
	    "a missing file: no hosts, no error");
	free(path);
	ok(sshconfig_load(sub, &h, &n, &err) == -1 && err, "a directory: error");
	free(err);

	free(sub);
	free(home);
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	test_basics();
	test_include();

	char *rm = xasprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	return tap_done();
}
