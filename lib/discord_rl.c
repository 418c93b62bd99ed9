/* discord_rl.c — Discord's REST rate-limit buckets.  See discord_rl.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "discord_rl.h"
#include "strmap.h"
#include "util.h"

#define MAX_STATES	4096	/* bucket states kept before old ones go */

struct state {
	long long reset_at;	/* ms; the window ends */
	long remaining;		/* calls left in the window */
	long limit;
	long long window;	/* ms: the longest Reset-After heard */
};

struct dc_rl {
	struct strmap routes;	/* route → bucket id (malloc'd) */
	struct strmap states;	/* "bucket|major" → struct state */
	size_t nstates;
	long long global_until;
	unsigned long n429;
};

struct dc_rl *
dc_rl_new(void)
{
	return xcalloc(1, sizeof(struct dc_rl));
}

void
dc_rl_free(struct dc_rl *rl)
{
	if (rl == NULL)
		return;
	strmap_free_with(&rl->routes, NULL);
	strmap_free_with(&rl->states, NULL);
	free(rl);
}

static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

void
dc_route(const char *method, const char *path, char **route, char **major,
    bool *exempt)
{
	struct buf r = { 0 }, m = { 0 };
	size_t end = strcspn(path, "?#");
	const char *prev = "", *prev2 = "";
	size_t prevn = 0, prev2n = 0;

	*exempt = false;
	buf_puts(&r, method);
	buf_putc(&r, ' ');
	for (size_t i = 0; i < end;) {
		size_t n;
		const char *seg;

		if (path[i] == '/') {
			i++;
			continue;
		}
		seg = path + i;
		n = strcspn(seg, "/?#");
		if (n > end - i)
			n = end - i;
		buf_putc(&r, '/');
		if ((prevn == 8 && strncmp(prev, "channels", 8) == 0) ||
		    (prevn == 6 && strncmp(prev, "guilds", 6) == 0) ||
		    (prevn == 8 && strncmp(prev, "webhooks", 8) == 0) ||
		    (prev2n == 8 && strncmp(prev2, "webhooks", 8) == 0 &&
		    all_digits(prev, prevn))) {
			/* A major parameter: the webhook's token too. */
			if (m.len)
				buf_putc(&m, '/');
			buf_append(&m, seg, n);
			buf_puts(&r, "{}");
		} else if (prevn == 12 && strncmp(prev, "interactions", 12) == 0) {
			*exempt = true;
			buf_puts(&r, ":id");
		} else if (prev2n == 12 && strncmp(prev2, "interactions", 12) == 0)
			buf_puts(&r, ":token");
		else if (all_digits(seg, n))
			buf_puts(&r, ":id");
		else
			buf_append(&r, seg, n);
		prev2 = prev;
		prev2n = prevn;
		prev = seg;
		prevn = n;
		i += n;
	}
	*route = buf_steal(&r);
	*major = buf_steal(&m);
}

/* The state of a route's bucket for its major, or NULL when the route's
 * bucket is not known yet.  create: make it when missing. */
static struct state *
state_of(struct dc_rl *rl, const char *route, const char *major, bool create)
{
	const char *bucket = strmap_get(&rl->routes, route);
	char *key;
	struct state *s;

	if (bucket == NULL)
		return NULL;
	key = xasprintf("%s|%s", bucket, major);
	s = strmap_get(&rl->states, key);
	if (s == NULL && create) {
		s = xcalloc(1, sizeof(*s));
		s->remaining = -1;	/* unknown */
		strmap_put(&rl->states, key, s);
		rl->nstates++;
	}
	free(key);
	return s;
}

static long long
wait_for(struct dc_rl *rl, const char *method, const char *path, long long now,
    bool take)
{
	char *route, *major;
	bool exempt;
	struct state *s;
	long long w = 0;

	dc_route(method, path, &route, &major, &exempt);
	if (!exempt && rl->global_until > now)
		w = rl->global_until - now;
	s = state_of(rl, route, major, false);
	if (s && s->remaining >= 0) {
		if (now >= s->reset_at && s->limit > 0) {
			/* The window passed: full again, and a new one
			 * starts no earlier than now. */
			s->remaining = s->limit;
			s->reset_at = now + s->window;
		}
		if (s->remaining <= 0 && s->reset_at > now && s->reset_at - now > w)
			w = s->reset_at - now;
		if (w == 0 && take && s->remaining > 0)
			s->remaining--;
	}
	free(route);
	free(major);
	return w;
}

long long
dc_rl_acquire(struct dc_rl *rl, const char *method, const char *path, long long now)
{
	return wait_for(rl, method, path, now, true);
}

long long
dc_rl_peek(struct dc_rl *rl, const char *method, const char *path, long long now)
{
	return wait_for(rl, method, path, now, false);
}

static bool
num(const char *s, double *out)
{
	char *end;
	double d;

	if (s == NULL)
		return false;
	d = strtod(s, &end);
	if (end == s || !isfinite(d) || d < 0 || d > 1e9)
		return false;
	*out = d;
	return true;
}

struct prune {
	struct dc_rl *rl;
	long long now;
	char **keys;
	size_t n;
};

static void
collect_old(const char *k, void *v, void *arg)
{
	struct prune *p = arg;
	struct state *s = v;

	if (s->reset_at < p->now - 60000) {
		p->keys = xreallocarray(p->keys, p->n + 1, sizeof(char *));
		p->keys[p->n++] = xstrdup(k);
	}
}

/* Forget windows that ended a minute ago (they would be full again). */
static void
prune(struct dc_rl *rl, long long now)
{
	struct prune p = { rl, now, NULL, 0 };

	strmap_each(&rl->states, collect_old, &p);
	for (size_t i = 0; i < p.n; i++) {
		free(strmap_del(&rl->states, p.keys[i]));
		free(p.keys[i]);
		rl->nstates--;
	}
	free(p.keys);
}

void
dc_rl_learn(struct dc_rl *rl, const char *method, const char *path,
    const struct dc_rl_answer *a, long long now)
{
	char *route, *major;
	bool exempt;
	struct state *s;
	double limit, remaining, reset_after;
	bool global = false;

	dc_route(method, path, &route, &major, &exempt);
	if (a->status == 429) {
		rl->n429++;
		global = a->body_global || (a->global && strcasecmp(a->global, "true") == 0) ||
		    (a->scope && strcasecmp(a->scope, "global") == 0);
	}
	if (global) {
		long long until = now + (long long)ceil(a->retry_after * 1000);

		if (until > rl->global_until)
			rl->global_until = until;
		goto out;
	}
	if (a->bucket && *a->bucket) {
		const char *old = strmap_get(&rl->routes, route);

		if (old == NULL || strcmp(old, a->bucket) != 0)
			free(strmap_put(&rl->routes, route, xstrdup(a->bucket)));
	} else if (strmap_get(&rl->routes, route) == NULL) {
		if (a->status != 429)
			goto out;	/* nothing learnt */
		/* A 429 on a route with no bucket yet: one of its own. */
		strmap_put(&rl->routes, route, xstrdup(route));
	}
	s = state_of(rl, route, major, true);
	if (a->status == 429) {
		long long until = now + (long long)ceil(a->retry_after * 1000);

		s->remaining = 0;
		if (until > s->reset_at)
			s->reset_at = until;
		if (num(a->limit, &limit))
			s->limit = (long)limit;
		goto out;
	}
	if (!num(a->remaining, &remaining) || !num(a->reset_after, &reset_after))
		goto out;
	{
		long long reset_at = now + (long long)ceil(reset_after * 1000);

		if (num(a->limit, &limit))
			s->limit = (long)limit;
		if (reset_at - now > s->window)
			s->window = reset_at - now;
		if (s->remaining < 0 || reset_at > s->reset_at + 50) {
			/* A new window (or the first we hear of). */
			s->remaining = (long)remaining;
			s->reset_at = reset_at;
		} else {
			/* The same window: never more calls, never an earlier
			 * end than the server says (our own estimate of a
			 * window that began with our call is early by the
			 * call's way there). */
			if ((long)remaining < s->remaining)
				s->remaining = (long)remaining;
			if (reset_at > s->reset_at)
				s->reset_at = reset_at;
		}
	}
	if (rl->nstates > MAX_STATES)
		prune(rl, now);
out:
	free(route);
	free(major);
}

unsigned long
dc_rl_429s(const struct dc_rl *rl)
{
	return rl->n429;
}
