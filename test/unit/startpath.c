/* Unit tests for lib/startpath: the §13 vectors and the /start path cases of
 * §17.2. */
#include <stdio.h>
#include <stdlib.h>

#include "startpath.h"
#include "tap.h"

static void
resolves(const char *raw, const char *project, const char *want_path,
    const char *want_url)
{
	char *path = NULL, *url = NULL, name[200];

	startpath_resolve(raw, project, &path, &url);
	snprintf(name, sizeof(name), "%s in %s: path", raw, project);
	is_str(path, want_path, name);
	snprintf(name, sizeof(name), "%s in %s: git url", raw, project);
	is_str(url, want_url, name);
	free(path);
	free(url);
}

int
main(void)
{
	const char *pp = "~/Projects";

	/* §13 vectors. */
	resolves("/home/user/project", pp, "/home/user/project", NULL);
	resolves("~/myproject", pp, "~/myproject", NULL);
	resolves("myapp", pp, "~/Projects/myapp", NULL);
	resolves("foo/bar", pp, "~/Projects/foo/bar", NULL);
	resolves("myapp", "~/workspace", "~/workspace/myapp", NULL);
	resolves("https://github.com/user/repo", pp, "~/Projects/repo",
	    "https://github.com/user/repo");
	resolves("https://github.com/user/repo.git", pp, "~/Projects/repo",
	    "https://github.com/user/repo.git");
	resolves("https://github.com/user/repo/", pp, "~/Projects/repo",
	    "https://github.com/user/repo/");
	resolves("git@github.com:user/repo.git", pp, "~/Projects/repo",
	    "git@github.com:user/repo.git");
	resolves("git@github.com:user/repo", pp, "~/Projects/repo",
	    "git@github.com:user/repo");
	resolves("https://gitlab.com/org/subgroup/repo.git", pp, "~/Projects/repo",
	    "https://gitlab.com/org/subgroup/repo.git");
	resolves("https://github.com/user", pp, "~/Projects/https://github.com/user", NULL);
	resolves("http://example.com/docs/page", pp, "~/Projects/page",
	    "http://example.com/docs/page");

	/* §17.2 /start cases. */
	resolves("~/Projects/myapp", pp, "~/Projects/myapp", NULL);
	resolves("https://github.com/user/repo", pp, "~/Projects/repo",
	    "https://github.com/user/repo");
	resolves("myapp", "~/workspace", "~/workspace/myapp", NULL);

	/* Edges. */
	resolves("~user/x", pp, "~user/x", NULL);
	resolves("./x", pp, "~/Projects/./x", NULL);
	resolves("../x", pp, "~/Projects/../x", NULL);
	resolves("http://www.github.com/o/r.git", pp, "~/Projects/r",
	    "http://www.github.com/o/r.git");
	resolves("https://github.com/o/r.git.git", pp, "~/Projects/r.git",
	    "https://github.com/o/r.git.git");
	resolves("https://github.com/o/.git", pp, "~/Projects/.git",
	    "https://github.com/o/.git");
	resolves("https://github.com/o/r//", pp, "~/Projects/https://github.com/o/r//", NULL);
	resolves("https://host//repo", pp, "~/Projects/https://host//repo", NULL);
	resolves("https://h/a//repo", pp, "~/Projects/repo", "https://h/a//repo");
	resolves("git@my-host.example:team/tool", pp, "~/Projects/tool",
	    "git@my-host.example:team/tool");
	resolves("git@host:team/sub/tool.git", pp, "~/Projects/git@host:team/sub/tool.git", NULL);
	resolves("git@:team/tool", pp, "~/Projects/git@:team/tool", NULL);
	resolves("git@host:/tool", pp, "~/Projects/git@host:/tool", NULL);
	resolves("ftp://h/a/b", pp, "~/Projects/ftp://h/a/b", NULL);
	resolves("myapp", "~/Projects/", "~/Projects/myapp", NULL);
	return tap_done();
}
