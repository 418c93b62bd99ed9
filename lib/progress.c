/* progress.c — see progress.h. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "progress.h"

#define PROGRESS_BAR	30	/* bar width in characters */
#define PROGRESS_NAME	30	/* most bytes of the name shown */
#define PROGRESS_MS	100	/* least time between two draws */

void
progress_bytes(char *s, size_t n, unsigned long long v)
{
	if (v >= 1024ULL * 1024 * 1024)
		snprintf(s, n, "%.1f GiB", (double)v / (1024.0 * 1024 * 1024));
	else if (v >= 1024 * 1024)
		snprintf(s, n, "%.1f MiB", (double)v / (1024.0 * 1024));
	else if (v >= 1024)
		snprintf(s, n, "%.1f KiB", (double)v / 1024.0);
	else
		snprintf(s, n, "%llu B", v);
}

void
progress_line(struct buf *b, const char *prog, const char *peer,
    const char *name, unsigned long long done, unsigned long long total)
{
	char a[32], t[32], bar[PROGRESS_BAR + 1];
	int pct, i, fill;
	size_t nlen;

	if (name == NULL)
		name = "";
	nlen = strnlen(name, PROGRESS_NAME);
	nlen = utf8_cut(name, nlen);

	progress_bytes(a, sizeof(a), done);
	buf_printf(b, "%s: %s: ", prog, peer);
	for (i = 0; i < (int)nlen; i++)	/* no control characters on a tty */
		buf_putc(b, (unsigned char)name[i] < 0x20 || name[i] == 0x7f ?
		    '_' : name[i]);
	if (total == 0) {
		buf_printf(b, " %s", a);
		return;
	}
	pct = (int)(done * 100 / total);
	fill = pct * PROGRESS_BAR / 100;
	for (i = 0; i < PROGRESS_BAR; i++)
		bar[i] = i < fill ? '#' : '.';
	bar[PROGRESS_BAR] = '\0';
	progress_bytes(t, sizeof(t), total);
	buf_printf(b, " [%s] %3d%% %s/%s", bar, pct, a, t);
}

void
progress_init(struct progress *pg, FILE *f, const char *prog,
    const char *peer, const char *name)
{
	memset(pg, 0, sizeof(*pg));
	pg->f = f;
	pg->prog = prog;
	pg->peer = peer;
	pg->name = name;
}

void
progress_update(void *arg, unsigned long long done, unsigned long long total)
{
	struct progress *pg = arg;
	struct buf line = {0};
	long long now = monotonic_ms();

	if (now - pg->last_ms < PROGRESS_MS && done != total)
		return;
	pg->last_ms = now;
	buf_puts(&line, "\r\033[K");
	progress_line(&line, pg->prog, pg->peer, pg->name, done, total);
	fputs(line.s, pg->f);
	buf_free(&line);
	pg->drawn = true;
}

void
progress_end(struct progress *pg)
{
	if (pg->drawn)
		fputs("\r\033[K", pg->f);
	pg->drawn = false;
}
