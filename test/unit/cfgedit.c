/* Unit tests for lib/cfgedit: a peer added to config.yaml and removed again
 * gives the file back byte for byte; an addition inserts only the peer's
 * lines; the edited file loads with config_load and the new peer has every
 * field; the other shapes of files (empty, no peers:, peers: {}, v1
 * machines:, flow mappings, CRLF, no final line break) and the errors. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cfgedit.h"
#include "config.h"
#include "tap.h"
#include "util.h"

static char dir[] = "/tmp/cc-cfgedit.XXXXXX";

static char *
fpath(const char *name)
{
	return xasprintf("%s/%s", dir, name);
}

static void
put(const char *path, const char *text, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || write_all(fd, text, strlen(text)) != 0 || fchmod(fd, mode) != 0) {
		perror(path);
		exit(2);
	}
	close(fd);
}

static char *
get(const char *path)
{
	struct buf b = {0};

	if (read_file(path, 0, &b) != 0) {
		buf_free(&b);
		return xstrdup("<unreadable>");
	}
	return buf_steal(&b);
}

static mode_t
mode_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* new == orig with one run of whole lines inserted; returns that run (or
 * NULL when the difference is anything else). */
static char *
inserted_lines(const char *orig, const char *new)
{
	size_t lo = strlen(orig), ln = strlen(new), i = 0;

	if (ln < lo)
		return NULL;
	while (i < lo && orig[i] == new[i])
		i++;
	while (i > 0 && new[i - 1] != '\n')	/* back to a line start */
		i--;
	if (strcmp(orig + i, new + i + (ln - lo)) != 0)
		return NULL;
	if (ln == lo || new[i + (ln - lo) - 1] != '\n')
		return NULL;
	return xstrndup(new + i, ln - lo);
}

static struct config *
load(const char *path)
{
	char *err = NULL;
	struct config *c = config_load(path, &err);

	if (c == NULL) {
		printf("# config_load: %s\n", err);
		free(err);
	}
	return c;
}

static const char fixture[] =
    "# codecast config -- hand-written: keep the comments!\n"
    "#\n"
    "# Secrets come from the environment:\n"
    "bot:\n"
    "    telegram:\n"
    "        token: ${TELEGRAM_TOKEN}     # never commit the token\n"
    "        allowed_users: [12345, 67890]\n"
    "        admin_users:\n"
    "          - 12345\n"
    "    discord:\n"
    "        token: \"${DISCORD_TOKEN}\"\n"
    "        allowed_channels:\n"
    "          - 111\n"
    "\n"
    "default_mode: 'plan'   # odd quoting on purpose\n"
    "tool_batch_size: 15\n"
    "\n"
    "# The machines.\n"
    "peers:\n"
    "    # the big one\n"
    "    gpu-1:\n"
    "        ssh_host: 10.0.0.1      # LAN address\n"
    "        ssh_user: \"root\"\n"
    "        ssh_port: 22\n"
    "        default_paths: ['~/work', \"/srv/it's here\"]\n"
    "    'web box':\n"
    "        transport: http\n"
    "        address: \"https://example.com:9443\"   # via the proxy\n"
    "        token: ${WEB_TOKEN}\n"
    "    gpu-2:\n"
    "        ssh_host: 10.0.0.2\n"
    "        proxy_jump: gpu-1\n"
    "        password: >-\n"
    "            folded\n"
    "            secret\n"
    "        # ssh_port: 2222   (commented out: still gpu-2's)\n"
    "    # a note about the peers: not gpu-2's\n"
    "\n"
    "# old v1 section, ignored while peers: has entries\n"
    "machines:\n"
    "    legacy:\n"
    "        host: old.example.com\n"
    "        user: me\n"
    "\n"
    "skills:\n"
    "    shared_dir: ./skills   # relative to the head\n"
    "file_forward:\n"
    "    enabled: true\n"
    "    rules:\n"
    "      - pattern: \"*.png\"\n"
    "        auto: yes\n"
    "# the end\n";

static void
test_must_show(void)
{
	char *cfg = fpath("config.yaml"), *err = NULL, *after, *ins;
	char *paths[] = { "~/a", "/srv/b c" };
	struct peer_spec p = {
		.id = "new-box", .transport = "ssh", .host = "192.0.2.7",
		.user = "alice", .ssh_key = "~/.ssh/new_key", .port = 2222,
		.daemon_port = 9200, .proxy_jump = "gpu-1", .node_path = "/opt/node/bin/node",
		.password = "a: b #c", .paths = paths, .npaths = 2,
	};
	struct config *c0, *c1;

	put(cfg, fixture, 0640);
	c0 = load(cfg);
	ok(c0 != NULL && c0->npeers == 3, "the fixture loads: 3 peers");

	is_int(cfgedit_add_peer(cfg, &p, &err), 0, "add new-box");
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;
	after = get(cfg);
	ins = inserted_lines(fixture, after);
	ok(ins != NULL, "after the add, the only change is whole inserted lines");
	is_str(ins,
	    "    new-box:\n"
	    "        transport: ssh\n"
	    "        ssh_host: 192.0.2.7\n"
	    "        ssh_user: alice\n"
	    "        ssh_key: ~/.ssh/new_key\n"
	    "        ssh_port: 2222\n"
	    "        proxy_jump: gpu-1\n"
	    "        password: \"a: b #c\"\n"
	    "        daemon_port: 9200\n"
	    "        node_path: /opt/node/bin/node\n"
	    "        default_paths:\n"
	    "          - ~/a\n"
	    "          - \"/srv/b c\"\n",
	    "the inserted lines: the new peer in the file's indentation, nothing else");
	ok(ins && strstr(after, "        # ssh_port: 2222   (commented out: still gpu-2's)\n"
	    "    new-box:\n") != NULL,
	    "inserted after gpu-2's lines (its deeper comment included), before the section's own comment");
	is_int(mode_of(cfg), 0640, "mode 0640 kept after the add");

	c1 = load(cfg);
	ok(c1 != NULL, "the edited file loads");
	if (c0 && c1) {
		const struct peer *np = config_peer(c1, "new-box");
		ok(np != NULL, "config_load finds new-box");
		if (np) {
			char *home = xasprintf("%s/.ssh/new_key", getenv("HOME"));
			is_int(np->transport, TRANSPORT_SSH, "transport ssh");
			is_str(np->host, "192.0.2.7", "host");
			is_str(np->user, "alice", "user");
			is_str(np->ssh_key, home, "ssh_key (~ expanded by the loader)");
			is_int(np->port, 2222, "port");
			is_int(np->daemon_port, 9200, "daemon_port");
			is_str(np->proxy_jump, "gpu-1", "proxy_jump");
			is_str(np->node_path, "/opt/node/bin/node", "node_path");
			is_str(np->password, "a: b #c", "password a: b #c round-trips");
			is_int(np->default_paths.n, 2, "two default_paths");
			if (np->default_paths.n == 2) {
				is_str(np->default_paths.v[0], "~/a", "path 1");
				is_str(np->default_paths.v[1], "/srv/b c", "path 2");
			}
			free(home);
		}
		/* Everything else is as before. */
		json_t *j0 = config_to_json(c0, true), *j1 = config_to_json(c1, true);
		json_object_del(json_object_get(j1, "peers"), "new-box");
		json_object_del(j0, "path");
		json_object_del(j1, "path");
		ok(json_equal(j0, j1), "the rest of the config is unchanged");
		json_decref(j0);
		json_decref(j1);
		is_int(c1->npeers, 4, "4 peers");
		is_str(c1->peers[3].id, "new-box", "new-box is the last peer");
		is_str(config_peer(c1, "gpu-2")->password, "folded secret",
		    "gpu-2's folded password intact");
	}

	is_int(cfgedit_remove_peer(cfg, "new-box", &err), 0, "remove new-box");
	free(err);
	err = NULL;
	char *back = get(cfg);
	ok(strlen(back) == strlen(fixture) && memcmp(back, fixture, strlen(fixture)) == 0,
	    "add then remove: identical to the original (cmp)");
	is_int(mode_of(cfg), 0640, "mode 0640 kept after the removal");

	/* Nothing left behind in the directory. */
	char *ls = xasprintf("ls -A %s | grep -q '^\\.'", dir);
	ok(system(ls) != 0, "no temporary file left behind");
	free(ls);

	config_free(c0);
	config_free(c1);
	free(back);
	free(ins);
	free(after);
	free(cfg);
}

/* Values that need quoting come back exactly. */
static void
test_values(void)
{
	static const char *vals[] = {
		"a: b #c", "${X}", "plain", "null", "~", "yes", "No", "on", "0x1f", "007",
		"1.5", "1e3", ".inf", "-x", "@at", "#hash", "&anchor", "*star", "!tag",
		"|pipe", ">gt", "%pct", "'single'", "\"double\"", "back\\slash",
		"new\nline", "tab\there", " lead", "trail ", "ünïcødé ✓", "a,b", "[x]",
		"{y}", "ctrl\x01", "del\x7f", "nel\xc2\x85", "ls\xe2\x80\xa8", "",
		"10.0.0.1", "host.example.com", "~/x", "key=val",
	};
	char *cfg = fpath("values.yaml"), *err = NULL;

	unsetenv("X");
	for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
		struct peer_spec p = { .id = "v", .host = "h", .password = vals[i],
		    .node_path = vals[i] };
		char *name = xasprintf("value %zu round-trips", i);
		put(cfg, "peers:\n  a:\n    ssh_host: a\n", 0600);
		if (cfgedit_add_peer(cfg, &p, &err) != 0) {
			printf("# %s\n", err);
			free(err);
			err = NULL;
			ok(0, name);
		} else {
			struct config *c = load(cfg);
			const struct peer *q = c ? config_peer(c, "v") : NULL;
			if (*vals[i] == '\0')	/* an empty string is no value */
				ok(q && (q->password == NULL || !strcmp(q->password, "")), name);
			else {
				ok(q && q->password && !strcmp(q->password, vals[i]) &&
				    q->node_path && !strcmp(q->node_path, vals[i]), name);
				if (!(q && q->password && !strcmp(q->password, vals[i])))
					printf("#   got \"%s\"\n", q && q->password ? q->password : "(null)");
			}
			config_free(c);
		}
		free(name);
	}

	/* ${X} is config syntax: expanded when set, as anywhere in the file. */
	setenv("X", "from-env", 1);
	struct config *c = load(cfg);
	put(cfg, "peers:\n  a:\n    ssh_host: a\n", 0600);
	struct peer_spec p = { .id = "v", .host = "h", .password = "${X}" };
	is_int(cfgedit_add_peer(cfg, &p, &err), 0, "add with password ${X}");
	free(err);
	err = NULL;
	config_free(c);
	c = load(cfg);
	is_str(c && config_peer(c, "v") ? config_peer(c, "v")->password : NULL, "from-env",
	    "${X} written as such: the loader expands it when X is set");
	char *text = get(cfg);
	ok(strstr(text, "password: \"${X}\"\n") != NULL, "written as \"${X}\"");
	free(text);
	config_free(c);
	unsetenv("X");

	/* Invalid UTF-8 is refused. */
	struct peer_spec bad = { .id = "b", .host = "h", .password = "\xff\xfe" };
	ok(cfgedit_add_peer(cfg, &bad, &err) == -1 && err && strstr(err, "UTF-8"),
	    "invalid UTF-8 refused");
	free(err);
	free(cfg);
}

/* Add a peer to text, compare with want, remove it, compare with text. */
static void
roundtrip(const char *what, const char *text, const struct peer_spec *p,
    const char *want, bool exact_back)
{
	char *cfg = fpath("rt.yaml"), *err = NULL, *got, *name;

	put(cfg, text, 0600);
	name = xasprintf("%s: add", what);
	ok(cfgedit_add_peer(cfg, p, &err) == 0, name);
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;
	free(name);
	got = get(cfg);
	name = xasprintf("%s: the text after the add", what);
	is_str(got, want, name);
	free(name);
	free(got);
	struct config *c = load(cfg);
	name = xasprintf("%s: loads with the peer", what);
	ok(c && config_peer(c, p->id), name);
	free(name);
	config_free(c);

	name = xasprintf("%s: remove", what);
	ok(cfgedit_remove_peer(cfg, p->id, &err) == 0, name);
	if (err)
		printf("# %s\n", err);
	free(err);
	free(name);
	if (exact_back) {
		got = get(cfg);
		name = xasprintf("%s: back to the original", what);
		is_str(got, text, name);
		free(name);
		free(got);
	}
	is_int(mode_of(cfg), 0600, "mode 0600 kept");
	free(cfg);
}

static void
test_shapes(void)
{
	char *two[] = { "~/p", "/q" };
	struct peer_spec p = { .id = "box", .transport = "ssh", .host = "box.example.com",
	    .user = "u" };
	struct peer_spec pl = { .id = "me", .transport = "local", .host = "localhost",
	    .user = "u", .paths = two, .npaths = 2 };

	roundtrip("empty file", "", &p,
	    "peers:\n  box:\n    transport: ssh\n    ssh_host: box.example.com\n    ssh_user: u\n",
	    false);
	roundtrip("comments only", "# nothing yet\n", &p,
	    "# nothing yet\npeers:\n  box:\n    transport: ssh\n    ssh_host: box.example.com\n"
	    "    ssh_user: u\n", false);
	roundtrip("no peers key", "default_mode: plan\nskills:\n   shared_dir: /s\n", &p,
	    "default_mode: plan\nskills:\n   shared_dir: /s\npeers:\n   box:\n      transport: ssh\n"
	    "      ssh_host: box.example.com\n      ssh_user: u\n", false);
	roundtrip("no peers key, no final newline", "default_mode: plan", &p,
	    "default_mode: plan\npeers:\n  box:\n    transport: ssh\n    ssh_host: box.example.com\n"
	    "    ssh_user: u\n", false);
	roundtrip("explicit document end", "default_mode: plan\n...\n", &p,
	    "default_mode: plan\npeers:\n  box:\n    transport: ssh\n    ssh_host: box.example.com\n"
	    "    ssh_user: u\n...\n", false);
	roundtrip("peers: {}", "peers: {}   # none yet\nbot: {}\n", &p,
	    "peers:   # none yet\n  box:\n    transport: ssh\n    ssh_host: box.example.com\n"
	    "    ssh_user: u\nbot: {}\n", false);
	roundtrip("empty peers:", "peers:\n# later\nskills:\n  shared_dir: /s\n", &pl,
	    "peers:\n  me:\n    transport: local\n    ssh_host: localhost\n    ssh_user: u\n"
	    "    default_paths:\n      - ~/p\n      - /q\n# later\nskills:\n  shared_dir: /s\n",
	    false);
	roundtrip("peers: ~", "peers: ~\n", &p,
	    "peers:\n  box:\n    transport: ssh\n    ssh_host: box.example.com\n    ssh_user: u\n",
	    false);
	roundtrip("indentless lists kept", "peers:\n  a:\n    default_paths:\n    - /x\n", &pl,
	    "peers:\n  a:\n    default_paths:\n    - /x\n  me:\n    transport: local\n"
	    "    ssh_host: localhost\n    ssh_user: u\n    default_paths:\n    - ~/p\n    - /q\n",
	    true);
	roundtrip("flow mapping with entries", "peers: {a: {ssh_host: x}}  # flow\n", &pl,
	    "peers: {a: {ssh_host: x}, me: {transport: local, ssh_host: localhost, ssh_user: u, "
	    "default_paths: [~/p, /q]}}  # flow\n", true);
	roundtrip("CRLF file", "peers:\r\n  a:\r\n    ssh_host: x\r\n", &p,
	    "peers:\r\n  a:\r\n    ssh_host: x\r\n  box:\r\n    transport: ssh\r\n"
	    "    ssh_host: box.example.com\r\n    ssh_user: u\r\n", true);
	roundtrip("no final line break", "peers:\n  a:\n    ssh_host: x", &p,
	    "peers:\n  a:\n    ssh_host: x\n  box:\n    transport: ssh\n"
	    "    ssh_host: box.example.com\n    ssh_user: u", true);
	roundtrip("block scalar last", "peers:\n  a:\n    password: |\n      x\n\n\nbot: {}\n", &p,
	    "peers:\n  a:\n    password: |\n      x\n\n\n  box:\n    transport: ssh\n"
	    "    ssh_host: box.example.com\n    ssh_user: u\nbot: {}\n", true);
	roundtrip("alias last", "n: &n /n\nbase: &b\n  ssh_user: z\npeers:\n  a:\n    <<: *b\n"
	    "    ssh_host: x\n  c:\n    ssh_host: y\n    node_path: *n\n", &p,
	    "n: &n /n\nbase: &b\n  ssh_user: z\npeers:\n  a:\n    <<: *b\n"
	    "    ssh_host: x\n  c:\n    ssh_host: y\n    node_path: *n\n  box:\n    transport: ssh\n"
	    "    ssh_host: box.example.com\n    ssh_user: u\n", true);

	/* v1: machines: has entries, peers: none. */
	struct peer_spec pv = { .id = "new", .transport = "local", .host = "127.0.0.1",
	    .user = "me", .port = 2200, .daemon_port = 9100 };
	roundtrip("v1 machines:", "# v1\nmachines:\n  old:\n    host: o\n    user: me\n", &pv,
	    "# v1\nmachines:\n  old:\n    host: o\n    user: me\n  new:\n    host: 127.0.0.1\n"
	    "    user: me\n    port: 2200\n    localhost: true\n", true);
	{
		char *cfg = fpath("rt.yaml"), *err = NULL;
		put(cfg, "machines:\n  old:\n    host: o\n", 0600);
		ok(cfgedit_add_peer(cfg, &pv, &err) == 0, "v1: add");
		free(err);
		struct config *c = load(cfg);
		ok(c && c->version == 1 && config_peer(c, "new") &&
		    config_peer(c, "new")->transport == TRANSPORT_LOCAL &&
		    config_peer(c, "new")->port == 2200, "v1: still a v1 file, new is a local peer");
		config_free(c);
		free(cfg);
	}

	/* A peer id that needs quoting. */
	struct peer_spec q = { .id = "yes", .host = "h" };
	roundtrip("id yes", "peers:\n  a:\n    ssh_host: x\n", &q,
	    "peers:\n  a:\n    ssh_host: x\n  \"yes\":\n    transport: ssh\n    ssh_host: h\n", true);
	struct peer_spec q2 = { .id = "my box: #1", .host = "h" };
	roundtrip("id with : and #", "peers:\n  a:\n    ssh_host: x\n", &q2,
	    "peers:\n  a:\n    ssh_host: x\n  \"my box: #1\":\n    transport: ssh\n    ssh_host: h\n",
	    true);
}

/* Removal: first, middle, last; comments that are and are not the peer's. */
static void
test_remove(void)
{
	static const char three[] =
	    "peers:\n"
	    "  # about a\n"
	    "  a:\n"
	    "    ssh_host: x   # trailing\n"
	    "    # a's commented field\n"
	    "  b:\n"
	    "    ssh_host: y\n"
	    "\n"
	    "    # after a blank line: not b's\n"
	    "  c: {ssh_host: z}\n"
	    "# top\n"
	    "bot: {}\n";
	struct {
		const char *id, *want;
	} cases[] = {
		{ "a", "peers:\n  # about a\n  b:\n    ssh_host: y\n\n    # after a blank line: not b's\n"
		    "  c: {ssh_host: z}\n# top\nbot: {}\n" },
		{ "b", "peers:\n  # about a\n  a:\n    ssh_host: x   # trailing\n    # a's commented field\n"
		    "\n    # after a blank line: not b's\n  c: {ssh_host: z}\n# top\nbot: {}\n" },
		{ "c", "peers:\n  # about a\n  a:\n    ssh_host: x   # trailing\n    # a's commented field\n"
		    "  b:\n    ssh_host: y\n\n    # after a blank line: not b's\n# top\nbot: {}\n" },
	};
	char *cfg = fpath("rm.yaml"), *err = NULL;

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *name = xasprintf("remove %s", cases[i].id);
		put(cfg, three, 0600);
		ok(cfgedit_remove_peer(cfg, cases[i].id, &err) == 0, name);
		free(err);
		err = NULL;
		char *got = get(cfg);
		is_str(got, cases[i].want, name);
		free(got);
		free(name);
	}

	/* The last peer: peers: stays, empty. */
	put(cfg, "peers:\n  a:\n    ssh_host: x\nbot: {}\n", 0600);
	ok(cfgedit_remove_peer(cfg, "a", &err) == 0, "remove the only peer");
	free(err);
	err = NULL;
	char *got = get(cfg);
	is_str(got, "peers:\nbot: {}\n", "peers: left empty");
	free(got);

	/* Flow: first, middle, last. */
	const char *flow = "peers: {a: {ssh_host: x}, b: {ssh_host: y}, c: {ssh_host: z}}\n";
	const char *fw[] = { "peers: {b: {ssh_host: y}, c: {ssh_host: z}}\n",
	    "peers: {a: {ssh_host: x}, c: {ssh_host: z}}\n",
	    "peers: {a: {ssh_host: x}, b: {ssh_host: y}}\n" };
	const char *ids[] = { "a", "b", "c" };
	for (size_t i = 0; i < 3; i++) {
		char *name = xasprintf("flow: remove %s", ids[i]);
		put(cfg, flow, 0600);
		ok(cfgedit_remove_peer(cfg, ids[i], &err) == 0, name);
		free(err);
		err = NULL;
		got = get(cfg);
		is_str(got, fw[i], name);
		free(got);
		free(name);
	}

	/* v1 machines: */
	put(cfg, "machines:\n  old:\n    host: o\n  gone:\n    host: g\n    localhost: true\n# end\n",
	    0600);
	ok(cfgedit_remove_peer(cfg, "gone", &err) == 0, "v1: remove gone");
	free(err);
	err = NULL;
	got = get(cfg);
	is_str(got, "machines:\n  old:\n    host: o\n# end\n", "v1: gone removed");
	free(got);

	/* Errors: unknown peer; a jump host still in use; the file unchanged. */
	put(cfg, three, 0600);
	ok(cfgedit_remove_peer(cfg, "zz", &err) == -1 && err && strstr(err, "no peer named \"zz\""),
	    "unknown peer: error");
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;
	put(cfg, "peers:\n  j:\n    ssh_host: j\n  t:\n    ssh_host: t\n    proxy_jump: j\n", 0600);
	ok(cfgedit_remove_peer(cfg, "j", &err) == -1 && err &&
	    strstr(err, "would not load") && strstr(err, "rm.yaml:") &&
	    !strstr(err, ".rm.yaml."), "removing a jump host in use: would not load, named by the real file");
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;
	got = get(cfg);
	is_str(got, "peers:\n  j:\n    ssh_host: j\n  t:\n    ssh_host: t\n    proxy_jump: j\n",
	    "file unchanged after the failed removal");
	free(got);

	/* Add errors: duplicate, peers: not a mapping. */
	struct peer_spec p = { .id = "j", .host = "h" };
	ok(cfgedit_add_peer(cfg, &p, &err) == -1 && err && strstr(err, "already exists"),
	    "duplicate: error");
	free(err);
	err = NULL;
	put(cfg, "peers: [a, b]\n", 0600);
	ok(cfgedit_add_peer(cfg, &p, &err) == -1 && err && strstr(err, "expected a mapping"),
	    "peers: a list: error");
	free(err);
	err = NULL;
	put(cfg, "peers: {\n", 0600);
	ok(cfgedit_add_peer(cfg, &p, &err) == -1 && err && strstr(err, "rm.yaml:"),
	    "YAML syntax error: file:line:col");
	if (err)
		printf("# %s\n", err);
	free(err);
	free(cfg);
}

/* Symbolic links are followed; a read-only directory is an error. */
static void
test_files(void)
{
	char *real = fpath("real.yaml"), *link = fpath("link.yaml"), *err = NULL;
	struct peer_spec p = { .id = "box", .host = "h" };

	put(real, "peers:\n  a:\n    ssh_host: x\n", 0600);
	unlink(link);
	if (symlink("real.yaml", link) != 0)
		perror("symlink");
	ok(cfgedit_add_peer(link, &p, &err) == 0, "add through a symbolic link");
	free(err);
	err = NULL;
	struct stat st;
	ok(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "the link is still a link");
	char *got = get(real);
	ok(strstr(got, "  box:\n") != NULL, "its target was edited");
	free(got);

	/* Read-only directory: as root (permission bits do not stop root)
	 * the check runs in a child as nobody. */
	char *ro = fpath("ro"), *cfg = fpath("ro/config.yaml");
	mkdir(ro, 0755);
	put(cfg, "peers:\n  a:\n    ssh_host: x\n", 0644);
	struct passwd *nobody = getpwnam("nobody");
	if (geteuid() == 0 && nobody && chown(ro, nobody->pw_uid, nobody->pw_gid) != 0)
		perror("chown");
	chmod(ro, 0555);
	int pfd[2];
	if (pipe(pfd) != 0)
		perror("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		close(pfd[0]);
		if (geteuid() == 0 && nobody &&
		    (setgid(nobody->pw_gid) != 0 || setuid(nobody->pw_uid) != 0))
			_exit(3);
		int rc = cfgedit_add_peer(cfg, &p, &err);
		if (err)
			(void)write_all(pfd[1], err, strlen(err));
		_exit(rc == -1 ? 0 : 1);
	}
	close(pfd[1]);
	struct buf msg = {0};
	(void)read_fd(pfd[0], 0, &msg);
	close(pfd[0]);
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "read-only directory: the add fails");
	printf("# %s\n", msg.s ? msg.s : "");
	ok(msg.s && strstr(msg.s, "config.yaml: cannot create a temporary file in") &&
	    strstr(msg.s, "Permission denied"), "read-only directory: the message says why");
	buf_free(&msg);
	got = get(cfg);
	is_str(got, "peers:\n  a:\n    ssh_host: x\n", "read-only directory: file unchanged");
	free(got);
	chmod(ro, 0755);

	free(ro);
	free(cfg);
	free(real);
	free(link);
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
	chmod(dir, 0755);		/* the read-only test's child must get in */

	test_must_show();
	test_values();
	test_shapes();
	test_remove();
	test_files();

	char *rm = xasprintf("rm -rf %s", dir);
	if (system(rm) != 0)
		printf("# could not remove %s\n", dir);
	free(rm);
	free(home);
	return tap_done();
}
