/* urlhost.c — see urlhost.h. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "urlhost.h"
#include "util.h"

/* The host of an http(s) URL (malloc'd, brackets kept) and its port (0
 * when none), or NULL. */
char *
url_host(const char *url, int *port)
{
	const char *h, *e, *p;
	long long v;
	char *ps;

	*port = 0;
	if (strncasecmp(url, "http://", 7) == 0)
		h = url + 7;
	else if (strncasecmp(url, "https://", 8) == 0)
		h = url + 8;
	else
		return NULL;
	e = h + strcspn(h, "/?#");
	if (*h == '[') {
		p = memchr(h, ']', (size_t)(e - h));
		if (p == NULL)
			return NULL;
		p++;
	} else {
		p = memchr(h, ':', (size_t)(e - h));
		if (p == NULL)
			p = e;
	}
	if (p < e && *p == ':') {
		ps = xstrndup(p + 1, (size_t)(e - p - 1));
		if (str_to_ll(ps, 1, 65535, &v))
			*port = (int)v;
		free(ps);
	}
	return xstrndup(h, (size_t)(p - h));
}

bool
host_is_loopback(const char *h)
{
	return strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 ||
	    (strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") == strlen(h));
}

bool
url_cleartext(const char *url)
{
	int port;
	char *h;
	bool clear;

	if (strncasecmp(url, "http://", 7) != 0)
		return false;
	h = url_host(url, &port);
	clear = h == NULL || !host_is_loopback(h);
	free(h);
	return clear;
}
