/* Unit tests for lib/machinecmd: the add-machine and remove-machine
 * acceptance cases of upstream-engine.md §17.1–§17.2, every flag, the SSH
 * config lookups and their proxy rules, the --from-ssh listing and both
 * selection branches, the remove confirmation, the refusals, a failed
 * write, and host_is_local.  Everything lives in a mkdtemp directory. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "machinecmd.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/cc-machinecmd.XXXXXX";
static char *cfgpath, *sshpath;

static const char base_config[] =
    "# test config\n"
    "peers:\n"
    "  gpu-1:\n"
    "    ssh_host: 10.0.0.1\n"
    "  gpu-2:\n"
    "    ssh_host: 10.0.0.2\n"
    "default_mode: auto\n";

static void
put(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write_all(fd, text, strlen(text)) != 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static struct config *
fresh(const char *text)
{
	char *err = NULL;
	struct config *c;

	put(cfgpath, text);
	if ((c = config_load(cfgpath, &err)) == NULL) {
		printf("# config_load: %s\n", err);
		free(err);
		exit(2);
	}
	return c;
}

static void
reset(struct strlist *out)
{
	for (size_t i = 0; i < out->n; i++) {
		printf("#   reply %zu:", i);
		for (const char *p = out->v[i]; *p; p++)
			if (*p == '\n')
				fputs("\n#     ", stdout);
			else
				putchar(*p);
		putchar('\n');
	}
	strlist_free(out);
}

static bool
has(const struct strlist *out, size_t i, const char *sub)
{
	return i < out->n && strstr(out->v[i], sub) != NULL;
}

static const char *
reply(const struct strlist *out, size_t i)
{
	return i < out->n ? out->v[i] : "(no reply)";
}

/* args from a command line, split on spaces as the engine does */
static bool
add(struct config **c, const char *line, struct strlist *out)
{
	char *copy = xstrdup(line), *save = NULL, *args[32];
	size_t n = 0;
	bool r;

	for (char *t = strtok_r(copy, " ", &save); t && n < 32; t = strtok_r(NULL, " ", &save))
		args[n++] = t;
	r = machine_add(c, args, n, sshpath, out);
	free(copy);
	return r;
}

static bool
in_file(const char *id)
{
	char *err = NULL;
	struct config *c = config_load(cfgpath, &err);
	bool r = c && config_peer(c, id);

	free(err);
	config_free(c);
	return r;
}

static void
test_acceptance(void)
{
	struct config *c = fresh(base_config);
	struct strlist out = {0};
	struct machine_remove *st = NULL;
	json_t *none = json_array();

	put(sshpath, "Host known\n  HostName known.example\n");

	/* §17.1: /add-peer with no arguments → a reply (usage). */
	ok(!add(&c, "", &out) && out.n == 1 && has(&out, 0, "Usage:") &&
	    has(&out, 0, "--from-ssh") && has(&out, 0, "--daemon-port"),
	    "no arguments: the usage, with --from-ssh and the options");
	reset(&out);

	/* §17.1: /remove-peer no-such-machine → not found. */
	ok(machine_remove(&c, "no-such-machine", none, &st, &out) == MACHINE_NOT_REMOVED &&
	    st == NULL, "remove no-such-machine: not removed");
	is_str(reply(&out, 0), "Machine `no-such-machine` not found.", "... `not found`");
	reset(&out);

	/* §17.1: /add-peer test-gpu gpu.example.com testuser. */
	ok(add(&c, "test-gpu gpu.example.com testuser", &out), "add test-gpu host user: true");
	ok(has(&out, 0, "test-gpu") && has(&out, 0, "added"), "... the reply names test-gpu and `added`");
	is_str(reply(&out, 0), "Machine **test-gpu** added\nHost: `gpu.example.com` | "
	    "User: `testuser` | Port: 22\nDaemon port: 9100", "... upstream's reply");
	ok(config_peer(c, "test-gpu") != NULL, "... the machine is in the config");
	ok(in_file("test-gpu"), "... and in config.yaml");
	ok(config_peer(c, "test-gpu") && config_peer(c, "test-gpu")->transport == TRANSPORT_SSH,
	    "... transport ssh");
	reset(&out);

	/* §17.2: a duplicate → already exists. */
	ok(!add(&c, "test-gpu other.example.com u", &out), "duplicate: false");
	is_str(reply(&out, 0), "Machine `test-gpu` already exists. Remove it first with "
	    "`/remove-machine test-gpu`.", "... `already exists`");
	reset(&out);

	/* §17.2: a name missing from the SSH config. */
	ok(!add(&c, "unknown-box", &out), "name not in the SSH config: false");
	is_str(reply(&out, 0), "Machine `unknown-box` not found in SSH config.\n"
	    "Specify host and user: `/add-machine unknown-box <host> <user>`\n"
	    "Or use `/add-machine --from-ssh` to browse available hosts.",
	    "... `not found in SSH config`, three lines");
	ok(!in_file("unknown-box"), "... not written");
	reset(&out);

	/* §17.2: gpu-2 using proxy_jump gpu-1 → removing gpu-1 names proxy_jump. */
	ok(add(&c, "gpu-3 10.0.0.3 u --proxy-jump gpu-1", &out), "add gpu-3 via gpu-1");
	reset(&out);
	ok(machine_remove(&c, "gpu-1", none, &st, &out) == MACHINE_NOT_REMOVED,
	    "remove a jump host in use: not removed");
	is_str(reply(&out, 0), "Cannot remove **gpu-1**: it is used as `proxy_jump` by: `gpu-3`\n"
	    "Remove those machines first.", "... `proxy_jump` and the users");
	ok(config_peer(c, "gpu-1") && in_file("gpu-1"), "... gpu-1 still there");
	reset(&out);

	/* §17.1/§17.2: a success → removed, gone from the config and the file. */
	ok(machine_remove(&c, "gpu-3", none, &st, &out) == MACHINE_REMOVED && st == NULL,
	    "remove gpu-3 (no sessions): removed at once");
	is_str(reply(&out, 0), "Machine **gpu-3** removed.", "... `removed`");
	ok(config_peer(c, "gpu-3") == NULL && !in_file("gpu-3"), "... gone");
	reset(&out);
	ok(machine_remove(&c, "gpu-1", none, &st, &out) == MACHINE_REMOVED, "remove gpu-1 now");
	ok(config_peer(c, "gpu-1") == NULL && !in_file("gpu-1"), "... gone");
	reset(&out);

	/* No argument. */
	ok(machine_remove(&c, NULL, none, &st, &out) == MACHINE_NOT_REMOVED &&
	    !strcmp(reply(&out, 0), "Usage: `/remove-machine <machine_id>`"), "remove: usage");
	reset(&out);

	json_decref(none);
	config_free(c);
}

static void
test_flags(void)
{
	struct config *c = fresh(base_config);
	struct strlist out = {0};
	const struct peer *p;

	ok(add(&c, "full box.example u --proxy-jump gpu-1 --node-path /opt/node --password "
	    "s3cr#t:x --port 2222 --daemon-port 9200 --paths ~/a,,_/b_c_,/c", &out),
	    "every flag: added");
	is_str(reply(&out, 0), "Machine **full** added via `gpu-1`\nHost: `box.example` | "
	    "User: `u` | Port: 2222\nDaemon port: 9200\nPaths: `~/a`, `_/b_c_`, `/c`\n"
	    "Node: `/opt/node`", "... the reply: via, paths (empties dropped), node");
	p = config_peer(c, "full");
	ok(p && p->port == 2222 && p->daemon_port == 9200 && p->proxy_jump &&
	    !strcmp(p->proxy_jump, "gpu-1") && p->node_path && !strcmp(p->node_path, "/opt/node") &&
	    p->password && !strcmp(p->password, "s3cr#t:x") && p->default_paths.n == 3 &&
	    !strcmp(p->default_paths.v[1], "_/b_c_"), "... every field in the reloaded config");
	reset(&out);

	/* --paths entries are trimmed: one token can only hold what the
	 * engine's whitespace split leaves, so call machine_add directly. */
	char *args[] = { "trim", "h.example", "u", "--paths", " a , b ,, " };
	ok(machine_add(&c, args, 5, sshpath, &out) && config_peer(c, "trim") &&
	    config_peer(c, "trim")->default_paths.n == 2 &&
	    !strcmp(config_peer(c, "trim")->default_paths.v[0], "a") &&
	    !strcmp(config_peer(c, "trim")->default_paths.v[1], "b"), "--paths entries trimmed");
	reset(&out);

	struct {
		const char *line, *want;
	} bad[] = {
		{ "x h u --port abc", "Invalid port: `abc`" },
		{ "x h u --port 0", "Invalid port: `0`" },
		{ "x h u --port 70000", "Invalid port: `70000`" },
		{ "x h u --port -5", "Invalid port: `-5`" },
		{ "x h u --daemon-port 9x", "Invalid daemon port: `9x`" },
		{ "x host", "Unknown option: `host`" },
		{ "x h u --bogus 1", "Unknown option: `--bogus`" },
		{ "x h u --port", "Unknown option: `--port`" },
		{ "x --port 22 h", "Unknown option: `h`" },
		{ "x h u --proxy-jump nope",
		    "Proxy jump host `nope` not found. Available machines: gpu-1, gpu-2, full, trim" },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ok(!add(&c, bad[i].line, &out) && out.n == 1 && !strcmp(reply(&out, 0), bad[i].want),
		    bad[i].want);
		reset(&out);
	}
	ok(!in_file("x") && !config_peer(c, "x"), "none of those added x");
	ok(add(&c, "plus h.example u --port +2022", &out) && config_peer(c, "plus")->port == 2022,
	    "--port +2022 is a number (as Python's int)");
	reset(&out);

	/* A jump host must be an ssh peer. */
	ok(add(&c, "me 127.0.0.1 u", &out), "add a local peer");
	ok(has(&out, 0, "Machine **me** added (localhost)"), "... (localhost)");
	ok(config_peer(c, "me")->transport == TRANSPORT_LOCAL, "... transport local");
	reset(&out);
	ok(!add(&c, "y h u --proxy-jump me", &out) &&
	    !strcmp(reply(&out, 0), "Proxy jump host `me` is a local peer: a jump host must be an ssh peer."),
	    "proxy_jump to a local peer: refused");
	reset(&out);

	/* Refusals: ${, file:, bad names. */
	ok(!add(&c, "e h.example u --password ${TELEGRAM_TOKEN}", &out) &&
	    has(&out, 0, "`${` is not accepted") && !in_file("e"), "${ in a value: refused");
	reset(&out);
	ok(!add(&c, "e ${HOST} u", &out) && has(&out, 0, "`${` is not accepted"), "${ in the host: refused");
	reset(&out);
	ok(!add(&c, "e h u --paths /a,${X}/b", &out) && has(&out, 0, "`${` is not accepted"),
	    "${ in a path: refused");
	reset(&out);
	ok(!add(&c, "e h u --password file:/etc/shadow", &out) && has(&out, 0, "`file:` password"),
	    "file: password: refused");
	reset(&out);
	ok(add(&c, "dollar h.example u --password pa$$word", &out) &&
	    !strcmp(config_peer(c, "dollar")->password, "pa$$word"), "a plain $ is fine");
	reset(&out);
	const char *names[] = { "../evil", ".hidden", "a/b", "-dash" };
	for (size_t i = 0; i < 4; i++) {
		char *line = xasprintf("%s h u", names[i]), *name = xasprintf("name %s refused", names[i]);
		ok(!add(&c, line, &out) && has(&out, 0, "cannot be a machine name"), name);
		reset(&out);
		free(line);
		free(name);
	}

	/* The file cannot be written: upstream's warning, *cfg unchanged. */
	struct config *before = c;
	size_t n = c->npeers;
	char *saved = c->path;
	c->path = xasprintf("%s/no-such-dir/config.yaml", dir);
	ok(!add(&c, "lost h.example u", &out), "unwritable config: false");
	ok(has(&out, 0, "**Warning:** Machine added to runtime but failed to save to config.yaml: ") &&
	    has(&out, 0, "no-such-dir"), "... upstream's warning with the error");
	ok(c == before && c->npeers == n && config_peer(c, "lost") == NULL, "... *cfg unchanged");
	reset(&out);
	free(c->path);
	c->path = saved;
	config_free(c);
}

static void
test_from_ssh_config(void)
{
	struct config *c = fresh(base_config);
	struct strlist out = {0};
	const struct peer *p;

	put(sshpath,
	    "Host web\n"
	    "  HostName web.example.com\n"
	    "  User deploy\n"
	    "  Port 2200\n"
	    "  IdentityFile ~/.ssh/web_%r\n"
	    "Host nouser\n"
	    "  HostName nouser.example\n"
	    "Host bare\n"
	    "Host viajump\n"
	    "  HostName 10.1.0.1\n"
	    "  ProxyJump gpu-1\n"
	    "Host viacmd\n"
	    "  HostName 10.1.0.2\n"
	    "  ProxyCommand ssh -q gpu-2 -W %h:%p\n"
	    "Host unknownjump\n"
	    "  HostName 10.1.0.3\n"
	    "  User x\n"
	    "  ProxyJump bastion\n"
	    "Host loopy\n"
	    "  HostName 127.0.0.1\n");
	setenv("USER", "tester", 1);

	ok(add(&c, "web", &out), "by name: added");
	is_str(reply(&out, 0), "Resolved `web` from SSH config: host=`web.example.com`, user=`deploy`",
	    "... the Resolved line");
	is_str(reply(&out, 1), "Machine **web** added\nHost: `web.example.com` | User: `deploy` | "
	    "Port: 2200\nDaemon port: 9100", "... the entry's port");
	p = config_peer(c, "web");
	char *key = xasprintf("%s/.ssh/web_deploy", getenv("HOME"));
	ok(p && p->ssh_key && !strcmp(p->ssh_key, key), "... IdentityFile (with %r) becomes ssh_key");
	free(key);
	reset(&out);

	ok(add(&c, "nouser --port 2022", &out), "by name with --port");
	ok(has(&out, 1, "User: `tester` | Port: 2022"), "... $USER when the entry has no User; --port kept");
	reset(&out);
	unsetenv("USER");
	ok(add(&c, "bare", &out), "a bare entry");
	ok(has(&out, 0, "host=`bare`, user=`root`"), "... host = the name, user root without $USER");
	reset(&out);
	setenv("USER", "tester", 1);

	ok(add(&c, "viajump", &out), "ProxyJump to a configured machine");
	is_str(reply(&out, 0), "Resolved `viajump` from SSH config: host=`10.1.0.1`, user=`tester`, "
	    "proxy=`gpu-1`", "... proxy in the Resolved line");
	ok(has(&out, 1, "Machine **viajump** added via `gpu-1`"), "... added via gpu-1");
	ok(config_peer(c, "viajump") && config_peer(c, "viajump")->proxy_jump &&
	    !strcmp(config_peer(c, "viajump")->proxy_jump, "gpu-1"), "... proxy_jump written");
	reset(&out);

	ok(add(&c, "viacmd", &out), "ProxyCommand ssh -q gpu-2 -W %h:%p");
	ok(has(&out, 0, "proxy=`gpu-2`") && config_peer(c, "viacmd") &&
	    !strcmp(config_peer(c, "viacmd")->proxy_jump, "gpu-2"), "... the -W host is the proxy");
	reset(&out);

	ok(!add(&c, "unknownjump", &out), "ProxyJump to an unconfigured host: aborted");
	is_str(reply(&out, 0), "Found `unknownjump` in SSH config (host=`10.1.0.3`, user=`x`).\n"
	    "**Note:** SSH config specifies proxy_jump=`bastion` but it's not configured as a "
	    "machine yet. Add `bastion` first, or specify `--proxy-jump` manually.",
	    "... the two-line note");
	ok(out.n == 1 && !in_file("unknownjump"), "... nothing added");
	reset(&out);
	ok(add(&c, "unknownjump --proxy-jump gpu-2", &out), "... --proxy-jump given: added");
	ok(config_peer(c, "unknownjump") && !strcmp(config_peer(c, "unknownjump")->proxy_jump, "gpu-2"),
	    "... via the given proxy");
	reset(&out);

	ok(add(&c, "loopy", &out) && has(&out, 1, "(localhost)") &&
	    config_peer(c, "loopy")->transport == TRANSPORT_LOCAL, "HostName 127.0.0.1: local");
	reset(&out);
	config_free(c);
}

static void
test_import(void)
{
	struct config *c = fresh(base_config);
	struct strlist out = {0};
	struct machine_import *st = NULL;

	setenv("USER", "tester", 1);
	put(sshpath, "Host *\n  User all\n");
	machine_import_list(c, sshpath, &st, &out);
	ok(st == NULL && out.n == 2 && !strcmp(reply(&out, 0), "Parsing SSH config...") &&
	    !strcmp(reply(&out, 1), "No SSH hosts found in `~/.ssh/config`."), "no hosts");
	reset(&out);
	put(sshpath, "Host gpu-1 gpu-2\nHost github.com\n");
	machine_import_list(c, sshpath, &st, &out);
	ok(st == NULL && !strcmp(reply(&out, 1), "All SSH hosts are already configured as machines."),
	    "all configured (github.com not offered)");
	reset(&out);

	put(sshpath,
	    "Host gpu-1\n"
	    "Host alpha\n"
	    "  HostName alpha.example\n"
	    "  User al\n"
	    "  ProxyJump gpu-1\n"
	    "Host beta\n"
	    "  Port 2201\n"
	    "Host gamma\n"
	    "  HostName 127.0.0.1\n"
	    "  ProxyJump nowhere\n"
	    "Host delta-with-a-name-longer-than-25\n"
	    "  HostName d.example\n"
	    "  ProxyCommand ssh -q gpu-2 -W %h:%p\n");
	machine_import_list(c, sshpath, &st, &out);
	ok(st != NULL, "hosts listed: state set");
	is_str(reply(&out, 1),
	    "**SSH Hosts** (4 found):\n"
	    "```\n"
	    "  1. alpha                     alpha.example  user=al  proxy=gpu-1\n"
	    "  2. beta                      (no hostname)  port=2201\n"
	    "  3. gamma                     127.0.0.1  proxy=nowhere\n"
	    "  4. delta-with-a-name-longer-than-25 d.example\n"
	    "```\n"
	    "\n"
	    "Reply with the **numbers** of hosts to add (e.g., `1 3 5`).",
	    "the listing: configured hosts left out, index, name padded to 25, host, user, proxy, port");
	reset(&out);

	/* Not a selection: no number in it → not consumed, nothing said. */
	ok(!machine_import_select(&c, st, "what is this 1,", &out) && out.n == 0,
	    "text without a pure number: not consumed, no reply");
	ok(c->npeers == 2, "... nothing added");

	/* A selection: numbers consumed, the rest ignored. */
	ok(machine_import_select(&c, st, "2 1, 4 3 9 2 007", &out), "numbers: consumed");
	is_str(reply(&out, 0), "Added 3 machine(s): **beta**, **delta-with-a-name-longer-than-25**, "
	    "**gamma** (localhost)\nErrors: Index 9 out of range; `beta` already exists; Index 7 out of range",
	    "... the reply: added with (localhost), errors joined with ;");
	const struct peer *b = config_peer(c, "beta"), *g = config_peer(c, "gamma"),
	    *d = config_peer(c, "delta-with-a-name-longer-than-25");
	ok(b && !strcmp(b->host, "beta") && !strcmp(b->user, "tester") && b->port == 2201 &&
	    b->daemon_port == 9100, "beta: host = name, user $USER, its port, daemon 9100");
	ok(g && g->transport == TRANSPORT_LOCAL && g->proxy_jump == NULL,
	    "gamma: local; its unconfigured proxy dropped silently");
	ok(d && d->proxy_jump && !strcmp(d->proxy_jump, "gpu-2"),
	    "delta: the ProxyCommand's -W host, configured, kept");
	ok(config_peer(c, "alpha") == NULL, "alpha (1, not selected) not added");
	ok(in_file("beta") && in_file("gamma") && in_file("delta-with-a-name-longer-than-25"),
	    "all three in config.yaml");
	reset(&out);

	ok(machine_import_select(&c, st, "1", &out), "select 1 later");
	is_str(reply(&out, 0), "Added 1 machine(s): **alpha**", "alpha added");
	ok(config_peer(c, "alpha") && !strcmp(config_peer(c, "alpha")->proxy_jump, "gpu-1") &&
	    !strcmp(config_peer(c, "alpha")->host, "alpha.example"), "alpha via gpu-1");
	reset(&out);
	ok(machine_import_select(&c, st, "0", &out) &&
	    !strcmp(reply(&out, 0), "Errors: Index 0 out of range"), "index 0: out of range");
	reset(&out);
	ok(machine_import_select(&c, st, "99999999999999999999999", &out) &&
	    !strcmp(reply(&out, 0), "Errors: Index 99999999999999999999999 out of range"),
	    "a huge index: out of range");
	reset(&out);
	machine_import_free(st);
	config_free(c);
}

static json_t *
row(const char *sid, const char *status, const char *path)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s}", "channel_id", "discord:1",
	    "machine_id", "gpu-1", "daemon_session_id", sid, "status", status, "path", path);
}

static void
test_confirm(void)
{
	struct config *c = fresh(base_config);
	struct strlist out = {0};
	struct machine_remove *st = NULL;
	json_t *rows = json_array();

	json_array_append_new(rows, row("sid-aaa", "active", "~/app"));
	json_array_append_new(rows, row("sid-bbb", "destroyed", "/old"));
	json_array_append_new(rows, row("sid-ccc", "detached", "/srv/x"));

	ok(machine_remove(&c, "gpu-1", rows, &st, &out) == MACHINE_CONFIRM && st != NULL,
	    "sessions: confirmation asked");
	is_str(reply(&out, 0), "Machine **gpu-1** has 2 active session(s):\n"
	    "  - `sid-aaa` (active) at `~/app`\n"
	    "  - `sid-ccc` (detached) at `/srv/x`\n"
	    "\n"
	    "These sessions will be detached. Type `yes` to confirm or `no` to cancel.",
	    "... the question lists active and detached sessions only");
	ok(config_peer(c, "gpu-1") && in_file("gpu-1"), "... nothing removed yet");
	is_str(machine_remove_id(st), "gpu-1", "state: the id");
	is_int(json_array_size(machine_remove_sessions(st)), 2, "state: the two listed sessions");
	reset(&out);

	const char *yes[] = { "yes", "y", "  YES ", "Y" };
	for (size_t i = 0; i < 4; i++) {
		char *name = xasprintf("answer \"%s\": yes, no reply", yes[i]);
		ok(machine_remove_answer(st, yes[i], &out) && out.n == 0, name);
		free(name);
		reset(&out);
	}
	const char *no[] = { "no", "n", "maybe", "yes please" };
	for (size_t i = 0; i < 4; i++) {
		char *name = xasprintf("answer \"%s\": cancelled", no[i]);
		ok(!machine_remove_answer(st, no[i], &out) &&
		    !strcmp(reply(&out, 0), "Removal of **gpu-1** cancelled."), name);
		free(name);
		reset(&out);
	}
	ok(config_peer(c, "gpu-1") != NULL, "cancelled: still there");

	/* The engine detaches, then commits. */
	machine_remove_commit(&c, machine_remove_id(st), &out);
	is_str(reply(&out, 0), "Machine **gpu-1** removed.", "commit: removed");
	ok(config_peer(c, "gpu-1") == NULL && !in_file("gpu-1"), "... gone from config and file");
	reset(&out);
	machine_remove_free(st);
	st = NULL;

	/* Only destroyed sessions: removed at once. */
	json_t *dead = json_array();
	json_array_append_new(dead, row("sid-x", "destroyed", "/p"));
	ok(machine_remove(&c, "gpu-2", dead, &st, &out) == MACHINE_REMOVED && st == NULL,
	    "only destroyed sessions: removed at once");
	reset(&out);
	json_decref(dead);

	/* A failed write: upstream's warning, *cfg keeps the peer. */
	config_free(c);
	c = fresh(base_config);
	char *saved = c->path;
	c->path = xasprintf("%s/no-such-dir/config.yaml", dir);
	machine_remove_commit(&c, "gpu-2", &out);
	ok(has(&out, 0, "**Warning:** Removed from runtime but failed to update config.yaml: "),
	    "unwritable: upstream's warning");
	ok(config_peer(c, "gpu-2") != NULL, "... *cfg still has the peer");
	reset(&out);
	free(c->path);
	c->path = saved;

	json_decref(rows);
	config_free(c);
}

static void
test_local(void)
{
	char name[256];
	struct ifaddrs *ifs, *i;

	ok(host_is_local("127.0.0.1"), "127.0.0.1");
	ok(host_is_local("::1"), "::1");
	ok(host_is_local("[::1]"), "[::1]");
	ok(host_is_local("localhost") && host_is_local("LocalHost"), "localhost, any case");
	ok(host_is_local("127.0.1.1"), "127.0.1.1 (loopback net)");
	ok(host_is_local("::ffff:127.0.0.1"), "::ffff:127.0.0.1");
	ok(!host_is_local("192.0.2.1"), "192.0.2.1 (TEST-NET) is not local");
	ok(!host_is_local("2001:db8::1"), "2001:db8::1 is not local");
	ok(!host_is_local("") && !host_is_local(NULL), "empty or NULL: not local");
	ok(!host_is_local("example.invalid"), "another name: not local");
	if (gethostname(name, sizeof name) == 0) {
		name[sizeof name - 1] = '\0';
		ok(host_is_local(name), "gethostname()");
		printf("# host name: %s\n", name);
	} else
		ok(0, "gethostname");

	/* An address of a non-loopback interface, when there is one. */
	char addr[INET6_ADDRSTRLEN] = "";
	if (getifaddrs(&ifs) == 0) {
		for (i = ifs; i && !*addr; i = i->ifa_next) {
			if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET)
				continue;
			struct in_addr *a = &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr;
			if ((ntohl(a->s_addr) >> 24) != 127)
				inet_ntop(AF_INET, a, addr, sizeof addr);
		}
		freeifaddrs(ifs);
	}
	if (*addr) {
		char *n = xasprintf("an interface's address (%s)", addr);
		ok(host_is_local(addr), n);
		free(n);
	} else
		printf("# no non-loopback IPv4 interface: that check has nothing to test\n");
}

int
main(void)
{
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	char *home = xasprintf("%s/home", dir);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	cfgpath = xasprintf("%s/config.yaml", dir);
	sshpath = xasprintf("%s/ssh_config", dir);

	test_acceptance();
	test_flags();
	test_from_ssh_config();
	test_import();
	test_confirm();
	test_local();

	char *rm = xasprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	free(home);
	free(cfgpath);
	free(sshpath);
	return tap_done();
}
