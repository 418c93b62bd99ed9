/* startpath.c — see startpath.h.  The three git URL patterns of
 * upstream-engine.md §13, each anchored at both ends, in regex terms:
 *
 *	https?://(www\.)?github\.com/OWNER/REPO(\.git)?/?
 *	git@HOST:OWNER/REPO(\.git)?		HOST: [\w.-]+
 *	https?://HOST/PATH/REPO(\.git)?/?	PATH: one or more characters
 *
 * OWNER, REPO and HOST contain no '/'; REPO is matched lazily, so one
 * ".git" is dropped from it when something is left. */
#include "startpath.h"
#include "pathname.h"
#include "util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* REPO without one trailing ".git" (when that leaves something). */
static char *
repo_name(const char *s, size_t n)
{
	if (n > 4 && memcmp(s + n - 4, ".git", 4) == 0)
		n -= 4;
	return xstrndup(s, n);
}

/* After "http://" or "https://", or NULL. */
static const char *
after_scheme(const char *url)
{
	if (str_starts(url, "https://"))
		return url + 8;
	if (str_starts(url, "http://"))
		return url + 7;
	return NULL;
}

static char *
github_https(const char *url)
{
	const char *r = after_scheme(url), *owner, *repo;
	size_t n;

	if (r == NULL)
		return NULL;
	if (str_starts(r, "www."))
		r += 4;
	if (!str_starts(r, "github.com/"))
		return NULL;
	owner = r + strlen("github.com/");
	repo = strchr(owner, '/');
	if (repo == NULL || repo == owner)
		return NULL;
	repo++;
	n = strlen(repo);
	if (n > 0 && repo[n - 1] == '/')
		n--;	/* the optional trailing slash */
	if (n == 0 || memchr(repo, '/', n) != NULL)
		return NULL;
	return repo_name(repo, n);
}

static bool
host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	    (unsigned char)c >= 0x80;
}

static char *
git_scp(const char *url)
{
	const char *p, *owner, *repo;

	if (!str_starts(url, "git@"))
		return NULL;
	for (p = url + 4; host_char(*p); p++)
		;
	if (p == url + 4 || *p != ':')
		return NULL;
	owner = p + 1;
	repo = strchr(owner, '/');
	if (repo == NULL || repo == owner)
		return NULL;
	repo++;
	if (*repo == '\0' || strchr(repo, '/') != NULL)
		return NULL;
	return repo_name(repo, strlen(repo));
}

static char *
generic_https(const char *url)
{
	const char *host = after_scheme(url), *rest, *last;
	size_t n;

	if (host == NULL)
		return NULL;
	rest = strchr(host, '/');
	if (rest == NULL || rest == host)
		return NULL;
	rest++;
	n = strlen(rest);
	if (n > 0 && rest[n - 1] == '/')
		n--;	/* the optional trailing slash */
	/* PATH "/" REPO: the last '/', with something on both sides. */
	for (last = rest + n; last > rest && last[-1] != '/'; last--)
		;
	if (last <= rest + 1 || last == rest + n)
		return NULL;
	return repo_name(last, (size_t)(rest + n - last));
}

void
startpath_resolve(const char *raw, const char *project_path, char **path,
    char **git_url)
{
	char *repo = NULL;

	*git_url = NULL;
	if (raw[0] == '/' || raw[0] == '~') {
		*path = xstrdup(raw);
		return;
	}
	if ((repo = github_https(raw)) != NULL || (repo = git_scp(raw)) != NULL ||
	    (repo = generic_https(raw)) != NULL) {
		*path = pathname_join(project_path, repo);
		*git_url = xstrdup(raw);
		free(repo);
		return;
	}
	*path = pathname_join(project_path, raw);
}
