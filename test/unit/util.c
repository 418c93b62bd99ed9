/* Unit tests for lib/util and lib/names. */
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "tap.h"
#include "util.h"

int
main(void)
{
	struct buf b = {0};

	buf_puts(&b, "hello");
	buf_printf(&b, " %d", 42);
	is_str(b.s, "hello 42", "buf_puts and buf_printf");
	buf_consume(&b, 6);
	is_str(b.s, "42", "buf_consume");
	for (int i = 0; i < 100000; i++)
		buf_putc(&b, 'x');
	is_int((long long)b.len, 100002, "buffer grows past any fixed size");
	buf_free(&b);

	/* As a FIFO: append and drain many times; the data stays right. */
	{
		struct buf q = {0};
		unsigned long long in = 0, out = 0, bad = 0;
		for (int round = 0; round < 20000; round++) {
			char chunk[700];
			size_t n = (size_t)(round % 7 + 1) * 97;
			for (size_t i = 0; i < n; i++)
				chunk[i] = (char)('a' + (in + i) % 26);
			buf_append(&q, chunk, n);
			in += n;
			size_t take = (size_t)(round % 5 + 1) * 113;
			if (take > q.len)
				take = q.len;
			for (size_t i = 0; i < take; i++)
				if (q.s[i] != (char)('a' + (out + i) % 26))
					bad++;
			buf_consume(&q, take);
			out += take;
			if (q.s[q.len] != '\0')
				bad++;
		}
		is_int((long long)bad, 0, "buf as a FIFO keeps every byte in order, NUL-terminated");
		ok(q.cap <= 4 * (q.len + 1024) + 4096, "a drained FIFO does not grow without bound");
		char *rest = buf_steal(&q);
		ok(strlen(rest) == in - out, "buf_steal after consuming returns exactly the rest");
		free(rest);
		buf_append(&q, "abc", 3);
		buf_consume(&q, 1);
		size_t cap = q.cap;
		buf_clear(&q);
		ok(q.len == 0 && q.s[0] == '\0' && q.cap == cap && q.off == 0,
		    "buf_clear empties, rewinds and keeps the memory");
		buf_consume(&q, 5);	/* on an empty buffer: harmless */
		buf_free(&q);
	}
	char *empty = buf_steal(&b);
	is_str(empty, "", "buf_steal of an untouched buffer is an empty string");
	free(empty);

	/* utf8_cut never splits a sequence. "é" = C3 A9, "€" = E2 82 AC, "😀" = F0 9F 98 80 */
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
	is_int((long long)utf8_cut(s, 1), 1, "ASCII cut");
	is_int((long long)utf8_cut(s, 2), 1, "cut inside a 2-byte sequence moves back");
	is_int((long long)utf8_cut(s, 3), 3, "cut after a 2-byte sequence");
	is_int((long long)utf8_cut(s, 4), 3, "cut inside a 3-byte sequence (1 of 3)");
	is_int((long long)utf8_cut(s, 5), 3, "cut inside a 3-byte sequence (2 of 3)");
	is_int((long long)utf8_cut(s, 6), 6, "cut after a 3-byte sequence");
	is_int((long long)utf8_cut(s, 8), 6, "cut inside a 4-byte sequence");
	is_int((long long)utf8_cut(s, 9), 6, "cut inside a 4-byte sequence (3 of 4)");
	is_int((long long)utf8_cut(s, 10), 10, "cut after a 4-byte sequence");
	is_int((long long)utf8_cut(s, 0), 0, "empty cut");

	char t[] = " \t trim me \r\n";
	is_str(str_trim(t), "trim me", "str_trim");
	long long v = 0;
	ok(str_to_ll("22", 1, 65535, &v) && v == 22, "str_to_ll accepts 22");
	ok(!str_to_ll("twenty-two", 1, 65535, &v), "str_to_ll refuses words");
	ok(!str_to_ll("22x", 1, 65535, &v), "str_to_ll refuses trailing junk");
	ok(!str_to_ll("70000", 1, 65535, &v), "str_to_ll enforces the range");
	ok(!str_to_ll("", 1, 65535, &v), "str_to_ll refuses empty");

	char *now = iso8601_now();
	ok(strlen(now) == 32 && now[10] == 'T' && !strcmp(now + 26, "+00:00") && now[19] == '.',
	    "iso8601_now is 2026-03-29T10:00:00.123456+00:00 shaped");
	free(now);

	/* Name rules (upstream-engine.md §11). */
	ok(name_valid("bright-falcon"), "bright-falcon is valid");
	ok(name_valid("my-test-project"), "my-test-project is valid");
	ok(name_valid("test-run-1"), "test-run-1 is valid");
	ok(!name_valid("falcon"), "one word is not");
	ok(!name_valid(""), "empty is not");
	ok(!name_valid("Bright-Falcon"), "upper case is not");
	ok(!name_valid("bright falcon"), "space is not");
	ok(!name_valid("bright_falcon"), "underscore is not");
	ok(!name_valid("-bright-falcon"), "leading hyphen is not");
	ok(!name_valid("bright-falcon-"), "trailing hyphen is not");
	ok(!name_valid("bright--falcon"), "double hyphen is not");
	ok(!name_valid("aaaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbb"), "52 characters is too long");
	ok(name_valid("aaaaaaaaaaaaaaaaaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbb"), "50 characters is fine");

	const char *const *w;
	size_t lists[2];
	lists[0] = name_adjectives(&w);
	const char *const *adj = w;
	lists[1] = name_nouns(&w);
	const char *const *noun = w;
	ok(lists[0] > 50 && lists[1] > 50, "more than 50 adjectives and nouns");
	int bad = 0;
	for (int l = 0; l < 2; l++) {
		const char *const *words = l ? noun : adj;
		for (size_t i = 0; i < lists[l]; i++) {
			for (const char *p = words[i]; *p; p++)
				if (*p < 'a' || *p > 'z')
					bad++;
			for (size_t j = i + 1; j < lists[l]; j++)
				if (!strcmp(words[i], words[j]))
					bad++;
		}
	}
	is_int(bad, 0, "words are lowercase letters only and unique");
	int invalid = 0;
	for (int i = 0; i < 1000; i++) {
		char *n = name_random();
		if (!name_valid(n))
			invalid++;
		free(n);
	}
	is_int(invalid, 0, "1000 generated names are all valid");
	return tap_done();
}
