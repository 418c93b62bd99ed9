/* pathname.c — see pathname.h. */
#include <string.h>

#include "pathname.h"
#include "util.h"

char *
pathname_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	return xasprintf("%s%s%s", dir, n && dir[n - 1] == '/' ? "" : "/", name);
}

char *
pathname_base(const char *path)
{
	size_t n = strlen(path);
	const char *s;

	while (n > 1 && path[n - 1] == '/')
		n--;
	for (s = path + n; s > path && s[-1] != '/'; s--)
		;
	return xstrndup(s, (size_t)(path + n - s));
}
