/* webauth: argon2id hashes, the 0600 password file, sessions (tokens,
 * CSRF, expiry by age and by idleness, the cap), the login rate limit. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "tap.h"
#include "util.h"
#include "webauth.h"

int
main(void)
{
	char dir[] = "/tmp/webauth.XXXXXX", *path, *h, *h2, *err = NULL, *got;
	struct webauth *a;
	const struct websess *s, *s2;
	char tok[WEBAUTH_TOKEN_LEN + 1], bad[WEBAUTH_TOKEN_LEN + 1];
	struct stat st;
	long retry = 0;
	int i;

	h = webauth_hash("correct horse", 13);
	ok(h && strncmp(h, "$argon2id$", 10) == 0, "an argon2id hash");
	ok(webauth_check(h, "correct horse", 13), "the password matches");
	ok(!webauth_check(h, "correct hors", 12), "a shorter one does not");
	ok(!webauth_check(h, "Correct horse", 13), "nor another");
	h2 = webauth_hash("correct horse", 13);
	ok(strcmp(h, h2) != 0, "salted: two hashes of one password differ");
	ok(!webauth_check("$argon2i$v=19$m=4096,t=3,p=1$c2FsdHNhbHQ$aGFzaA", "x", 1),
	    "another algorithm is refused");
	free(h2);

	ok(mkdtemp(dir) != NULL, "tmp dir");
	path = xasprintf("%s/sub/web-password", dir);
	is_int(webauth_load(path, &got, &err), 1, "no file: 1");
	ok(webauth_save(path, h, &err) == 0, "saved");
	ok(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "the file is 0600");
	{
		char *d = xasprintf("%s/sub", dir);

		ok(stat(d, &st) == 0 && (st.st_mode & 0777) == 0700, "its directory 0700");
		free(d);
	}
	is_int(webauth_load(path, &got, &err), 0, "loaded");
	is_str(got, h, "the same hash");
	free(got);
	chmod(path, 0644);
	is_int(webauth_load(path, &got, &err), -1, "readable by others: refused");
	ok(err && strstr(err, "readable by others"), "and says so");
	free(err);
	err = NULL;
	chmod(path, 0600);
	{
		FILE *f = fopen(path, "w");

		fputs("salt:0123abcd\n", f);	/* upstream's sha256 format */
		fclose(f);
	}
	is_int(webauth_load(path, &got, &err), -1, "not argon2id: refused");
	free(err);
	err = NULL;
	unlink(path);
	free(path);
	path = xasprintf("%s/sub", dir);
	rmdir(path);
	free(path);
	rmdir(dir);
	free(h);

	webauth_random_token(tok);
	is_int(strlen(tok), WEBAUTH_TOKEN_LEN, "a token is 43 characters");
	ok(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
	    == WEBAUTH_TOKEN_LEN, "base64url");

	a = webauth_new(10000, 3000, 2);
	s = webauth_login(a, 0);
	strcpy(tok, s->token);
	ok(strcmp(s->token, s->csrf) != 0, "cookie and CSRF tokens differ");
	ok(webauth_find(a, tok, 1000) != NULL, "found by its token");
	strcpy(bad, tok);
	bad[0] = bad[0] == 'A' ? 'B' : 'A';
	ok(webauth_find(a, bad, 1000) == NULL, "one character off: not found");
	ok(webauth_find(a, "short", 1000) == NULL, "a short token: not found");
	ok(webauth_find(a, NULL, 1000) == NULL, "no cookie: not found");
	s = webauth_find(a, tok, 1000);
	ok(webauth_csrf_ok(s, s->csrf), "its CSRF token is accepted");
	ok(!webauth_csrf_ok(s, tok), "the cookie token is not a CSRF token");
	ok(!webauth_csrf_ok(s, ""), "an empty one is not");
	ok(webauth_find(a, tok, 3900) != NULL, "used within the idle time: alive");
	ok(webauth_find(a, tok, 6800) != NULL, "still (each use renews idleness)");
	ok(webauth_find(a, tok, 9700) != NULL, "again");
	ok(webauth_find(a, tok, 10000) == NULL, "at its age limit: gone");
	s = webauth_login(a, 20000);
	strcpy(tok, s->token);
	ok(webauth_find(a, tok, 23001) == NULL, "idle too long: gone");
	s = webauth_login(a, 30000);
	strcpy(tok, s->token);
	s2 = webauth_login(a, 30001);
	strcpy(bad, s2->token);
	webauth_login(a, 30002);
	is_int(webauth_count(a), 2, "at most two sessions");
	ok(webauth_find(a, tok, 30003) == NULL, "the oldest went first");
	ok(webauth_find(a, bad, 30003) != NULL, "the newer stays");
	webauth_logout(a, bad);
	ok(webauth_find(a, bad, 30004) == NULL, "logged out");

	for (i = 0; i < WEBAUTH_CLIENT_FAILS; i++) {
		ok(webauth_may_try(a, "10.0.0.1", 100000 + i, &retry), "a try allowed");
		webauth_failed(a, "10.0.0.1", 100000 + i);
	}
	ok(!webauth_may_try(a, "10.0.0.1", 100010, &retry), "the sixth within a minute: refused");
	ok(retry >= 59 && retry <= 60, "retry after the window");
	ok(webauth_may_try(a, "10.0.0.2", 100010, &retry), "another client may");
	ok(webauth_may_try(a, "10.0.0.1", 160000, &retry), "after the window: allowed");
	for (i = 0; i < WEBAUTH_GLOBAL_FAILS; i++) {
		char addr[32];

		snprintf(addr, sizeof(addr), "10.1.%d.%d", i / 200, i % 200);
		webauth_failed(a, addr, 200000 + i);
	}
	ok(!webauth_may_try(a, "10.9.9.9", 200100, &retry), "30 failures from many: everyone waits");
	ok(webauth_may_try(a, "10.9.9.9", 260100, &retry), "until the window has passed");
	webauth_free(a);
	return tap_done();
}
