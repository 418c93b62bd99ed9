/* Unit tests for lib/skills: reading skills.shared_dir (order, modes,
 * links, cycles) and syncing it into a project on a real local peer
 * (CLAUDE.md only when missing, merge without skills/skills nesting). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "remote.h"
#include "shquote.h"
#include "skills.h"
#include "tap.h"
#include "util.h"

static char *tmp;

static void
put(const char *rel, const char *text, mode_t mode)
{
	char *p = xasprintf("%s/%s", tmp, rel);
	FILE *f = fopen(p, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
		chmod(p, mode);
	}
	free(p);
}

static void
dir(const char *rel)
{
	char *p = xasprintf("%s/%s", tmp, rel);

	mkdir(p, 0755);
	free(p);
}

static char *
slurp(const char *rel)
{
	char *p = xasprintf("%s/%s", tmp, rel);
	struct buf b = {0};

	if (read_file(p, 1 << 20, &b) != 0) {
		buf_free(&b);
		free(p);
		return NULL;
	}
	free(p);
	return buf_steal(&b);
}

static mode_t
mode_of(const char *rel)
{
	char *p = xasprintf("%s/%s", tmp, rel);
	struct stat st;
	mode_t m = stat(p, &st) == 0 ? st.st_mode & 07777 : 0;

	free(p);
	return m;
}

static bool
exists(const char *rel)
{
	char *p = xasprintf("%s/%s", tmp, rel);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

static long
find_dir(const struct skills_source *s, const char *rel)
{
	size_t i;

	for (i = 0; i < s->ndirs; i++)
		if (strcmp(s->dirs[i], rel) == 0)
			return (long)i;
	return -1;
}

static const struct skills_file *
find_file(const struct skills_source *s, const char *rel)
{
	size_t i;

	for (i = 0; i < s->nfiles; i++)
		if (strcmp(s->files[i].rel, rel) == 0)
			return &s->files[i];
	return NULL;
}

struct notes {
	int copied, kept;
	bool claude_copied;
};

static void
note(void *arg, const char *remote_path, bool copied)
{
	struct notes *n = arg;

	if (copied)
		n->copied++;
	else
		n->kept++;
	if (copied && str_ends(remote_path, "/CLAUDE.md"))
		n->claude_copied = true;
}

int
main(void)
{
	char tmpl[] = "/tmp/cc-unit-skills-XXXXXX";
	struct skills_source src;
	const struct skills_file *sf;
	struct config cfg;
	struct remote *r;
	struct peer p;
	struct notes n;
	char *e = NULL, *s, *home;

	if ((tmp = mkdtemp(tmpl)) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	home = xasprintf("%s/home", tmp);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	memset(&cfg, 0, sizeof(cfg));

	/* ---- shared_dir missing, or empty ---- */
	cfg.skills.shared_dir = xasprintf("%s/none", tmp);
	ok(skills_source_load(&cfg, &src, &e) == 1,
	    "a missing shared_dir is nothing to copy");
	ok(e && strstr(e, "skills.shared_dir") &&
	    strstr(e, "No such file or directory"), "... saying why");
	free(e);
	e = NULL;
	free(cfg.skills.shared_dir);
	dir("empty");
	cfg.skills.shared_dir = xasprintf("%s/empty", tmp);
	ok(skills_source_load(&cfg, &src, &e) == 0, "an empty shared_dir");
	ok(src.claude_md == NULL && src.skills_dir == NULL &&
	    src.nfiles == 0, "... has nothing");
	skills_source_free(&src);
	free(cfg.skills.shared_dir);

	/* ---- a shared tree ---- */
	dir("shared");
	dir("shared/.claude");
	dir("shared/.claude/skills");
	dir("shared/.claude/skills/a");
	dir("shared/.claude/skills/b");
	dir("shared/.claude/skills/b/c d");
	put("shared/CLAUDE.md", "shared rules\n", 0644);
	put("shared/.claude/skills/top.md", "top\n", 0644);
	put("shared/.claude/skills/a/SKILL.md", "a\n", 0644);
	put("shared/.claude/skills/a/run.sh", "#!/bin/sh\n", 0755);
	put("shared/.claude/skills/b/c d/it's;$(x).md", "deep\n", 0600);
	s = xasprintf("%s/shared/.claude/skills/a/loop", tmp);
	ok(symlink("..", s) == 0, "a link back up the tree");
	free(s);
	s = xasprintf("%s/shared/.claude/skills/dangling", tmp);
	ok(symlink("/nonexistent", s) == 0, "a dangling link");
	free(s);
	s = xasprintf("%s/shared/.claude/skills/fifo", tmp);
	ok(mkfifo(s, 0600) == 0, "a fifo");
	free(s);

	cfg.skills.shared_dir = xasprintf("%s/shared", tmp);
	ok(skills_source_load(&cfg, &src, &e) == 0, "load the shared tree");
	ok(src.claude_md && str_ends(src.claude_md, "/shared/CLAUDE.md"),
	    "... CLAUDE.md");
	ok(src.skills_dir && str_ends(src.skills_dir, "/shared/.claude/skills"),
	    "... the skills dir");
	is_int(src.ndirs, 3, "... three directories (the loop not followed)");
	ok(find_dir(&src, "a") >= 0 && find_dir(&src, "b") >= 0 &&
	    find_dir(&src, "b/c d") >= 0, "... a, b, b/c d");
	ok(find_dir(&src, "b") < find_dir(&src, "b/c d"),
	    "... parents before children");
	is_int(src.nfiles, 4, "... four regular files (no link, no fifo)");
	sf = find_file(&src, "a/run.sh");
	ok(sf && sf->mode == 0755, "... run.sh keeps its executable bit");
	sf = find_file(&src, "b/c d/it's;$(x).md");
	ok(sf && sf->mode == 0644, "... others are 0644");
	ok(find_file(&src, "top.md") && find_file(&src, "a/SKILL.md"),
	    "... top.md, a/SKILL.md");

	/* ---- sync into a project on a local peer ---- */
	memset(&p, 0, sizeof(p));
	p.id = "local";
	p.transport = TRANSPORT_LOCAL;
	if ((r = remote_open(NULL, &p, &e)) == NULL) {
		ok(0, "remote_open local");
		return tap_done();
	}
	dir("home/proj");
	dir("home/proj/.claude");
	dir("home/proj/.claude/skills");
	dir("home/proj/.claude/skills/mine");
	put("home/proj/.claude/skills/mine/SKILL.md", "mine\n", 0644);
	memset(&n, 0, sizeof(n));
	ok(skills_sync(&src, r, "~/proj", note, &n, &e) == 0,
	    "sync into ~/proj");
	ok(n.claude_copied && n.copied == 5 && n.kept == 0,
	    "... CLAUDE.md and four skill files copied");
	s = slurp("home/proj/CLAUDE.md");
	is_str(s, "shared rules\n", "... CLAUDE.md, since the project had none");
	free(s);
	s = slurp("home/proj/.claude/skills/b/c d/it's;$(x).md");
	is_str(s, "deep\n", "... a hostile name, nested");
	free(s);
	is_int(mode_of("home/proj/.claude/skills/a/run.sh"), 0755,
	    "... mode 0755 kept");
	ok(exists("home/proj/.claude/skills/mine/SKILL.md"),
	    "... the project's own skills stay (merge)");
	ok(!exists("home/proj/.claude/skills/skills"), "... no skills/skills");
	ok(!exists("home/proj/.claude/skills/a/loop"), "... no link copied");

	put("home/proj/CLAUDE.md", "the project's own\n", 0644);
	memset(&n, 0, sizeof(n));
	ok(skills_sync(&src, r, "~/proj", note, &n, &e) == 0, "sync again");
	ok(!n.claude_copied && n.kept == 1 && n.copied == 4,
	    "... CLAUDE.md kept, skills copied");
	s = slurp("home/proj/CLAUDE.md");
	is_str(s, "the project's own\n", "... the project's CLAUDE.md untouched");
	free(s);

	memset(&n, 0, sizeof(n));
	ok(skills_sync(&src, r, "~/new project", NULL, NULL, &e) == 0,
	    "sync into a project that does not exist yet");
	ok(exists("home/new project/CLAUDE.md") &&
	    exists("home/new project/.claude/skills/top.md"), "... creates it");

	remote_close(r);
	skills_source_free(&src);
	free(cfg.skills.shared_dir);
	{
		char *q = shell_quote(tmp), *cmd = xasprintf("rm -rf %s", q);
		(void)system(cmd);
		free(cmd);
		free(q);
	}
	free(home);
	return tap_done();
}
