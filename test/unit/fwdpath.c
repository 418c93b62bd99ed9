/* Unit tests for lib/fwdpath: the §9.1 path vectors, dedup (§9.2), rule
 * matching and decisions (§9.3) and the config defaults (§17.6). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fwdpath.h"
#include "tap.h"
#include "util.h"

/* The matches of text, joined by '|' ("" when none). */
static char *
found(const char *text)
{
	struct pathlist l;
	struct buf b = {0};

	fwd_find_paths(text, &l);
	buf_puts(&b, "");
	for (size_t i = 0; i < l.n; i++)
		buf_printf(&b, "%s%s", i ? "|" : "", l.v[i]);
	pathlist_free(&l);
	return buf_steal(&b);
}

static void
paths_are(const char *text, const char *want)
{
	char *got = found(text), name[200];

	snprintf(name, sizeof(name), "paths in \"%.150s\"", text);
	is_str(got, want, name);
	free(got);
}

static char *
detected(struct fwd_seen *s, const char *text)
{
	struct pathlist l;
	struct buf b = {0};

	fwd_detect(s, text, &l);
	buf_puts(&b, "");
	for (size_t i = 0; i < l.n; i++)
		buf_printf(&b, "%s%s", i ? "|" : "", l.v[i]);
	pathlist_free(&l);
	return buf_steal(&b);
}

static void
decide_is(const struct config *c, const char *path, long long size,
    enum fwd_action action, const struct forward_rule *rule, const char *reason,
    const char *name)
{
	struct fwd_decision d;
	char label[200];

	fwd_decide(c, path, size, &d);
	snprintf(label, sizeof(label), "%s: action", name);
	is_int(d.action, action, label);
	snprintf(label, sizeof(label), "%s: the rule", name);
	ok(d.rule == rule, label);
	snprintf(label, sizeof(label), "%s: reason", name);
	is_str(d.reason, reason, label);
	fwd_decision_free(&d);
}

int
main(void)
{
	/* §9.1 reference vectors. */
	paths_are("See /home/user/report.pdf", "/home/user/report.pdf");
	paths_are("Created ~/docs/output.csv", "~/docs/output.csv");
	paths_are("/home/user/.config/app/settings.json",
	    "/home/user/.config/app/settings.json");
	paths_are("/var/log/my-app_v2/error.log", "/var/log/my-app_v2/error.log");
	paths_are("Files: /tmp/a.py /tmp/b.ts /tmp/c.json /tmp/d.yaml /tmp/e.png",
	    "/tmp/a.py|/tmp/b.ts|/tmp/c.json|/tmp/d.yaml|/tmp/e.png");
	paths_are("Run `cat /home/user/file.txt` to see", "");
	paths_are("Use `/etc/config.yaml` for setup", "");
	paths_are("See /usr/bin/python for details", "");
	paths_are("See src/main.py", "");
	paths_are("https://example.com/a/b.html", "");
	paths_are("http://localhost:8080/api/x.json", "");
	paths_are("file:/x/y.txt", "");
	paths_are("x/tmp/a.py", "");
	paths_are("/tmp//a.py", "");
	paths_are("/tmp/.hidden", "");
	paths_are("~user/x.txt", "");
	paths_are("(/tmp/a.py)", "/tmp/a.py");
	paths_are("**/tmp/a.py**", "/tmp/a.py");
	paths_are("'/tmp/a.py'", "/tmp/a.py");
	paths_are("/tmp/a.py,/tmp/b.py", "/tmp/a.py|/tmp/b.py");
	paths_are("/tmp/a.py.", "/tmp/a.py");
	paths_are("/a/b.c/d", "/a/b.c");
	paths_are("see /tmp/x.tar.gz`", "/tmp/x.tar");
	paths_are("/tmp/.env.local", "/tmp/.env.local");
	paths_are("/tmp/r\xC3\xA9sum\xC3\xA9.pdf", "/tmp/r\xC3\xA9sum\xC3\xA9.pdf");

	/* More: Unicode \w at the edges, other scripts, tricky ends. */
	paths_are("\xC3\xA9/tmp/a.py", "");		/* é before: a word */
	paths_are("/tmp/a.py\xC3\xA9", "/tmp/a.py\xC3\xA9");	/* é: part of the extension */
	paths_are("\xE2\x80\x94/tmp/a.py\xE2\x80\x94", "/tmp/a.py");	/* — around */
	paths_are("\xF0\x9F\x93\x84/tmp/a.py\xF0\x9F\x8E\x89", "/tmp/a.py");	/* emoji */
	paths_are("/\xE6\x96\x87\xE6\xA1\xA3/\xE6\x8A\xA5\xE5\x91\x8A.txt",
	    "/\xE6\x96\x87\xE6\xA1\xA3/\xE6\x8A\xA5\xE5\x91\x8A.txt");	/* CJK */
	paths_are("\"/tmp/a b/c.txt\"", "");	/* a space ends the directory */
	paths_are("/tmp/a.py\n/tmp/a.py", "/tmp/a.py|/tmp/a.py");
	paths_are("/tmp/a.py:12", "/tmp/a.py");
	paths_are("~/x.txt~/y.txt", "~/x.txt~/y.txt");	/* ~ is a directory character */
	paths_are("/tmp/~backup/x-1.2.tar_gz", "/tmp/~backup/x-1.2.tar_gz");
	paths_are("/a.b/c.d/e", "/a.b/c.d");
	paths_are("/a.b/c/e", "/a.b");
	paths_are("", "");
	paths_are("no paths here.", "");
	paths_are("/\xFF/x.txt", "/x.txt");	/* an invalid byte is not \w */
	paths_are("\xFF/x.txt", "/x.txt");
	{
		/* A long chain of directories: linear, and found. */
		struct buf b = {0};
		char *got;

		buf_puts(&b, " ~");
		for (int i = 0; i < 20000; i++)
			buf_puts(&b, "/~");
		buf_puts(&b, "/f.txt /");
		for (int i = 0; i < 20000; i++)
			buf_puts(&b, "d/");
		got = found(b.s);
		ok(got != NULL && str_ends(got, "/~/~/f.txt") && strchr(got, '|') == NULL,
		    "40,000 directory segments: one match");
		free(got);
		buf_free(&b);
	}

	/* Dedup (§9.2, §17.6). */
	{
		struct fwd_seen *a = fwd_seen_new(), *b = fwd_seen_new();
		char *s;

		s = detected(a, "Made /tmp/a.py and /tmp/b.py and /tmp/a.py");
		is_str(s, "/tmp/a.py|/tmp/b.py", "dedup: duplicates in one text collapse");
		free(s);
		s = detected(a, "Again /tmp/b.py, new /tmp/c.py");
		is_str(s, "/tmp/c.py", "dedup: only new paths");
		free(s);
		s = detected(b, "Again /tmp/b.py");
		is_str(s, "/tmp/b.py", "dedup: channels are independent");
		free(s);
		s = detected(a, "");
		is_str(s, "", "dedup: empty text");
		free(s);
		s = detected(a, "nothing to see");
		is_str(s, "", "dedup: text without paths");
		free(s);
		fwd_seen_free(a);
		a = fwd_seen_new();	/* reset or cleanup: a new set */
		s = detected(a, "/tmp/a.py");
		is_str(s, "/tmp/a.py", "dedup: after reset the path is returned again");
		free(s);
		/* Many paths: the set grows. */
		{
			struct buf t = {0};
			struct pathlist l;

			for (int i = 0; i < 3000; i++)
				buf_printf(&t, "/tmp/f%d.txt ", i % 1000);
			fwd_detect(a, t.s, &l);
			is_int((long long)l.n, 1000, "dedup: 3000 mentions of 1000 paths");
			pathlist_free(&l);
			fwd_detect(a, t.s, &l);
			is_int((long long)l.n, 0, "dedup: all seen");
			pathlist_free(&l);
			buf_free(&t);
		}
		fwd_seen_free(a);
		fwd_seen_free(b);
		fwd_seen_free(NULL);
	}

	/* Rules and decisions (§9.3, §17.6). */
	{
		struct forward_rule rules[] = {
			{ "*.png", 1048576, true },
			{ "*.p*", 1048576, false },
			{ "report-?.[ct]sv", 0, true },
			{ "big.bin", 0, false },
		};
		struct config c;

		memset(&c, 0, sizeof(c));
		c.file_forward.default_max_size = 5242880;
		c.file_forward.default_auto = false;
		c.file_forward.rules = rules;
		c.file_forward.nrules = sizeof(rules) / sizeof(rules[0]);

		decide_is(&c, "/tmp/x.png", 0, FWD_AUTO_SEND, &rules[0],
		    "Matched rule '*.png' (auto-send).", "auto, size 0 (intent)");
		decide_is(&c, "/tmp/x.png", 1000, FWD_AUTO_SEND, &rules[0],
		    "Matched rule '*.png' (auto-send).", "auto under the limit");
		decide_is(&c, "/tmp/x.png", 3 * 1048576, FWD_NOTIFY, &rules[0],
		    "File size (3.0MB) exceeds limit (1.0MB).", "over the limit");
		decide_is(&c, "/tmp/x.png", 1048576, FWD_AUTO_SEND, &rules[0],
		    "Matched rule '*.png' (auto-send).", "size equal to the limit is OK");
		decide_is(&c, "/tmp/x.png", 1048577, FWD_NOTIFY, &rules[0],
		    "File size (1.0MB) exceeds limit (1.0MB).", "limit + 1 is notify");
		decide_is(&c, "/tmp/x.pdf", 10, FWD_NOTIFY, &rules[1],
		    "Matched rule '*.p*' (notify only).", "first match wins, auto false");
		decide_is(&c, "x.png", 10, FWD_AUTO_SEND, &rules[0],
		    "Matched rule '*.png' (auto-send).", "a bare file name");
		decide_is(&c, "/data.png/readme", 10, FWD_NOTIFY, NULL,
		    "Matched default rule (notify only).", "the file name only is matched");
		decide_is(&c, "/tmp/report-1.csv", 999999999, FWD_AUTO_SEND, &rules[2],
		    "Matched rule 'report-?.[ct]sv' (auto-send).", "max_size 0 is unlimited");
		decide_is(&c, "/tmp/big.bin", 999999999, FWD_NOTIFY, &rules[3],
		    "Matched rule 'big.bin' (notify only).", "unlimited, notify");
		decide_is(&c, "/tmp/notes.md", 10, FWD_NOTIFY, NULL,
		    "Matched default rule (notify only).", "no match: the default rule");
		decide_is(&c, "/tmp/notes.md", 6 * 1048576, FWD_NOTIFY, NULL,
		    "File size (6.0MB) exceeds limit (5.0MB).", "default rule: its limit");
		decide_is(&c, "/tmp/.env.png", 10, FWD_AUTO_SEND, &rules[0],
		    "Matched rule '*.png' (auto-send).", "* matches a leading dot");
		c.file_forward.default_auto = true;
		decide_is(&c, "/tmp/notes.md", 10, FWD_AUTO_SEND, NULL,
		    "Matched default rule (auto-send).", "default auto");
		c.file_forward.default_max_size = 0;
		decide_is(&c, "/tmp/notes.md", 1LL << 40, FWD_AUTO_SEND, NULL,
		    "Matched default rule (auto-send).", "default max 0: unlimited");
		/* A wildcard rule is a rule, not the default. */
		{
			struct forward_rule star = { "*", 100, false };

			c.file_forward.rules = &star;
			c.file_forward.nrules = 1;
			decide_is(&c, "/tmp/notes.md", 10, FWD_NOTIFY, &star,
			    "Matched rule '*' (notify only).", "a wildcard rule is not the default");
			decide_is(&c, "/tmp/notes.md", 1572864, FWD_NOTIFY, &star,
			    "File size (1.5MB) exceeds limit (0.0MB).", "rounding as Python's .1f");
		}
	}

	/* Config defaults, from a config file without file_forward, and a
	 * rule that gives only its pattern. */
	{
		char tmpl[] = "/tmp/cc-fwdpath.XXXXXX", *path, *home, *e = NULL, *want;
		struct config *c;
		FILE *f;

		if (mkdtemp(tmpl) == NULL) {
			ok(0, "mkdtemp");
			return tap_done();
		}
		home = xasprintf("%s/home", tmpl);
		mkdir(home, 0700);
		setenv("HOME", home, 1);
		path = xasprintf("%s/a.yaml", tmpl);
		f = fopen(path, "w");
		fputs("peers:\n  gpu-1:\n    ssh_host: 10.0.0.1\n", f);
		fclose(f);
		c = config_load(path, &e);
		ok(c != NULL, "config without file_forward loads");
		if (c != NULL) {
			want = xasprintf("%s/.codecast/downloads", home);
			ok(!c->file_forward.enabled && c->file_forward.nrules == 0 &&
			    c->file_forward.default_max_size == 5242880 &&
			    !c->file_forward.default_auto,
			    "defaults: disabled, no rules, 5 MiB, not auto");
			is_str(c->file_forward.download_dir, want, "defaults: download_dir");
			free(want);
			config_free(c);
		}
		free(e);
		e = NULL;
		f = fopen(path, "w");
		fputs("peers:\n  gpu-1:\n    ssh_host: 10.0.0.1\nfile_forward:\n"
		    "  enabled: true\n  rules:\n    - pattern: \"*.png\"\n", f);
		fclose(f);
		c = config_load(path, &e);
		ok(c != NULL && c->file_forward.nrules == 1 &&
		    c->file_forward.rules[0].max_size == 5242880 &&
		    !c->file_forward.rules[0].autosend,
		    "a rule defaults to 5 MiB and not auto");
		if (c != NULL)
			config_free(c);
		free(e);
		unlink(path);
		rmdir(home);
		rmdir(tmpl);
		free(path);
		free(home);
	}
	return tap_done();
}
