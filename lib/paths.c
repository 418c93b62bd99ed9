/* paths.c — see paths.h. */
#include "paths.h"
#include "util.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *
path_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h && *h)
		return h;
	if ((pw = getpwuid(getuid())) != NULL && pw->pw_dir && *pw->pw_dir)
		return pw->pw_dir;
	return "/";
}

char *
path_expand_tilde(const char *p)
{
	if (p[0] == '~' && (p[1] == '\0' || p[1] == '/'))
		return xasprintf("%s%s", path_home(), p + 1);
	return xstrdup(p);
}

char *
path_state(const char *name)
{
	if (name && *name)
		return xasprintf("%s/.codecast/%s", path_home(), name);
	return xasprintf("%s/.codecast", path_home());
}

int
mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path), *s;
	int rc = 0;

	for (s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) != 0 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	if (rc == 0) {
		struct stat st;
		if (stat(path, &st) != 0)
			rc = -1;
		else if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			rc = -1;
		}
	}
	int saved = errno;
	free(p);
	errno = saved;
	return rc;
}

int
mkdir_parent(const char *path, mode_t mode)
{
	char *d = xstrdup(path), *slash = strrchr(d, '/');
	int rc = 0;

	if (slash && slash != d) {
		*slash = '\0';
		rc = mkdir_p(d, mode);
	}
	int saved = errno;
	free(d);
	errno = saved;
	return rc;
}

char *
state_dir(const char *sub)
{
	char *top = path_state(NULL), *dir;

	if (mkdir_p(top, 0700) != 0) {
		int saved = errno;
		free(top);
		errno = saved;
		return NULL;
	}
	if (sub == NULL || *sub == '\0')
		return top;
	dir = xasprintf("%s/%s", top, sub);
	free(top);
	if (mkdir_p(dir, 0700) != 0) {
		int saved = errno;
		free(dir);
		errno = saved;
		return NULL;
	}
	return dir;
}
