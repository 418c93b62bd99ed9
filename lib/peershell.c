/* peershell.c — see peershell.h. */
#include <stdlib.h>
#include <string.h>

#include "peershell.h"

int
peershell_run(struct remote *r, const char *what, const char *cmd,
    struct buf *out, char **errmsg)
{
	struct buf eb = {0};
	char *e = NULL;
	int status = -1;

	if (remote_exec(r, cmd, NULL, 0, out, &eb, &status, &e) != 0) {
		*errmsg = xasprintf("%s: %s", what, e ? e : "failed");
		free(e);
		buf_free(&eb);
		return -1;
	}
	if (status != 0) {
		buf_append(&eb, "", 0);
		eb.s[strcspn(eb.s, "\n")] = '\0';
		if (*eb.s)
			*errmsg = xasprintf("%s: %s", what, eb.s);
		else
			*errmsg = xasprintf("%s: exit status %d", what, status);
		buf_free(&eb);
		return -1;
	}
	buf_free(&eb);
	if (out)
		buf_append(out, "", 0);
	return 0;
}

char *
peershell_abs_path(struct remote *r, const char *path, char **errmsg)
{
	struct buf out = {0};
	char *s;

	if (!(path[0] == '~' && (path[1] == '\0' || path[1] == '/')))
		return xstrdup(path);
	if (peershell_run(r, "$HOME", "printf '%s' \"$HOME\"", &out,
	    errmsg) != 0) {
		buf_free(&out);
		return NULL;
	}
	if (out.len == 0 || out.s[0] != '/') {
		buf_free(&out);
		*errmsg = xstrdup("$HOME is not set on the peer");
		return NULL;
	}
	s = xasprintf("%s%s", out.s, path + 1);
	buf_free(&out);
	return s;
}
