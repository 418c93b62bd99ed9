/* Unit tests for lib/progress: byte counts, the bar line (UTF-8 cut,
 * control characters), drawing and erasing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "progress.h"
#include "tap.h"
#include "util.h"

static void
bytes_is(unsigned long long v, const char *want)
{
	char s[32];

	progress_bytes(s, sizeof(s), v);
	is_str(s, want, want);
}

static void
line_is(const char *name, unsigned long long done, unsigned long long total,
    const char *want)
{
	struct buf b = {0};

	progress_line(&b, "cc-deploy", "gpu", name, done, total);
	is_str(b.s, want, want);
	buf_free(&b);
}

int
main(void)
{
	char *out = NULL;
	size_t outlen = 0;
	struct progress pg;
	FILE *f;

	bytes_is(0, "0 B");
	bytes_is(1023, "1023 B");
	bytes_is(1024, "1.0 KiB");
	bytes_is(1536, "1.5 KiB");
	bytes_is(1024 * 1024, "1.0 MiB");
	bytes_is(200ULL * 1024 * 1024, "200.0 MiB");
	bytes_is(1024ULL * 1024 * 1024, "1.0 GiB");

	line_is("f.bin", 512, 0, "cc-deploy: gpu: f.bin 512 B");
	line_is("f.bin", 0, 200,
	    "cc-deploy: gpu: f.bin [..............................]   0% 0 B/200 B");
	line_is("f.bin", 100, 200,
	    "cc-deploy: gpu: f.bin [###############...............]  50% 100 B/200 B");
	line_is("f.bin", 2048, 2048,
	    "cc-deploy: gpu: f.bin [##############################] 100% 2.0 KiB/2.0 KiB");
	line_is("0123456789012345678901234567890123456789", 1, 0,
	    "cc-deploy: gpu: 012345678901234567890123456789 1 B");
	/* 29 ASCII bytes, then a 2-byte character: never cut inside it */
	line_is("01234567890123456789012345678\xc3\xa9xyz", 1, 0,
	    "cc-deploy: gpu: 01234567890123456789012345678 1 B");
	line_is("0123456789012345678901234567\xc3\xa9xyz", 1, 0,
	    "cc-deploy: gpu: 0123456789012345678901234567\xc3\xa9 1 B");
	line_is("a\nb\033[2Jc\x7f", 1, 0, "cc-deploy: gpu: a_b_[2Jc_ 1 B");
	line_is(NULL, 1, 0, "cc-deploy: gpu:  1 B");

	if ((f = open_memstream(&out, &outlen)) == NULL) {
		ok(0, "open_memstream");
		return tap_done();
	}
	progress_init(&pg, f, "cc-deploy", "gpu", "f.bin");
	progress_end(&pg);
	fflush(f);
	is_int(outlen, 0, "nothing drawn, nothing erased");
	progress_update(&pg, 100, 100);
	fflush(f);
	is_str(out, "\r\033[Kcc-deploy: gpu: f.bin "
	    "[##############################] 100% 100 B/100 B",
	    "the end is always drawn, in place");
	ok(pg.drawn, "... and remembered");
	progress_end(&pg);
	fflush(f);
	ok(outlen > 4 && strcmp(out + outlen - 4, "\r\033[K") == 0,
	    "progress_end erases the line");
	ok(!pg.drawn, "... once");
	fclose(f);
	free(out);
	return tap_done();
}
