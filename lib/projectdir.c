/* projectdir.c — see projectdir.h. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "pathname.h"
#include "projectdir.h"
#include "shquote.h"
#include "util.h"

char *
projectdir_git_repo(const char *arg)
{
	size_t n = strlen(arg);
	const char *s, *c;
	char *t, *name;
	bool url = false;

	while (n > 1 && arg[n - 1] == '/')
		n--;
	t = xstrndup(arg, n);
	if (str_starts(t, "http://") || str_starts(t, "https://") ||
	    str_starts(t, "ssh://") || str_starts(t, "git://") ||
	    str_starts(t, "file://"))
		url = strchr(strchr(t, ':') + 3, '/') != NULL;
	else if (str_starts(t, "git@") && strchr(t, ':') != NULL)
		url = true;
	else if ((t[0] == '/' || t[0] == '~') && str_ends(t, ".git"))
		url = true;	/* a local (bare) repository */
	if (!url) {
		free(t);
		return NULL;
	}
	s = strrchr(t, '/');
	c = strrchr(t, ':');
	if (c && (s == NULL || c > s))
		s = c;
	name = xstrdup(s ? s + 1 : t);
	free(t);
	if (str_ends(name, ".git"))
		name[strlen(name) - 4] = '\0';
	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
		free(name);
		return NULL;
	}
	return name;
}

int
projectdir_resolve(const char *project_path, const char *arg,
    struct projectdir *pd, char **errmsg)
{
	const char *root = project_path && *project_path ? project_path :
	    PROJECTDIR_DEFAULT_ROOT;
	char *repo;

	memset(pd, 0, sizeof(*pd));
	if (*arg == '\0') {
		*errmsg = xstrdup("empty path");
		return -1;
	}
	if ((repo = projectdir_git_repo(arg)) != NULL) {
		pd->path = pathname_join(root, repo);
		pd->clone_url = xstrdup(arg);
		free(repo);
	} else if (arg[0] == '/' || arg[0] == '~')
		pd->path = xstrdup(arg);
	else
		pd->path = pathname_join(root, arg);
	return 0;
}

void
projectdir_free(struct projectdir *pd)
{
	free(pd->path);
	free(pd->clone_url);
	memset(pd, 0, sizeof(*pd));
}

char *
projectdir_script(const struct projectdir *pd)
{
	struct buf cmd = {0};

	buf_puts(&cmd, "t=");
	buf_shell_quote_path(&cmd, pd->path);
	buf_putc(&cmd, '\n');
	if (pd->clone_url) {
		buf_puts(&cmd, "u=");
		buf_shell_quote_path(&cmd, pd->clone_url);
		buf_puts(&cmd, "\n"
		    "if [ ! -d \"$t\" ]; then\n"
		    "  mkdir -p \"$(dirname \"$t\")\" || exit 1\n"
		    "  git clone -q -- \"$u\" \"$t\" </dev/null >&2 || exit 1\n"
		    "fi\n");
	} else
		buf_puts(&cmd, "mkdir -p -- \"$t\" || exit 1\n");
	buf_puts(&cmd, "printf '%s\\n' \"$t\"\n");
	return buf_steal(&cmd);
}
