/* Unit tests for lib/attach: MIME guessing and allowed types, safe names,
 * file ids, inlined text files, and the markers rewritten with remote paths
 * (upstream-engine.md §10, §17.7). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "attach.h"
#include "tap.h"
#include "utf8.h"
#include "util.h"

static void
mime_is(const char *name, const char *want)
{
	char label[120];

	snprintf(label, sizeof(label), "mime of %s", name);
	is_str(attach_guess_mime(name), want, label);
}

static void
safe_is(const char *name, const char *want, const char *label)
{
	char *got = attach_safe_name(name);

	is_str(got, want, label);
	free(got);
}

static char *
rep(const char *s, size_t n)
{
	struct buf b = {0};

	buf_puts(&b, "");
	for (size_t i = 0; i < n; i++)
		buf_puts(&b, s);
	return buf_steal(&b);
}

static bool
valid_utf8(const char *s)
{
	size_t n = strlen(s), i = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_decode(s + i, n - i, &cp);
		if (cp == UTF8_BAD)
			return false;
	}
	return true;
}

static bool
is_file_id(const char *id, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(id, prefix, n) != 0 || id[n] != '_' || strlen(id) != n + 9)
		return false;
	for (size_t i = n + 1; i < n + 9; i++)
		if (!strchr("0123456789abcdef", id[i]))
			return false;
	return true;
}

static char *
write_tmp(const char *dir, const char *name, const char *data, size_t n)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0 || write_all(fd, data, n) != 0)
		printf("# cannot write %s\n", path);
	if (fd >= 0)
		close(fd);
	return path;
}

/* text with each id's markers replaced by its path, as the engine does. */
static char *
rewrite(const char *text, const char *const *ids, const char *const *paths,
    size_t n)
{
	char *s = xstrdup(text);

	for (size_t i = 0; i < n; i++) {
		char *t = attach_replace_marker(s, ids[i], paths[i]);
		free(s);
		s = t;
	}
	return s;
}

int
main(void)
{
	/* MIME types by extension (§10). */
	mime_is("a.txt", "text/plain");
	mime_is("a.md", "text/markdown");
	mime_is("a.markdown", "text/markdown");
	mime_is("a.pdf", "application/pdf");
	mime_is("a.png", "image/png");
	mime_is("a.jpg", "image/jpeg");
	mime_is("a.jpeg", "image/jpeg");
	mime_is("a.gif", "image/gif");
	mime_is("a.webp", "image/webp");
	mime_is("a.svg", "image/svg+xml");
	mime_is("a.bmp", "image/bmp");
	mime_is("a.mp4", "video/mp4");
	mime_is("a.webm", "video/webm");
	mime_is("a.mov", "video/quicktime");
	mime_is("a.avi", "video/x-msvideo");
	mime_is("a.mkv", "video/x-matroska");
	mime_is("a.mp3", "audio/mpeg");
	mime_is("a.wav", "audio/wav");
	mime_is("a.ogg", "audio/ogg");
	mime_is("a.flac", "audio/flac");
	mime_is("a.m4a", "audio/mp4");
	mime_is("PHOTO.JPG", "image/jpeg");
	mime_is("archive.tar.gz", "application/octet-stream");
	mime_is("Makefile", "application/octet-stream");
	mime_is(".txt", "application/octet-stream");	/* a hidden file, no suffix */
	mime_is("a.", "application/octet-stream");
	mime_is("dir.png/readme", "application/octet-stream");

	/* Allowed types. */
	{
		char *defaults[] = { "text/plain", "text/markdown", "application/pdf",
		    "image/*", "video/*", "audio/*" };
		size_t n = sizeof(defaults) / sizeof(defaults[0]);

		ok(attach_type_allowed("text/plain", defaults, n), "text/plain allowed");
		ok(attach_type_allowed("image/png", defaults, n), "image/* matches image/png");
		ok(attach_type_allowed("audio/mp4", defaults, n), "audio/mp4 allowed");
		ok(attach_type_allowed("text/plain; charset=utf-8", defaults, n),
		    "parameters ignored (upstream refused them)");
		ok(attach_type_allowed("Image/PNG", defaults, n), "case-insensitive");
		ok(!attach_type_allowed("application/zip", defaults, n), "zip refused");
		ok(!attach_type_allowed("application/octet-stream", defaults, n),
		    "octet-stream refused");
		ok(!attach_type_allowed("text/html", defaults, n), "text/html refused");
		ok(!attach_type_allowed(NULL, defaults, n), "no type refused");
		ok(!attach_type_allowed("; x=y", defaults, n), "empty type refused");
		ok(!attach_type_allowed("image/png", NULL, 0), "no patterns: nothing allowed");
	}

	/* Safe names (§10). */
	safe_is("report.pdf", "report.pdf", "plain name unchanged");
	safe_is("my file (1).txt", "my-file-1.txt", "spaces and parentheses");
	safe_is("../../etc/passwd", "etcpasswd", "separators and leading dots");
	safe_is("a\\b\\c.txt", "abc.txt", "backslashes");
	safe_is(".hidden", "hidden", "leading dot");
	safe_is("a;b&c|d$e`f(g)h{i}j[k]l!m#n~o", "abcdefghijklmno", "metacharacters");
	safe_is("  a   b  ", "a-b", "runs of spaces, trimmed");
	safe_is("a - - b", "a-b", "runs of dashes");
	safe_is("-rf", "rf", "leading dash");
	safe_is("#.bashrc", "bashrc", "no leading dot after removals either");
	safe_is("a\nb\tc\x7f.txt", "abc.txt", "control characters");
	safe_is("", "unnamed", "empty");
	safe_is("$$$", "unnamed", "nothing left");
	safe_is("...", "unnamed", "dots only");
	safe_is("r\xC3\xA9sum\xC3\xA9 final.pdf", "r\xC3\xA9sum\xC3\xA9-final.pdf", "UTF-8 kept");
	{
		char *stem = rep("a", 300), *name = xasprintf("%s.pdf", stem), *got;

		got = attach_safe_name(name);
		ok(strlen(got) == 200 && str_ends(got, ".pdf") &&
		    strncmp(got, stem, 196) == 0, "long name: 200 bytes, extension kept");
		free(got);
		free(name);
		free(stem);

		stem = rep("\xC3\xA9", 150);
		name = xasprintf("x%s.txt", stem);
		got = attach_safe_name(name);
		ok(strlen(got) <= 200 && str_ends(got, ".txt") && valid_utf8(got),
		    "long UTF-8 name: not cut inside a character");
		is_int((long long)strlen(got), 199, "long UTF-8 name: 1 + 97 x 2 + 4 bytes");
		free(got);
		free(name);
		free(stem);

		stem = rep("b", 250);
		name = xasprintf("a.%s", stem);
		got = attach_safe_name(name);
		ok(strlen(got) == 200 && str_starts(got, "a.bbb"),
		    "an extension of 200 or more: the name cut at 200");
		free(got);
		free(name);
		free(stem);
	}

	/* File ids. */
	{
		char *a = attach_file_id("sess1234-abcd-ef"), *b = attach_file_id("sess1234-abcd-ef");
		char *c = attach_file_id(NULL), *d = attach_file_id(""), *e = attach_file_id("abc");
		char *f = attach_file_id("../../etc");

		ok(is_file_id(a, "sess1234"), "file id: first 8 of the session id, 8 hex");
		ok(strcmp(a, b) != 0, "file ids differ");
		ok(is_file_id(c, "nosess"), "no session: nosess");
		ok(is_file_id(d, "nosess"), "empty session id: nosess");
		ok(is_file_id(e, "abc"), "short session id");
		ok(is_file_id(f, "______et"), "no separators from a session id");
		free(a);
		free(b);
		free(c);
		free(d);
		free(e);
		free(f);
	}

	/* Inlined files. */
	ok(attach_inline("notes.txt") && attach_inline("README.MD") &&
	    attach_inline("doc.Markdown"), "inline: .txt .md .markdown, any case");
	ok(!attach_inline("a.mdx") && !attach_inline("txt") && !attach_inline("a.txt.pdf") &&
	    !attach_inline("photo.png"), "inline: nothing else");
	{
		char tmpl[] = "/tmp/cc-attach.XXXXXX", *p1, *p2, *p3, *big;
		struct buf b = {0};

		if (mkdtemp(tmpl) == NULL) {
			ok(0, "mkdtemp");
			return tap_done();
		}
		p1 = write_tmp(tmpl, "notes.md", "# Title\nline \xE2\x82\xAC\n", 17);
		buf_puts(&b, "Look at this");
		ok(attach_inline_append(&b, "notes.md", p1, 1000) == 0, "inline: read");
		is_str(b.s, "Look at this\n\n--- notes.md ---\n# Title\nline \xE2\x82\xAC\n",
		    "inline: the header and the content");
		buf_free(&b);

		p2 = write_tmp(tmpl, "bad.txt", "a\xFF" "b\xE2\x82" "c\0d", 8);
		ok(attach_inline_append(&b, "bad.txt", p2, 1000) == 0, "inline: invalid UTF-8 read");
		is_str(b.s, "\n\n--- bad.txt ---\na\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD" "d",
		    "inline: invalid UTF-8 and NUL replaced by U+FFFD");
		buf_free(&b);

		big = rep("\xC3\xA9", 100);
		p3 = write_tmp(tmpl, "big.txt", big, 200);
		ok(attach_inline_append(&b, "big.txt", p3, 51) == 0, "inline: long file read");
		{
			char *want = xasprintf("\n\n--- big.txt ---\n%.50s\n\n"
			    "[truncated: the file is longer than 51 bytes]", big);
			is_str(b.s, want, "inline: cut at max, not inside a character, noted");
			free(want);
		}
		buf_free(&b);
		ok(attach_inline_append(&b, "big.txt", p3, 200) == 0 &&
		    strstr(b.s, "truncated") == NULL, "inline: exactly max is not cut");
		buf_free(&b);

		buf_puts(&b, "keep");
		errno = 0;
		ok(attach_inline_append(&b, "gone.txt", "/nonexistent/gone.txt", 100) == -1 &&
		    errno == ENOENT, "inline: a missing file is -1, ENOENT");
		is_str(b.s, "keep", "inline: nothing appended on failure");
		buf_free(&b);
		unlink(p1);
		unlink(p2);
		unlink(p3);
		rmdir(tmpl);
		free(p1);
		free(p2);
		free(p3);
		free(big);
	}

	/* Markers (§17.7). */
	{
		char **ids;
		size_t n;
		char *s;

		n = attach_marker_ids("Analyze this", &ids);
		ok(n == 0 && ids == NULL, "no markers: no ids");
		s = rewrite("Analyze this", NULL, NULL, 0);
		is_str(s, "Analyze this", "no refs: text unchanged");
		free(s);
		{
			const char *id[] = { "sess1234_abcd5678" }, *path[] = { "/x" };
			s = rewrite("Analyze this", id, path, 1);
			is_str(s, "Analyze this", "refs without markers: text unchanged");
			free(s);
		}
		n = attach_marker_ids("Analyze this <discord_file>sess1234_abcd5678</discord_file>",
		    &ids);
		is_int((long long)n, 1, "one marker");
		if (n == 1)
			is_str(ids[0], "sess1234_abcd5678", "its id");
		attach_ids_free(ids, n);
		{
			const char *id[] = { "sess1234_abcd5678" };
			const char *path[] = { "/tmp/codecast/files/sess1234_abcd5678_report.pdf" };

			s = rewrite("Analyze this <discord_file>sess1234_abcd5678</discord_file>",
			    id, path, 1);
			is_str(s, "Analyze this /tmp/codecast/files/sess1234_abcd5678_report.pdf",
			    "one marker: replaced by exactly the remote path");
			free(s);
		}
		{
			const char *text = "Compare\n<discord_file>s_1</discord_file>\n"
			    "<file_ref>s_2</file_ref>\n<discord_file>s_3</discord_file>"
			    " and again <discord_file>s_1</discord_file>";
			const char *id[] = { "s_1", "s_2", "s_3" };
			const char *path[] = { "/r/s_1_a.pdf", "/r/s_2_b.png", "/r/s_3_c.csv" };

			n = attach_marker_ids(text, &ids);
			is_int((long long)n, 3, "several markers of both kinds: 3 ids once each");
			if (n == 3)
				ok(strcmp(ids[0], "s_1") == 0 && strcmp(ids[1], "s_2") == 0 &&
				    strcmp(ids[2], "s_3") == 0, "ids in order");
			attach_ids_free(ids, n);
			s = rewrite(text, id, path, 3);
			is_str(s, "Compare\n/r/s_1_a.pdf\n/r/s_2_b.png\n/r/s_3_c.csv and again "
			    "/r/s_1_a.pdf", "several markers: all replaced");
			ok(strstr(s, "<discord_file>") == NULL && strstr(s, "<file_ref>") == NULL,
			    "no marker left");
			free(s);
		}
		s = attach_replace_marker("Read\n<discord_file>s_9</discord_file>"
		    "<discord_file>s_8</discord_file>", "s_9", "");
		is_str(s, "Read\n<discord_file>s_8</discord_file>",
		    "an inlined file's marker dropped, others kept");
		free(s);
		n = attach_marker_ids("<discord_file></discord_file><file_ref>a<b</file_ref>"
		    "<discord_file>x\ny</discord_file><discord_file>ok", &ids);
		is_int((long long)n, 0, "malformed markers are not markers");
		attach_ids_free(ids, n);
		n = attach_marker_ids("<file_ref><file_ref>id</file_ref>", &ids);
		ok(n == 1 && strcmp(ids[0], "id") == 0, "a stray opening tag skipped");
		attach_ids_free(ids, n);
	}
	return tap_done();
}
