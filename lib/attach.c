/* attach.c — see attach.h. */
#include "attach.h"
#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SAFE_NAME_MAX	200

/* The extension as pathlib's suffix: from the last '.' of the last
 * component, when that dot is neither its first nor its last character. */
static const char *
suffix(const char *name)
{
	const char *base = strrchr(name, '/'), *dot;

	base = base != NULL ? base + 1 : name;
	dot = strrchr(base, '.');
	if (dot == NULL || dot == base || dot[1] == '\0')
		return "";
	return dot;
}

static bool
same_ci(const char *a, const char *b)
{
	for (; *a != '\0' && *b != '\0'; a++, b++) {
		unsigned char x = (unsigned char)*a, y = (unsigned char)*b;

		if (x >= 'A' && x <= 'Z')
			x += 'a' - 'A';
		if (y >= 'A' && y <= 'Z')
			y += 'a' - 'A';
		if (x != y)
			return false;
	}
	return *a == *b;
}

const char *
attach_guess_mime(const char *name)
{
	static const struct {
		const char *ext, *mime;
	} types[] = {
		{ ".txt", "text/plain" }, { ".md", "text/markdown" },
		{ ".markdown", "text/markdown" }, { ".pdf", "application/pdf" },
		{ ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".gif", "image/gif" },
		{ ".webp", "image/webp" }, { ".svg", "image/svg+xml" },
		{ ".bmp", "image/bmp" }, { ".mp4", "video/mp4" },
		{ ".webm", "video/webm" }, { ".mov", "video/quicktime" },
		{ ".avi", "video/x-msvideo" }, { ".mkv", "video/x-matroska" },
		{ ".mp3", "audio/mpeg" }, { ".wav", "audio/wav" },
		{ ".ogg", "audio/ogg" }, { ".flac", "audio/flac" },
		{ ".m4a", "audio/mp4" },
	};
	const char *ext = suffix(name);

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (same_ci(ext, types[i].ext))
			return types[i].mime;
	return "application/octet-stream";
}

/* s lower-cased (ASCII), malloc'd. */
static char *
lower(const char *s, size_t n)
{
	char *r = xstrndup(s, n);

	for (char *p = r; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return r;
}

bool
attach_type_allowed(const char *mime, char *const *patterns, size_t n)
{
	const char *end;
	char *type;
	bool allowed = false;

	if (mime == NULL)
		return false;
	/* "text/plain; charset=utf-8" is text/plain. */
	while (*mime == ' ' || *mime == '\t')
		mime++;
	end = mime + strcspn(mime, ";");
	while (end > mime && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (end == mime)
		return false;
	type = lower(mime, (size_t)(end - mime));
	for (size_t i = 0; i < n && !allowed; i++) {
		char *pat = lower(patterns[i], strlen(patterns[i]));

		allowed = fnmatch(pat, type, FNM_NOESCAPE) == 0;
		free(pat);
	}
	free(type);
	return allowed;
}

char *
attach_safe_name(const char *name)
{
	struct buf b = {0};
	const char *p;
	char *s, *ext;
	size_t start, end, n;

	/* Separators, NUL and control characters, shell metacharacters
	 * out; spaces to '-'; runs of '-' as one. */
	buf_puts(&b, "");
	for (p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '/' || c == '\\' || c < 0x20 || c == 0x7F ||
		    strchr(";&|$`(){}[]!#~", c) != NULL)
			continue;
		if (c == ' ')
			c = '-';
		if (c == '-' && b.len > 0 && b.s[b.len - 1] == '-')
			continue;
		buf_putc(&b, (char)c);
	}
	/* No leading dot (hidden file) or dash (option), no trailing dash. */
	for (start = 0; b.s[start] == '.' || b.s[start] == '-'; start++)
		;
	for (end = b.len; end > start && b.s[end - 1] == '-'; end--)
		;
	s = xstrndup(b.s + start, end - start);
	buf_free(&b);
	if (*s == '\0') {
		free(s);
		return xstrdup("unnamed");
	}
	n = strlen(s);
	if (n <= SAFE_NAME_MAX)
		return s;
	/* Too long: cut the stem, keep the extension. */
	ext = xstrdup(suffix(s));
	if (strlen(ext) < SAFE_NAME_MAX) {
		size_t stem = utf8_cut(s, SAFE_NAME_MAX - strlen(ext));

		memmove(s + stem, ext, strlen(ext) + 1);
	} else {
		s[utf8_cut(s, SAFE_NAME_MAX)] = '\0';
	}
	free(ext);
	return s;
}

char *
attach_file_id(const char *daemon_sid)
{
	unsigned char rnd[4];
	char prefix[9];
	size_t n = 0;

	/* The id names a file in the pool: only [A-Za-z0-9-] of the session
	 * id are used, anything else becomes '_'. */
	for (; daemon_sid != NULL && daemon_sid[n] != '\0' && n < 8; n++) {
		char c = daemon_sid[n];

		prefix[n] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' ? c : '_';
	}
	prefix[n] = '\0';
	arc4random_buf(rnd, sizeof(rnd));
	return xasprintf("%s_%02x%02x%02x%02x", n > 0 ? prefix : "nosess",
	    rnd[0], rnd[1], rnd[2], rnd[3]);
}

bool
attach_inline(const char *name)
{
	static const char *const exts[] = { ".txt", ".md", ".markdown" };
	size_t n = strlen(name);

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t m = strlen(exts[i]);

		if (n >= m && same_ci(name + n - m, exts[i]))
			return true;
	}
	return false;
}

int
attach_inline_append(struct buf *b, const char *name, const char *path,
    size_t max)
{
	struct buf raw = {0};
	bool cut = false;
	int fd, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (read_fd(fd, max, &raw) != 0) {
		if (errno != EFBIG) {
			saved = errno;
			close(fd);
			buf_free(&raw);
			errno = saved;
			return -1;
		}
		cut = true;	/* raw holds more than max bytes */
		raw.len = utf8_cut(raw.s, max);
	}
	close(fd);
	buf_puts(b, "\n\n--- ");
	utf8_append_valid(b, name, strlen(name));
	buf_puts(b, " ---\n");
	utf8_append_valid(b, raw.s != NULL ? raw.s : "", raw.len);
	if (cut)
		buf_printf(b, "\n\n[truncated: the file is longer than %zu bytes]", max);
	buf_free(&raw);
	return 0;
}

static const struct {
	const char *open, *close;
} markers[] = {
	{ "<discord_file>", "</discord_file>" },
	{ "<file_ref>", "</file_ref>" },
};

/* The next marker at or after p: its start, the id's span and the end;
 * NULL when there is none. */
static const char *
next_marker(const char *p, const char **id, size_t *idlen, const char **end)
{
	const char *best = NULL;

	for (size_t k = 0; k < sizeof(markers) / sizeof(markers[0]); k++) {
		const char *q = p, *s, *e;
		size_t ol = strlen(markers[k].open);

		while ((s = strstr(q, markers[k].open)) != NULL) {
			const char *i = s + ol;
			size_t n = strcspn(i, "<\n");

			e = i + n;
			if (n > 0 && str_starts(e, markers[k].close)) {
				if (best == NULL || s < best) {
					best = s;
					*id = i;
					*idlen = n;
					*end = e + strlen(markers[k].close);
				}
				break;
			}
			q = s + 1;
		}
	}
	return best;
}

size_t
attach_marker_ids(const char *text, char ***ids)
{
	const char *p = text, *id, *end;
	size_t idlen, n = 0;

	*ids = NULL;
	while (next_marker(p, &id, &idlen, &end) != NULL) {
		bool dup = false;

		for (size_t i = 0; i < n && !dup; i++)
			dup = strlen((*ids)[i]) == idlen &&
			    memcmp((*ids)[i], id, idlen) == 0;
		if (!dup) {
			*ids = xreallocarray(*ids, n + 1, sizeof(**ids));
			(*ids)[n++] = xstrndup(id, idlen);
		}
		p = end;
	}
	return n;
}

void
attach_ids_free(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

char *
attach_replace_marker(const char *text, const char *id, const char *with)
{
	struct buf b = {0};
	const char *p = text, *s, *mid, *end;
	size_t idlen;

	buf_puts(&b, "");
	while ((s = next_marker(p, &mid, &idlen, &end)) != NULL) {
		buf_append(&b, p, (size_t)(s - p));
		if (idlen == strlen(id) && memcmp(mid, id, idlen) == 0)
			buf_puts(&b, with);
		else
			buf_append(&b, s, (size_t)(end - s));
		p = end;
	}
	buf_puts(&b, p);
	return buf_steal(&b);
}
