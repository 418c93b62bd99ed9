/* Unit tests for lib/utf8: decoding valid and invalid UTF-8 (maximal
 * subparts, as Python's errors="replace"), white space and word classes. */
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "utf8.h"
#include "util.h"

static void
decode_is(const char *s, size_t n, size_t wlen, uint32_t wcp, const char *name)
{
	uint32_t cp;
	size_t len = utf8_decode(s, n, &cp);

	ok(len == wlen && cp == wcp, name);
	if (len != wlen || cp != wcp)
		printf("#   got len %zu cp %#x, want len %zu cp %#x\n", len,
		    (unsigned)cp, wlen, (unsigned)wcp);
}

static void
replaced_is(const char *s, size_t n, const char *want, const char *name)
{
	struct buf b = {0};

	utf8_append_valid(&b, s, n);
	is_str(b.s ? b.s : "", want, name);
	buf_free(&b);
}

int
main(void)
{
	decode_is("A", 1, 1, 'A', "ASCII");
	decode_is("\xC3\xA9", 2, 2, 0xE9, "2 bytes");
	decode_is("\xE2\x82\xAC", 3, 3, 0x20AC, "3 bytes");
	decode_is("\xF0\x9F\x98\x80", 4, 4, 0x1F600, "4 bytes");
	decode_is("\xF4\x8F\xBF\xBF", 4, 4, 0x10FFFF, "U+10FFFF");
	decode_is("\x80", 1, 1, UTF8_BAD, "stray continuation");
	decode_is("\xC0\xAF", 2, 1, UTF8_BAD, "overlong C0: 1 byte");
	decode_is("\xE0\x80\xAF", 3, 1, UTF8_BAD, "overlong E0 80: 1 byte");
	decode_is("\xED\xA0\x80", 3, 1, UTF8_BAD, "surrogate: 1 byte");
	decode_is("\xF4\x90\x80\x80", 4, 1, UTF8_BAD, "above U+10FFFF: 1 byte");
	decode_is("\xE2\x82" "A", 3, 2, UTF8_BAD, "truncated 3-byte: maximal subpart 2");
	decode_is("\xF0\x9F\x98", 3, 3, UTF8_BAD, "truncated at the end: 3");
	decode_is("\xFF", 1, 1, UTF8_BAD, "FF");
	is_int((long long)utf8_count("a\xC3\xA9\xF0\x9F\x98\x80\xFF", 8), 4, "count");

	/* Python: b"a\xe2\x82A\xffb\x00".decode(errors="replace") */
	replaced_is("a\xE2\x82" "A\xFF" "b", 6, "a\xEF\xBF\xBD" "A\xEF\xBF\xBD" "b",
	    "invalid runs replaced once each");
	replaced_is("x\0y", 3, "x\xEF\xBF\xBDy", "NUL replaced");
	replaced_is("caf\xC3\xA9", 5, "caf\xC3\xA9", "valid text unchanged");

	ok(uc_is_space(' ') && uc_is_space('\n') && uc_is_space(0x1F) &&
	    uc_is_space(0xA0) && uc_is_space(0x3000) && uc_is_space(0x2009),
	    "spaces as str.isspace");
	ok(!uc_is_space('a') && !uc_is_space(0x200B) && !uc_is_space(UTF8_BAD),
	    "not spaces (ZWSP is not isspace)");
	ok(uc_is_word('a') && uc_is_word('Z') && uc_is_word('5') && uc_is_word('_'),
	    "ASCII word characters");
	ok(!uc_is_word('-') && !uc_is_word('.') && !uc_is_word('`') && !uc_is_word(' '),
	    "ASCII non-word characters");
	ok(uc_is_word(0xE9) && uc_is_word(0x4E2D) && uc_is_word(0x0416) &&
	    uc_is_word(0x0661) && uc_is_word(0xB2) && uc_is_word(0xAA),
	    "é, 中, Ж, Arabic digit, ², ª are word characters");
	ok(!uc_is_word(0xA0) && !uc_is_word(0xAB) && !uc_is_word(0xD7) &&
	    !uc_is_word(0x2014) && !uc_is_word(0x201C) && !uc_is_word(0x3001) &&
	    !uc_is_word(0xFF0C) && !uc_is_word(0x1F600) && !uc_is_word(0xFFFD) &&
	    !uc_is_word(UTF8_BAD),
	    "NBSP, «, ×, —, “, 、, ，, emoji, U+FFFD, invalid are not");
	{
		struct buf b = { 0 };

		utf8_put(&b, 'a');
		utf8_put(&b, 0xE9);
		utf8_put(&b, 0x20AC);
		utf8_put(&b, 0x1F600);
		utf8_put(&b, 0);
		utf8_put(&b, 0xDC00);
		utf8_put(&b, 0x110000);
		is_str(b.s, "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"
		    "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD",
		    "utf8_put: 1 to 4 bytes; NUL, a surrogate, past U+10FFFF: U+FFFD");
		buf_free(&b);
	}
	return tap_done();
}
