/* urlhost.h — the host and port of an http(s) URL, and whether a secret
 * sent to it would travel in clear text.  No libcurl: cc-tunnel uses it. */
#ifndef CC_URLHOST_H
#define CC_URLHOST_H

#include <stdbool.h>

/* The host of an http:// or https:// URL (malloc'd, an IPv6 address keeps
 * its brackets) and its port (*port 0 when none); NULL for anything else. */
char *url_host(const char *url, int *port);
/* localhost, [::1] or 127.x.y.z. */
bool host_is_loopback(const char *host);
/* True for an http:// URL whose host is not loopback. */
bool url_cleartext(const char *url);

#endif
