/* projectdir_peer.c — projectdir_create, apart from the rest of projectdir
 * so that a program resolving directories (cc-engine) does not link the
 * SSH code this one runs the script with.  See projectdir.h. */
#include <stdlib.h>

#include "peershell.h"
#include "projectdir.h"
#include "util.h"

int
projectdir_create(struct remote *r, const struct projectdir *pd,
    char **path, char **errmsg)
{
	char *script = projectdir_script(pd);
	struct buf out = {0};
	int rc;

	rc = peershell_run(r, pd->clone_url ? "clone" : "mkdir", script, &out,
	    errmsg);
	free(script);
	if (rc != 0) {
		buf_free(&out);
		return -1;
	}
	/* The script printed the path and one newline. */
	if (out.len > 0 && out.s[out.len - 1] == '\n')
		out.s[--out.len] = '\0';
	*path = buf_steal(&out);
	return 0;
}
