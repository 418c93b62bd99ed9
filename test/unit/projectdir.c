/* Unit tests for lib/projectdir: git URL -> repository name, the /start
 * path rules, and the script run on a real local peer (mkdir with hostile
 * names, ~ as $HOME, a local git repository cloned once). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "projectdir.h"
#include "remote.h"
#include "shquote.h"
#include "tap.h"
#include "util.h"

static void
repo_is(const char *arg, const char *want)
{
	char *got = projectdir_git_repo(arg), name[256];

	snprintf(name, sizeof(name), "git repo of \"%s\"", arg);
	is_str(got, want, name);
	free(got);
}

static void
resolve_is(const char *root, const char *arg, const char *path,
    const char *url)
{
	struct projectdir pd;
	char *e = NULL, name[256];

	snprintf(name, sizeof(name), "resolve \"%s\" under \"%s\"", arg,
	    root ? root : "(null)");
	if (!ok(projectdir_resolve(root, arg, &pd, &e) == 0, name)) {
		free(e);
		return;
	}
	is_str(pd.path, path, name);
	is_str(pd.clone_url, url, name);
	projectdir_free(&pd);
}

static int
is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int
sh(const char *fmt, const char *arg)
{
	char *q = shell_quote(arg), *cmd = xasprintf(fmt, q, q);
	int rc = system(cmd);

	free(cmd);
	free(q);
	return rc;
}

/* Create arg on the local peer under root; the printed path or NULL. */
static char *
create(struct remote *r, const char *root, const char *arg, char **e)
{
	struct projectdir pd;
	char *path = NULL;

	if (projectdir_resolve(root, arg, &pd, e) != 0)
		return NULL;
	if (projectdir_create(r, &pd, &path, e) != 0)
		path = NULL;
	projectdir_free(&pd);
	return path;
}

int
main(void)
{
	char tmpl[] = "/tmp/cc-unit-projectdir-XXXXXX";
	char *home, *root, *got, *want, *e = NULL;
	struct remote *r;
	struct peer p;

	/* ---- git URLs ---- */
	repo_is("https://github.com/o/r.git", "r");
	repo_is("https://github.com/o/r", "r");
	repo_is("https://github.com/o/r/", "r");
	repo_is("https://github.com/o/r.git/", "r");
	repo_is("https://github.com/o/r.git///", "r");
	repo_is("http://host/a/b/r", "r");
	repo_is("https://host/a/b/r", "r");
	repo_is("git@github.com:o/r.git", "r");
	repo_is("git@host:r.git", "r");
	repo_is("git@host:r", "r");
	repo_is("ssh://git@host:2222/o/r.git", "r");
	repo_is("git://host/r", "r");
	repo_is("file:///x/r.git", "r");
	repo_is("file:///x/r", "r");
	repo_is("/local/path/r.git", "r");
	repo_is("/local/path/r.git/", "r");
	repo_is("~/repos/my repo.git", "my repo");
	/* not git URLs: paths and names are used as they are */
	repo_is("/local/path/r", NULL);
	repo_is("myproject", NULL);
	repo_is("r.git", NULL);
	repo_is("a/b.git", NULL);
	repo_is("~", NULL);
	repo_is("~/x", NULL);
	repo_is("/", NULL);
	repo_is("", NULL);
	repo_is("https://host", NULL);
	repo_is("https://host/", NULL);
	repo_is("git@host", NULL);
	/* URLs without a usable name */
	repo_is("https://host/.git", NULL);
	repo_is("git@host:", NULL);
	repo_is("/x/..git", NULL);
	repo_is("/x/...git", NULL);

	/* ---- the /start rules ---- */
	resolve_is("~/P", "/abs/x", "/abs/x", NULL);
	resolve_is("~/P", "/", "/", NULL);
	resolve_is("~/P", "~", "~", NULL);
	resolve_is("~/P", "~/x", "~/x", NULL);
	resolve_is("~/P", "~/x/", "~/x/", NULL);
	resolve_is("~/P", "name", "~/P/name", NULL);
	resolve_is("~/P/", "name", "~/P/name", NULL);
	resolve_is("/srv", "a/b", "/srv/a/b", NULL);
	resolve_is("/srv", "a b;$(x)", "/srv/a b;$(x)", NULL);
	resolve_is(NULL, "name", "~/Projects/name", NULL);
	resolve_is("", "name", "~/Projects/name", NULL);
	resolve_is("~/P", "https://github.com/o/r.git", "~/P/r",
	    "https://github.com/o/r.git");
	resolve_is("/srv", "git@host:o/r.git", "/srv/r", "git@host:o/r.git");
	resolve_is("/srv", "/repos/r.git", "/srv/r", "/repos/r.git");
	resolve_is(NULL, "file:///x/r.git/", "~/Projects/r",
	    "file:///x/r.git/");
	{
		struct projectdir pd;

		ok(projectdir_resolve("~/P", "", &pd, &e) == -1,
		    "an empty argument is refused");
		is_str(e, "empty path", "... with a message");
		free(e);
		e = NULL;
	}

	/* ---- on a real local peer ---- */
	if (mkdtemp(tmpl) == NULL) {
		ok(0, "mkdtemp");
		return tap_done();
	}
	home = xasprintf("%s/home", tmpl);
	root = xasprintf("%s/proj ects", tmpl);
	mkdir(home, 0700);
	setenv("HOME", home, 1);
	memset(&p, 0, sizeof(p));
	p.id = "local";
	p.transport = TRANSPORT_LOCAL;
	if ((r = remote_open(NULL, &p, &e)) == NULL) {
		ok(0, "remote_open local");
		free(e);
		return tap_done();
	}

	got = create(r, root, "it's; $(touch pwned) `id`", &e);
	want = xasprintf("%s/it's; $(touch pwned) `id`", root);
	is_str(got, want, "a hostile name is created under project_path");
	ok(is_dir(want), "... as exactly that directory");
	ok(access("pwned", F_OK) != 0, "... and nothing in it ran");
	free(got);
	free(want);

	got = create(r, root, "~/sub dir", &e);
	want = xasprintf("%s/sub dir", home);
	is_str(got, want, "~/x is the peer's $HOME/x, printed absolute");
	ok(is_dir(want), "... and created");
	free(got);
	free(want);

	got = create(r, root, "~", &e);
	is_str(got, home, "~ alone is the peer's $HOME");
	free(got);

	/* a local repository (not bare) named *.git, cloned once */
	{
		char *src = xasprintf("%s/src repo.git", tmpl), *marker;

		ok(sh("git init -q %s && cd %s && echo hi >f && git add f && "
		    "git -c user.email=t@t -c user.name=t commit -qm one",
		    src) == 0, "a local git repository");
		got = create(r, root, src, &e);
		want = xasprintf("%s/src repo", root);
		is_str(got, want, "a git URL is cloned to project_path/REPO");
		marker = xasprintf("%s/f", want);
		ok(access(marker, F_OK) == 0, "... with its files");
		free(got);
		free(marker);
		marker = xasprintf("%s/mine", want);
		(void)sh("touch %s", marker);
		got = create(r, root, src, &e);
		is_str(got, want, "a second prepare gives the same path");
		ok(access(marker, F_OK) == 0, "... without cloning again");
		free(got);
		free(marker);
		free(want);
		free(src);
	}
	{
		char *bad = xasprintf("%s/nothing here.git", tmpl);

		got = create(r, root, bad, &e);
		ok(got == NULL, "a clone that fails is an error");
		ok(e && str_starts(e, "clone: "), "... saying clone: ...");
		free(e);
		e = NULL;
		free(bad);
	}

	remote_close(r);
	(void)sh("rm -rf %s", tmpl);
	free(home);
	free(root);
	return tap_done();
}
