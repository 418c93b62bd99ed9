/* transfer.c — see transfer.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "pathname.h"
#include "paths.h"
#include "peershell.h"
#include "shquote.h"
#include "transfer.h"
#include "util.h"

int
transfer_check_files(char *const *files, size_t n, char **errmsg)
{
	struct stat st;
	size_t i;

	for (i = 0; i < n; i++) {
		if (stat(files[i], &st) != 0) {
			*errmsg = xasprintf("%s: %s", files[i], strerror(errno));
			return -1;
		}
		if (!S_ISREG(st.st_mode)) {
			*errmsg = xasprintf("%s: not a regular file", files[i]);
			return -1;
		}
	}
	return 0;
}

int
transfer_pool_dir(const struct config *cfg, struct remote *r, char **dir,
    char **errmsg)
{
	const char *rd = cfg->file_pool.remote_dir && *cfg->file_pool.remote_dir ?
	    cfg->file_pool.remote_dir : TRANSFER_POOL_DEFAULT;
	struct buf cmd = {0};
	char *d;
	int rc;

	if ((d = peershell_abs_path(r, rd, errmsg)) == NULL)
		return -1;
	/* Created 0700; then it must be a directory of this user's that
	 * others cannot enter (another user who made it first could swap a
	 * pushed file before the CLI reads it). */
	buf_puts(&cmd, "d=");
	buf_shell_quote(&cmd, d);
	buf_puts(&cmd, "\n"
	    "(umask 077 && mkdir -p \"$d\") || exit 1\n"
	    "if [ -L \"$d\" ] || [ ! -d \"$d\" ]; then echo \"$d: not a directory\" >&2; exit 1; fi\n"
	    "o=$(stat -c %u \"$d\") && m=$(stat -c %a \"$d\") || exit 1\n"
	    "if [ \"$o\" != \"$(id -u)\" ]; then echo \"$d: owned by uid $o, not you; "
	    "refusing to use it (remove it, or set file_pool.remote_dir)\" >&2; exit 1; fi\n"
	    "case $m in *00) ;; *) echo \"$d: mode $m lets other users in; "
	    "refusing to use it (chmod 700 $d)\" >&2; exit 1 ;; esac\n");
	rc = peershell_run(r, "file pool", cmd.s, NULL, errmsg);
	buf_free(&cmd);
	if (rc != 0) {
		free(d);
		return -1;
	}
	*dir = d;
	return 0;
}

char *
transfer_pool_name(const char *dir, const char *local_path,
    const unsigned char id[4])
{
	char *name = pathname_base(local_path), *dest, *c;
	size_t n = strlen(dir);

	for (c = name; *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = '_';
	dest = xasprintf("%s%s%02x%02x%02x%02x_%s", dir,
	    n && dir[n - 1] == '/' ? "" : "/", id[0], id[1], id[2], id[3],
	    name);
	free(name);
	return dest;
}

int
transfer_push(struct remote *r, const char *dir, const char *local_path,
    remote_progress_fn progress, void *arg, char **remote_path,
    char **errmsg)
{
	unsigned char id[4];
	char *dest, *e = NULL;

	if (getrandom(id, sizeof(id), 0) != (ssize_t)sizeof(id)) {
		*errmsg = xasprintf("getrandom: %s", strerror(errno));
		return -1;
	}
	dest = transfer_pool_name(dir, local_path, id);
	if (remote_put(r, local_path, dest, 0600, progress, arg, &e) != 0) {
		*errmsg = xasprintf("%s: %s", local_path, e ? e : "failed");
		free(e);
		free(dest);
		return -1;
	}
	*remote_path = dest;
	return 0;
}

char *
transfer_pull_name(const char *remote_path)
{
	char *name = pathname_base(remote_path);

	if (*name == '\0' || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    strcmp(name, "/") == 0) {
		free(name);
		return NULL;
	}
	return name;
}

int
transfer_download_path(const struct config *cfg, const char *name,
    char **local, char **errmsg)
{
	char *dir = path_expand_tilde(cfg->file_forward.download_dir ?
	    cfg->file_forward.download_dir : TRANSFER_DOWNLOAD_DEFAULT);

	if (mkdir_p(dir, 0700) != 0) {
		*errmsg = xasprintf("%s: %s", dir, strerror(errno));
		free(dir);
		return -1;
	}
	*local = pathname_join(dir, name);
	free(dir);
	return 0;
}

int
transfer_pull(struct remote *r, const char *remote_path, const char *local,
    unsigned long long max_size, remote_progress_fn progress, void *arg,
    char **errmsg)
{
	char *src, *e = NULL;
	int rc = 0;

	if ((src = peershell_abs_path(r, remote_path, errmsg)) == NULL)
		return -1;
	if (remote_get(r, src, local, max_size, progress, arg, &e) != 0) {
		*errmsg = xasprintf("%s: %s", remote_path, e ? e : "failed");
		free(e);
		rc = -1;
	}
	free(src);
	return rc;
}
