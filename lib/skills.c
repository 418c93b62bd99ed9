/* skills.c — see skills.h. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "pathname.h"
#include "paths.h"
#include "peershell.h"
#include "shquote.h"
#include "skills.h"
#include "util.h"

/* Directories already walked (by device and inode): a symbolic link back
 * up the tree is not followed twice. */
struct seen {
	struct { dev_t dev; ino_t ino; } *v;
	size_t n;
};

static bool
seen_add(struct seen *s, const struct stat *st)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].dev == st->st_dev && s->v[i].ino == st->st_ino)
			return false;
	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	s->v[s->n].dev = st->st_dev;
	s->v[s->n].ino = st->st_ino;
	s->n++;
	return true;
}

static void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/* Walk the directory abs (rel below the skills root, "" for the root) in
 * directory order, parents first.  Only the root's failure is an error. */
static int
walk(struct skills_source *src, struct seen *seen, const char *abs,
    const char *rel, char **errmsg)
{
	struct dirent *de;
	char **names = NULL;
	size_t nnames = 0, i;
	DIR *d;

	if ((d = opendir(abs)) == NULL) {
		if (*rel == '\0') {
			*errmsg = xasprintf("%s: %s", abs, strerror(errno));
			return -1;
		}
		return 0;	/* unreadable: skipped */
	}
	/* Read the names first, so open directories do not pile up. */
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		names = xreallocarray(names, nnames + 1, sizeof(*names));
		names[nnames++] = xstrdup(de->d_name);
	}
	if (errno != 0 && *rel == '\0') {
		*errmsg = xasprintf("%s: %s", abs, strerror(errno));
		closedir(d);
		strv_free(names, nnames);
		return -1;
	}
	closedir(d);
	if (*rel) {
		src->dirs = xreallocarray(src->dirs, src->ndirs + 1,
		    sizeof(*src->dirs));
		src->dirs[src->ndirs++] = xstrdup(rel);
	}
	for (i = 0; i < nnames; i++) {
		char *cabs = pathname_join(abs, names[i]);
		char *crel = *rel ? pathname_join(rel, names[i]) :
		    xstrdup(names[i]);
		struct stat st;

		if (stat(cabs, &st) != 0)
			;	/* dangling link or gone: skipped */
		else if (S_ISDIR(st.st_mode)) {
			if (seen_add(seen, &st))
				(void)walk(src, seen, cabs, crel, errmsg);
		} else if (S_ISREG(st.st_mode)) {
			src->files = xreallocarray(src->files, src->nfiles + 1,
			    sizeof(*src->files));
			src->files[src->nfiles].rel = crel;
			src->files[src->nfiles++].mode = st.st_mode & 0111 ?
			    0755 : 0644;
			crel = NULL;
		}
		free(cabs);
		free(crel);
	}
	strv_free(names, nnames);
	return 0;
}

int
skills_source_load(const struct config *cfg, struct skills_source *src,
    char **errmsg)
{
	struct seen seen = {0};
	struct stat st;
	char *claude_md, *skills;
	int rc = 0;

	memset(src, 0, sizeof(*src));
	src->dir = path_expand_tilde(cfg->skills.shared_dir ?
	    cfg->skills.shared_dir : "./skills");
	errno = 0;
	if (stat(src->dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		*errmsg = xasprintf("skills.shared_dir %s: %s", src->dir,
		    strerror(errno ? errno : ENOTDIR));
		skills_source_free(src);
		return 1;
	}
	claude_md = pathname_join(src->dir, "CLAUDE.md");
	if (stat(claude_md, &st) == 0 && S_ISREG(st.st_mode))
		src->claude_md = claude_md;
	else
		free(claude_md);
	skills = pathname_join(src->dir, ".claude/skills");
	if (stat(skills, &st) == 0 && S_ISDIR(st.st_mode)) {
		src->skills_dir = skills;
		seen_add(&seen, &st);
		rc = walk(src, &seen, skills, "", errmsg);
	} else
		free(skills);
	free(seen.v);
	if (rc != 0)
		skills_source_free(src);
	return rc;
}

void
skills_source_free(struct skills_source *src)
{
	size_t i;

	free(src->dir);
	free(src->claude_md);
	free(src->skills_dir);
	strv_free(src->dirs, src->ndirs);
	for (i = 0; i < src->nfiles; i++)
		free(src->files[i].rel);
	free(src->files);
	memset(src, 0, sizeof(*src));
}

/* CLAUDE.md into root unless root has one. */
static int
sync_claude_md(const struct skills_source *src, struct remote *r,
    const char *root, skills_note_fn note, void *arg, char **errmsg)
{
	char *dest = pathname_join(root, "CLAUDE.md"), *e = NULL;
	struct buf cmd = {0}, out = {0};
	int rc = -1;

	buf_puts(&cmd, "mkdir -p ");
	buf_shell_quote(&cmd, root);
	buf_puts(&cmd, " && if [ -e ");
	buf_shell_quote(&cmd, dest);
	buf_puts(&cmd, " ]; then echo exists; fi");
	if (peershell_run(r, "skills", cmd.s, &out, errmsg) != 0)
		goto out;
	if (strstr(out.s, "exists") == NULL) {
		if (remote_put(r, src->claude_md, dest, 0644, NULL, NULL,
		    &e) != 0) {
			*errmsg = xasprintf("%s: %s", dest, e ? e : "failed");
			free(e);
			goto out;
		}
		if (note)
			note(arg, dest, true);
	} else if (note)
		note(arg, dest, false);
	rc = 0;
out:
	buf_free(&cmd);
	buf_free(&out);
	free(dest);
	return rc;
}

/* The skills tree merged into root/.claude/skills: all directories in one
 * round trip, then file by file. */
static int
sync_skills_dir(const struct skills_source *src, struct remote *r,
    const char *root, skills_note_fn note, void *arg, char **errmsg)
{
	char *droot = pathname_join(root, ".claude/skills"), *e = NULL;
	struct buf cmd = {0};
	size_t i;
	int rc = -1;

	buf_puts(&cmd, "mkdir -p ");
	buf_shell_quote(&cmd, droot);
	for (i = 0; i < src->ndirs; i++) {
		char *d = pathname_join(droot, src->dirs[i]);

		buf_putc(&cmd, ' ');
		buf_shell_quote(&cmd, d);
		free(d);
	}
	if (peershell_run(r, "skills", cmd.s, NULL, errmsg) != 0)
		goto out;
	for (i = 0; i < src->nfiles; i++) {
		char *from = pathname_join(src->skills_dir, src->files[i].rel);
		char *to = pathname_join(droot, src->files[i].rel);
		int put = remote_put(r, from, to, src->files[i].mode, NULL,
		    NULL, &e);

		if (put != 0) {
			*errmsg = xasprintf("%s: %s", to, e ? e : "failed");
			free(e);
		} else if (note)
			note(arg, to, true);
		free(from);
		free(to);
		if (put != 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&cmd);
	free(droot);
	return rc;
}

int
skills_sync(const struct skills_source *src, struct remote *r,
    const char *project, skills_note_fn note, void *arg, char **errmsg)
{
	char *root;
	int rc = 0;

	if ((root = peershell_abs_path(r, project, errmsg)) == NULL)
		return -1;
	if (src->claude_md)
		rc = sync_claude_md(src, r, root, note, arg, errmsg);
	if (rc == 0 && src->skills_dir)
		rc = sync_skills_dir(src, r, root, note, arg, errmsg);
	free(root);
	return rc;
}
