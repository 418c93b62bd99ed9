/* listen.h — what the HTTP servers (cc-daemon, cc-web, cc-lark's callback
 * mode) share around an evhttp listener: the port it was bound to (port 0
 * asks the kernel for a free one) and the port file that tells it to tests
 * and scripts. */
#ifndef CC_LISTEN_H
#define CC_LISTEN_H

struct evhttp_bound_socket;

/* The port h is bound to, or -1. */
int listen_port(struct evhttp_bound_socket *h);
/* Write "PORT\n" to path atomically (a temporary file renamed), mode 0600,
 * the parent directory created 0700 when missing.  0, or -1 with errno. */
int port_file_write(const char *path, int port);

#endif
