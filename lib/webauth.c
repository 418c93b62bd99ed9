/* webauth.c — cc-web's password, login sessions and login rate limit.
 * See webauth.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <sodium.h>

#include "paths.h"
#include "util.h"
#include "webauth.h"

#define MAX_CLIENTS	256

struct client {
	char *addr;
	long long window;	/* start of its window */
	int fails;
};

struct webauth {
	struct websess *s;
	size_t n, max;
	long long ttl, idle;
	struct client clients[MAX_CLIENTS];
	size_t nclients;
	long long gwindow;
	int gfails;
};

static void
init_sodium(void)
{
	if (sodium_init() == -1)
		abort();
}

char *
webauth_default_path(void)
{
	return path_state("web-password");
}

char *
webauth_hash(const char *pw, size_t len)
{
	char out[crypto_pwhash_STRBYTES];

	init_sodium();
	if (crypto_pwhash_str_alg(out, pw, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return NULL;
	return xstrdup(out);
}

bool
webauth_check(const char *hash, const char *pw, size_t len)
{
	init_sodium();
	if (hash == NULL || strncmp(hash, "$argon2id$", 10) != 0)
		return false;
	return crypto_pwhash_str_verify(hash, pw, len) == 0;
}

int
webauth_save(const char *path, const char *hash, char **err)
{
	char *tmp;
	int fd, rc = 0;

	if (mkdir_parent(path, 0700) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd == -1) {
		*err = xasprintf("%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	if (write_all(fd, hash, strlen(hash)) == -1 || write_all(fd, "\n", 1) == -1 ||
	    fsync(fd) == -1)
		rc = -1;
	if (close(fd) == -1)
		rc = -1;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -1;
	if (rc == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		(void)unlink(tmp);
	}
	free(tmp);
	return rc;
}

int
webauth_load(const char *path, char **hash, char **err)
{
	struct buf b = { 0 };
	struct stat st;
	int fd;

	*hash = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd == -1) {
		if (errno == ENOENT)
			return 1;
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || read_fd(fd, 4096, &b) == -1) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		close(fd);
		buf_free(&b);
		return -1;
	}
	close(fd);
	if (st.st_mode & 077) {
		*err = xasprintf("%s: readable by others (chmod 600 it, or set the "
		    "password again with cc-web passwd)", path);
		buf_free(&b);
		return -1;
	}
	str_trim(b.s ? b.s : (char *)"");
	if (b.s == NULL || strncmp(b.s, "$argon2id$", 10) != 0) {
		*err = xasprintf("%s: not an argon2id hash (set the password with "
		    "cc-web passwd)", path);
		buf_free(&b);
		return -1;
	}
	*hash = buf_steal(&b);
	return 0;
}

void
webauth_random_token(char *out)
{
	unsigned char r[32];

	init_sodium();
	randombytes_buf(r, sizeof(r));
	sodium_bin2base64(out, WEBAUTH_TOKEN_LEN + 1, r, sizeof(r),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(r, sizeof(r));
}

struct webauth *
webauth_new(long long ttl_ms, long long idle_ms, size_t max_sessions)
{
	struct webauth *a = xcalloc(1, sizeof(*a));

	init_sodium();
	a->ttl = ttl_ms;
	a->idle = idle_ms;
	a->max = max_sessions ? max_sessions : 1;
	a->s = xcalloc(a->max, sizeof(*a->s));
	return a;
}

void
webauth_free(struct webauth *a)
{
	if (a == NULL)
		return;
	sodium_memzero(a->s, a->max * sizeof(*a->s));
	free(a->s);
	for (size_t i = 0; i < a->nclients; i++)
		free(a->clients[i].addr);
	free(a);
}

static void
drop(struct webauth *a, size_t i)
{
	sodium_memzero(&a->s[i], sizeof(a->s[i]));
	memmove(&a->s[i], &a->s[i + 1], (a->n - i - 1) * sizeof(a->s[0]));
	a->n--;
	sodium_memzero(&a->s[a->n], sizeof(a->s[0]));
}

static void
expire(struct webauth *a, long long now)
{
	size_t i = 0;

	while (i < a->n) {
		if (now - a->s[i].created >= a->ttl || now - a->s[i].used >= a->idle)
			drop(a, i);
		else
			i++;
	}
}

const struct websess *
webauth_login(struct webauth *a, long long now)
{
	struct websess *s;

	expire(a, now);
	if (a->n == a->max)
		drop(a, 0);	/* the oldest */
	s = &a->s[a->n++];
	webauth_random_token(s->token);
	webauth_random_token(s->csrf);
	s->created = s->used = now;
	return s;
}

/* Constant time for equal lengths; tokens have one length. */
static bool
tok_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb || la != WEBAUTH_TOKEN_LEN)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

const struct websess *
webauth_find(struct webauth *a, const char *token, long long now)
{
	struct websess *found = NULL;

	if (token == NULL)
		return NULL;
	expire(a, now);
	/* Look at every session, so the time says nothing about which. */
	for (size_t i = 0; i < a->n; i++)
		if (tok_eq(a->s[i].token, token))
			found = &a->s[i];
	if (found)
		found->used = now;
	return found;
}

void
webauth_logout(struct webauth *a, const char *token)
{
	for (size_t i = 0; token && i < a->n; i++)
		if (tok_eq(a->s[i].token, token)) {
			drop(a, i);
			return;
		}
}

bool
webauth_csrf_ok(const struct websess *s, const char *tok)
{
	return s && tok && tok_eq(s->csrf, tok);
}

size_t
webauth_count(const struct webauth *a)
{
	return a->n;
}

static struct client *
client_get(struct webauth *a, const char *addr, long long now, bool create)
{
	size_t i, oldest = 0;

	for (i = 0; i < a->nclients; i++)
		if (strcmp(a->clients[i].addr, addr) == 0)
			return &a->clients[i];
	if (!create)
		return NULL;
	if (a->nclients < MAX_CLIENTS) {
		i = a->nclients++;
	} else {
		for (i = 1; i < a->nclients; i++)
			if (a->clients[i].window < a->clients[oldest].window)
				oldest = i;
		i = oldest;
		free(a->clients[i].addr);
	}
	a->clients[i].addr = xstrdup(addr);
	a->clients[i].window = now;
	a->clients[i].fails = 0;
	return &a->clients[i];
}

static long
left_s(long long window, long long now)
{
	long long ms = window + WEBAUTH_WINDOW_MS - now;

	return ms <= 1000 ? 1 : (long)((ms + 999) / 1000);
}

bool
webauth_may_try(struct webauth *a, const char *client, long long now,
    long *retry_s)
{
	struct client *c = client_get(a, client, now, false);

	if (now - a->gwindow >= WEBAUTH_WINDOW_MS) {
		a->gwindow = now;
		a->gfails = 0;
	}
	if (a->gfails >= WEBAUTH_GLOBAL_FAILS) {
		*retry_s = left_s(a->gwindow, now);
		return false;
	}
	if (c && now - c->window < WEBAUTH_WINDOW_MS &&
	    c->fails >= WEBAUTH_CLIENT_FAILS) {
		*retry_s = left_s(c->window, now);
		return false;
	}
	return true;
}

void
webauth_failed(struct webauth *a, const char *client, long long now)
{
	struct client *c = client_get(a, client, now, true);

	if (now - c->window >= WEBAUTH_WINDOW_MS) {
		c->window = now;
		c->fails = 0;
	}
	c->fails++;
	if (now - a->gwindow >= WEBAUTH_WINDOW_MS) {
		a->gwindow = now;
		a->gfails = 0;
	}
	a->gfails++;
}
