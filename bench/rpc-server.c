/* rpc-server — benchmark helper for bench/rpc.sh: a minimal daemon stand-in
 * that answers every POST /rpc with an SSE stream, as fast as it can.
 *
 *   rpc-server bulk N        N events (a ping, N-2 partials, a result) then
 *                            [DONE], the whole chunked body built in advance
 *   rpc-server latency N US  N events, one write each, US microseconds
 *                            apart, each carrying "ts": CLOCK_MONOTONIC ns
 *                            taken just before its write
 *
 * Prints its port (127.0.0.1, chosen by the kernel) on stdout, then serves
 * connections one at a time until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <err.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct sbuf {
	char *s;
	size_t len, cap;
};

static void
put(struct sbuf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		while (b->len + n > b->cap)
			b->cap = b->cap ? b->cap * 2 : 1 << 20;
		if ((b->s = realloc(b->s, b->cap)) == NULL)
			err(1, "realloc");
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
}

static void
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w <= 0)
			return;		/* the client went away */
		p += w;
		n -= (size_t)w;
	}
}

static void
chunk(int fd, const char *p, size_t n)
{
	char h[32];
	int hl = snprintf(h, sizeof(h), "%zx\r\n", n);

	write_all(fd, h, (size_t)hl);
	write_all(fd, p, n);
	write_all(fd, "\r\n", 2);
}

/* Read the request: headers, then Content-Length bytes. */
static void
read_request(int fd)
{
	char buf[65536];
	size_t len = 0;
	char *end;
	long cl = 0;

	for (;;) {
		ssize_t r = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (r <= 0)
			return;
		len += (size_t)r;
		buf[len] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) != NULL)
			break;
		if (len == sizeof(buf) - 1)
			return;
	}
	{
		char *c = strcasestr(buf, "\r\ncontent-length:");

		if (c)
			cl = strtol(c + 17, NULL, 10);
	}
	{
		size_t have = len - (size_t)(end + 4 - buf);

		while ((long)have < cl) {
			ssize_t r = read(fd, buf, sizeof(buf));

			if (r <= 0)
				return;
			have += (size_t)r;
		}
	}
}

static const char HDR[] = "HTTP/1.1 200 OK\r\n"
    "Content-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
    "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";

static const char *WORDS[] = { "the ", "quick ", "brown ", "fox ", "jumps ",
    "over ", "a ", "lazy ", "dog. ", "Then ", "it ", "reads ", "main.c ",
    "and ", "explains ", "— ", "naïve ", "code ", "\\\"quoted\\\" ", "世界 " };

int
main(int argc, char **argv)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	struct sbuf body = { 0 }, ev = { 0 };
	int ls, one = 1;
	long n;

	if (argc < 3)
		errx(2, "usage: rpc-server bulk N | latency N US");
	n = strtol(argv[2], NULL, 10);
	if ((ls = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		err(1, "socket");
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    listen(ls, 16) == -1 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) == -1)
		err(1, "bind");
	printf("%d\n", ntohs(sa.sin_port));
	fflush(stdout);

	if (strcmp(argv[1], "bulk") == 0) {
		/* The body, already chunked in ~64 KiB chunks. */
		struct sbuf raw = { 0 };

		put(&raw, "data: {\"type\":\"ping\"}\n\n", 23);
		for (long i = 1; i < n - 1; i++) {
			char line[256];
			int l = snprintf(line, sizeof(line),
			    "data: {\"type\":\"partial\",\"content\":\"%s\"}\n\n",
			    WORDS[i % 20]);

			put(&raw, line, (size_t)l);
		}
		{
			static const char res[] = "data: {\"type\":\"result\","
			    "\"session_id\":\"bench\",\"raw\":{\"duration_ms\":1,"
			    "\"total_cost_usd\":0.0012}}\n\ndata: [DONE]\n\n";

			put(&raw, res, sizeof(res) - 1);
		}
		for (size_t off = 0; off < raw.len; off += 65536) {
			size_t k = raw.len - off < 65536 ? raw.len - off : 65536;
			char h[32];
			int hl = snprintf(h, sizeof(h), "%zx\r\n", k);

			put(&body, h, (size_t)hl);
			put(&body, raw.s + off, k);
			put(&body, "\r\n", 2);
		}
		put(&body, "0\r\n\r\n", 5);
		free(raw.s);
	}

	for (;;) {
		int fd = accept(ls, NULL, NULL);

		if (fd == -1)
			continue;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		read_request(fd);
		write_all(fd, HDR, sizeof(HDR) - 1);
		if (strcmp(argv[1], "bulk") == 0) {
			write_all(fd, body.s, body.len);
		} else {
			long us = argc > 3 ? strtol(argv[3], NULL, 10) : 1000;
			struct timespec d = { us / 1000000, (us % 1000000) * 1000 };

			for (long i = 0; i < n; i++) {
				struct timespec now;
				char line[256];
				int l;

				clock_gettime(CLOCK_MONOTONIC, &now);
				l = snprintf(line, sizeof(line), "data: {\"type\":"
				    "\"partial\",\"content\":\"w \",\"ts\":%lld}\n\n",
				    (long long)now.tv_sec * 1000000000LL +
				    now.tv_nsec);
				chunk(fd, line, (size_t)l);
				nanosleep(&d, NULL);
			}
			{ static const char fin[] = "data: {\"type\":\"result\"}\n\ndata: [DONE]\n\n"; chunk(fd, fin, sizeof(fin) - 1); }
			write_all(fd, "0\r\n\r\n", 5);
		}
		close(fd);
		(void)ev;
	}
}
