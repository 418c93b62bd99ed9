/* webauth.h — cc-web's login: the password (argon2id through libsodium,
 * stored as libsodium's self-describing string in a 0600 file), the login
 * sessions (a random cookie token and a random CSRF token each, expiring),
 * and the login rate limit.
 *
 * Sessions live in memory only: a restart of cc-web logs everyone out.
 * Tokens are 32 random bytes, base64url without padding (43 characters);
 * they are compared in constant time.  At most max_sessions live at once
 * (the oldest goes first).  A session expires ttl_ms after the login, and
 * idle_ms after its last use.
 *
 * Rate limit: each client address may fail 5 times in 60 s, everyone
 * together 30 times in 60 s; past that, logins are refused (even with the
 * right password) until the window has passed, so guessing runs at a few
 * tries a minute at most. */
#ifndef CC_WEBAUTH_H
#define CC_WEBAUTH_H

#include <stdbool.h>
#include <stddef.h>

#define WEBAUTH_TOKEN_LEN	43
#define WEBAUTH_CLIENT_FAILS	5
#define WEBAUTH_GLOBAL_FAILS	30
#define WEBAUTH_WINDOW_MS	60000LL

/* ~/.codecast/web-password (malloc'd). */
char *webauth_default_path(void);

/* libsodium's crypto_pwhash_str (argon2id, interactive limits) of pw.
 * malloc'd, NULL on failure (out of memory). */
char *webauth_hash(const char *pw, size_t len);
/* Does pw match hash? */
bool webauth_check(const char *hash, const char *pw, size_t len);

/* Write hash to path: 0600, temporary name then rename, the directory
 * created 0700.  0, or -1 with *err. */
int webauth_save(const char *path, const char *hash, char **err);
/* Read the hash: 0 with *hash (malloc'd), 1 when there is no file, -1 with
 * *err (unreadable, not an argon2id hash, or readable by others). */
int webauth_load(const char *path, char **hash, char **err);

struct webauth;
struct websess {
	char token[WEBAUTH_TOKEN_LEN + 1];	/* the cookie's value */
	char csrf[WEBAUTH_TOKEN_LEN + 1];	/* forms' hidden field */
	long long created, used;		/* monotonic ms */
};

struct webauth *webauth_new(long long ttl_ms, long long idle_ms,
    size_t max_sessions);
void webauth_free(struct webauth *a);

/* A new session (now: monotonic ms); never NULL. */
const struct websess *webauth_login(struct webauth *a, long long now);
/* The live session of a cookie token (its use time updated), or NULL. */
const struct websess *webauth_find(struct webauth *a, const char *token,
    long long now);
void webauth_logout(struct webauth *a, const char *token);
/* Does tok match the session's CSRF token? */
bool webauth_csrf_ok(const struct websess *s, const char *tok);
size_t webauth_count(const struct webauth *a);

/* May client (its address as text) try a login now?  When not, *retry_s
 * says when it may (seconds, at least 1). */
bool webauth_may_try(struct webauth *a, const char *client, long long now,
    long *retry_s);
/* A failed login of client. */
void webauth_failed(struct webauth *a, const char *client, long long now);

/* 32 random bytes as base64url (out: WEBAUTH_TOKEN_LEN + 1 bytes). */
void webauth_random_token(char *out);

#endif
