/* web.h — cc-web: the web UI.  A bridge like the others (its platform is
 * the browser, its channels web:ID), with its own cc-engine behind it, and
 * a dashboard of the head's state, served by libevent's evhttp.  See
 * cc-web(1).
 *
 * The parts: web.c (the server: listening, TLS, the Host/Origin/cookie/
 * CSRF checks, routes, the engine's life), web_chat.c (the channels, their
 * recent events, the bridge platform, SSE clients), web_dash.c (peers'
 * status from cc-deploy children, sessions from the registry, cc-head's
 * status), web_page.c (the HTML pages), webauth.h (password, sessions,
 * rate limit), md_html.h (escaping, Markdown), engine_child.h. */
#ifndef CC_WEB_H
#define CC_WEB_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Exit statuses (cc-bridge(7)): 5 configuration or password unusable. */
#define WEB_EXIT_FAIL	1
#define WEB_EXIT_CONFIG	5

struct web_opts {
	const char *bind;		/* NULL: webui.host */
	int port;			/* -1: webui.port; 0: any free port */
	const char *passwd_path;	/* NULL: ~/.codecast/web-password */
	const char *port_file;		/* write the bound port there */
	bool tls;			/* HTTPS on loopback too */
	const char *tls_cert, *tls_key;	/* NULL: ~/.codecast/web-{cert,key}.pem */
	char *const *allow_hosts;	/* more Host names to accept */
	size_t nallow;
	double refresh;			/* peer status every N s (0: 10) */
	const char *files_dir;		/* NULL: ~/.codecast/web-files */
};

/* Serve until SIGTERM/SIGINT.  Returns the exit status. */
int web_run(const struct config *cfg, const struct web_opts *o);

/* `cc-web passwd`: read a new password (twice from the terminal, or one
 * line from standard input when it is not one) and store its hash. */
int web_passwd(const char *path);

#endif
