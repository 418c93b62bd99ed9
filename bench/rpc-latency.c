/* rpc-latency — benchmark helper for bench/rpc.sh: reads NDJSON lines on
 * stdin, and for each line carrying "ts":NS (CLOCK_MONOTONIC nanoseconds
 * when the server wrote it) records how long ago that was; at EOF prints
 * "count median_us p90_us p99_us max_us". */
#define _GNU_SOURCE
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int
cmp(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

int
main(void)
{
	char *line = NULL;
	size_t cap = 0, n = 0, vcap = 0;
	long long *v = NULL;
	ssize_t len;

	while ((len = getline(&line, &cap, stdin)) != -1) {
		struct timespec now;
		char *t;

		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((t = strstr(line, "\"ts\":")) == NULL)
			continue;
		if (n == vcap) {
			vcap = vcap ? vcap * 2 : 1024;
			if ((v = realloc(v, vcap * sizeof(*v))) == NULL)
				err(1, "realloc");
		}
		v[n++] = (long long)now.tv_sec * 1000000000LL + now.tv_nsec -
		    strtoll(t + 5, NULL, 10);
	}
	if (n == 0)
		errx(1, "no timestamped lines");
	qsort(v, n, sizeof(*v), cmp);
	printf("%zu %.1f %.1f %.1f %.1f\n", n, v[n / 2] / 1e3,
	    v[n * 9 / 10] / 1e3, v[n * 99 / 100] / 1e3, v[n - 1] / 1e3);
	return 0;
}
