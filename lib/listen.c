/* listen.c — the port of an evhttp listener, and the port file.  See
 * listen.h. */
#include <sys/socket.h>
#include <netinet/in.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/http.h>

#include "listen.h"
#include "paths.h"
#include "util.h"

int
port_file_write(const char *path, int port)
{
	char *tmp, *s;
	int fd, rc = 0;

	if (mkdir_parent(path, 0700) == -1)
		return -1;
	tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1) {
		free(tmp);
		return -1;
	}
	s = xasprintf("%d\n", port);
	if (write_all(fd, s, strlen(s)) == -1)
		rc = -1;
	if (close(fd) == -1)
		rc = -1;
	if (rc == 0 && rename(tmp, path) == -1)
		rc = -1;
	if (rc == -1)
		(void)unlink(tmp);
	free(s);
	free(tmp);
	return rc;
}

int
listen_port(struct evhttp_bound_socket *h)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	evutil_socket_t fd = evhttp_bound_socket_get_fd(h);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == -1)
		return -1;
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	return -1;
}
