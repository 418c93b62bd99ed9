/* fwdpath.c — see fwdpath.h.
 *
 * The path pattern of upstream-engine.md §9.1, in Python regex terms:
 *
 *	(?<![`\w:/])((?:/|~/)(?:[\w.~-]+/)*[\w.-]+\.(\w+))(?![`\w])
 *
 * matched without a regex engine.  The text is decoded to code points
 * first (\w: uc_is_word, utf8.h).  What Python's backtracking finds at a
 * start position is then deterministic:
 *  - each directory segment [\w.~-]+/ must end at a '/', which the class
 *    does not contain, so it is the whole run of class characters up to that
 *    '/': the possible ends of the directory part form a chain d0 < d1 < ...,
 *    tried deepest first;
 *  - after a directory end d the file name [\w.-]+ \. \w+ (?![`\w]) can only
 *    end where a maximal \w run ends (a shorter run would be followed by a
 *    \w), so it is the last '.' of the name's run (not its first character)
 *    followed by a \w run that is not followed by a backtick.
 * best(d) is the match end from directory end d (the deepest directory end
 * reachable from d that has a file name); it does not depend on the start,
 * so it is memoised and the whole scan is linear in the text. */
#include "fwdpath.h"
#include "utf8.h"
#include "util.h"

#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void
pathlist_free(struct pathlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void
pathlist_add(struct pathlist *l, char *s)
{
	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = s;
}

#define UNKNOWN	(-2)
#define NOMATCH	(-1)

struct scan {
	uint32_t *cp;	/* code points */
	size_t *off;	/* byte offset of each; off[n] is the text's length */
	size_t n;
	long *best;	/* memo of best(), UNKNOWN until computed */
};

static bool
word(const struct scan *t, size_t i)
{
	return i < t->n && uc_is_word(t->cp[i]);
}

static bool
is_cp(const struct scan *t, size_t i, uint32_t c)
{
	return i < t->n && t->cp[i] == c;
}

/* [\w.~-] */
static bool
dir_char(const struct scan *t, size_t i)
{
	return word(t, i) || is_cp(t, i, '.') || is_cp(t, i, '~') ||
	    is_cp(t, i, '-');
}

/* [\w.-] */
static bool
file_char(const struct scan *t, size_t i)
{
	return word(t, i) || is_cp(t, i, '.') || is_cp(t, i, '-');
}

/* The end of [\w.-]+\.\w+(?![`\w]) at d (longest first), or NOMATCH. */
static long
file_end(const struct scan *t, size_t d)
{
	size_t run = d, j, e;

	while (file_char(t, run))
		run++;
	/* The dot at j: at least one name character before it. */
	for (j = run; j > d + 1; j--) {
		if (!is_cp(t, j - 1, '.'))
			continue;
		e = j;
		while (word(t, e))
			e++;
		if (e > j && !is_cp(t, e, '`'))
			return (long)e;
	}
	return NOMATCH;
}

/* The directory end after the segment at p ([\w.~-]+/), or 0 when none. */
static size_t
next_dir(const struct scan *t, size_t p)
{
	size_t q = p;

	while (dir_char(t, q))
		q++;
	return q > p && is_cp(t, q, '/') ? q + 1 : 0;
}

/* The match end for directory end p: the deepest directory end of the chain
 * from p whose file name matches. */
static long
best(struct scan *t, size_t p)
{
	size_t *chain = NULL, n = 0, cap = 0, q = p;
	long r;

	/* Walk down to a known or last directory end... */
	while (t->best[q] == UNKNOWN) {
		size_t next = next_dir(t, q);

		if (n == cap) {
			cap = cap ? 2 * cap : 16;
			chain = xreallocarray(chain, cap, sizeof(*chain));
		}
		chain[n++] = q;
		if (next == 0)
			break;
		q = next;
	}
	/* ...and resolve back up: a deeper match wins. */
	r = t->best[q] == UNKNOWN ? NOMATCH : t->best[q];
	while (n > 0) {
		q = chain[--n];
		if (r == NOMATCH)
			r = file_end(t, q);
		t->best[q] = r;
	}
	free(chain);
	return t->best[p];
}

void
fwd_find_paths(const char *text, struct pathlist *out)
{
	struct scan t;
	size_t len = strlen(text), i, p;

	out->v = NULL;
	out->n = 0;
	t.cp = xreallocarray(NULL, len + 1, sizeof(*t.cp));
	t.off = xreallocarray(NULL, len + 1, sizeof(*t.off));
	t.n = 0;
	for (i = 0; i < len;) {
		t.off[t.n] = i;
		i += utf8_decode(text + i, len - i, &t.cp[t.n]);
		t.n++;
	}
	t.off[t.n] = len;
	t.best = xreallocarray(NULL, t.n + 1, sizeof(*t.best));
	for (i = 0; i <= t.n; i++)
		t.best[i] = UNKNOWN;

	for (i = 0; i < t.n;) {
		long e;

		/* (?<![`\w:/]) */
		if (i > 0 && (word(&t, i - 1) || is_cp(&t, i - 1, '`') ||
		    is_cp(&t, i - 1, ':') || is_cp(&t, i - 1, '/'))) {
			i++;
			continue;
		}
		if (is_cp(&t, i, '/'))
			p = i + 1;
		else if (is_cp(&t, i, '~') && is_cp(&t, i + 1, '/'))
			p = i + 2;
		else {
			i++;
			continue;
		}
		e = best(&t, p);
		if (e == NOMATCH) {
			i++;
			continue;
		}
		pathlist_add(out, xstrndup(text + t.off[i], t.off[e] - t.off[i]));
		i = (size_t)e;
	}
	free(t.cp);
	free(t.off);
	free(t.best);
}

/* The seen set: open addressing on FNV-1a, grown at half full. */
struct fwd_seen {
	char **slot;
	size_t cap, n;
};

struct fwd_seen *
fwd_seen_new(void)
{
	struct fwd_seen *s = xcalloc(1, sizeof(*s));

	s->cap = 16;
	s->slot = xcalloc(s->cap, sizeof(*s->slot));
	return s;
}

void
fwd_seen_free(struct fwd_seen *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
	free(s);
}

static uint64_t
fnv1a(const char *p)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	return h;
}

/* The slot for path: where it is, or the empty one where it would go. */
static char **
seen_slot(char **slot, size_t cap, const char *path)
{
	size_t i = (size_t)fnv1a(path) & (cap - 1);

	while (slot[i] != NULL && strcmp(slot[i], path) != 0)
		i = (i + 1) & (cap - 1);
	return &slot[i];
}

/* Add path (taking it); false when it was there already (path freed). */
static bool
seen_add(struct fwd_seen *s, char *path)
{
	char **at = seen_slot(s->slot, s->cap, path);

	if (*at != NULL) {
		free(path);
		return false;
	}
	*at = path;
	if (++s->n * 2 > s->cap) {
		size_t ncap = s->cap * 2;
		char **nslot = xcalloc(ncap, sizeof(*nslot));

		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i] != NULL)
				*seen_slot(nslot, ncap, s->slot[i]) = s->slot[i];
		free(s->slot);
		s->slot = nslot;
		s->cap = ncap;
	}
	return true;
}

void
fwd_detect(struct fwd_seen *s, const char *text, struct pathlist *out)
{
	struct pathlist all;

	fwd_find_paths(text, &all);
	out->v = NULL;
	out->n = 0;
	for (size_t i = 0; i < all.n; i++) {
		if (seen_add(s, xstrdup(all.v[i])))
			pathlist_add(out, all.v[i]);
		else
			free(all.v[i]);
	}
	free(all.v);
}

void
fwd_decide(const struct config *cfg, const char *path, long long size,
    struct fwd_decision *d)
{
	const char *slash = strrchr(path, '/');
	const char *name = slash != NULL ? slash + 1 : path;
	long long max = cfg->file_forward.default_max_size;
	bool autosend = cfg->file_forward.default_auto;
	char *src;

	d->rule = NULL;
	for (size_t i = 0; i < cfg->file_forward.nrules; i++) {
		const struct forward_rule *r = &cfg->file_forward.rules[i];

		if (r->pattern != NULL && fnmatch(r->pattern, name, FNM_NOESCAPE) == 0) {
			d->rule = r;
			max = r->max_size;
			autosend = r->autosend;
			break;
		}
	}
	if (size > 0 && max > 0 && size > max) {
		d->action = FWD_NOTIFY;
		d->reason = xasprintf("File size (%.1fMB) exceeds limit (%.1fMB).",
		    (double)size / (1024 * 1024), (double)max / (1024 * 1024));
		return;
	}
	src = d->rule != NULL ? xasprintf("rule '%s'", d->rule->pattern) :
	    xstrdup("default rule");
	d->action = autosend ? FWD_AUTO_SEND : FWD_NOTIFY;
	d->reason = xasprintf("Matched %s (%s).", src,
	    autosend ? "auto-send" : "notify only");
	free(src);
}

void
fwd_decision_free(struct fwd_decision *d)
{
	free(d->reason);
	d->reason = NULL;
}
