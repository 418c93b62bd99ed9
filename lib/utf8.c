/* utf8.c — see utf8.h. */
#include "utf8.h"

#include <string.h>

size_t
utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned char c = u[0], lo = 0x80, hi = 0xBF;
	size_t want, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		want = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		want = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0;	/* no overlongs */
		else if (c == 0xED)
			hi = 0x9F;	/* no surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		want = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90;	/* no overlongs */
		else if (c == 0xF4)
			hi = 0x8F;	/* nothing above U+10FFFF */
	} else {
		*cp = UTF8_BAD;	/* continuation byte, C0, C1, F5..FF */
		return 1;
	}
	for (i = 1; i < want; i++) {
		if (i >= n || u[i] < lo || u[i] > hi) {
			*cp = UTF8_BAD;	/* the maximal subpart: lead + valid tail */
			return i;
		}
		v = v << 6 | (u[i] & 0x3F);
		lo = 0x80;
		hi = 0xBF;
	}
	*cp = v;
	return want;
}

size_t
utf8_count(const char *s, size_t n)
{
	size_t i = 0, count = 0;
	uint32_t cp;

	while (i < n) {
		i += utf8_decode(s + i, n - i, &cp);
		count++;
	}
	return count;
}

void
utf8_append_valid(struct buf *b, const char *s, size_t n)
{
	size_t i = 0, run = 0;	/* s[run..i) is valid and not yet appended */
	uint32_t cp;

	buf_reserve(b, n);
	while (i < n) {
		size_t len = utf8_decode(s + i, n - i, &cp);

		if (cp == UTF8_BAD || cp == 0) {
			buf_append(b, s + run, i - run);
			buf_puts(b, UTF8_REPLACEMENT);
			run = i + len;
		}
		i += len;
	}
	buf_append(b, s + run, n - run);
}

bool
uc_is_space(uint32_t cp)
{
	if (cp < 0x80)
		return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20);
	return cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
	    (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 ||
	    cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

/* Ranges above U+007F that are not word characters: controls, punctuation,
 * symbols, spaces, private use, emoji.  Sorted, disjoint. */
static const struct {
	uint32_t lo, hi;
} nonword[] = {
	{ 0x0080, 0x00A9 },	/* C1 controls, NBSP, ¡..© */
	{ 0x00AB, 0x00B1 },	/* « ¬ SHY ® ¯ ° ± */
	{ 0x00B4, 0x00B4 },	/* ´ */
	{ 0x00B6, 0x00B8 },	/* ¶ · ¸ */
	{ 0x00BB, 0x00BB },	/* » */
	{ 0x00BF, 0x00BF },	/* ¿ */
	{ 0x00D7, 0x00D7 },	/* × */
	{ 0x00F7, 0x00F7 },	/* ÷ */
	{ 0x02C2, 0x02C5 },	/* modifier symbols */
	{ 0x02D2, 0x02DF },
	{ 0x02E5, 0x02EB },
	{ 0x02ED, 0x02ED },
	{ 0x02EF, 0x02FF },
	{ 0x037E, 0x037E },	/* Greek question mark */
	{ 0x0384, 0x0385 },
	{ 0x0387, 0x0387 },
	{ 0x055A, 0x055F },	/* Armenian punctuation */
	{ 0x0589, 0x058A },
	{ 0x05BE, 0x05BE },	/* Hebrew punctuation */
	{ 0x05C0, 0x05C0 },
	{ 0x05C3, 0x05C3 },
	{ 0x05C6, 0x05C6 },
	{ 0x05F3, 0x05F4 },
	{ 0x0600, 0x060F },	/* Arabic signs and punctuation */
	{ 0x061B, 0x061F },
	{ 0x066A, 0x066D },
	{ 0x06D4, 0x06D4 },
	{ 0x0964, 0x0965 },	/* danda */
	{ 0x0E3F, 0x0E3F },	/* ฿ */
	{ 0x0E4F, 0x0E4F },
	{ 0x0E5A, 0x0E5B },
	{ 0x1680, 0x1680 },	/* Ogham space */
	{ 0x2000, 0x206F },	/* General Punctuation (spaces, dashes, quotes) */
	{ 0x20A0, 0x20CF },	/* currency */
	{ 0x2190, 0x245F },	/* arrows, math operators, technical */
	{ 0x2500, 0x2775 },	/* box drawing, shapes, symbols, dingbats */
	{ 0x2794, 0x2BFF },	/* arrows, math symbols */
	{ 0x2E00, 0x2E7F },	/* Supplemental Punctuation */
	{ 0x3000, 0x3004 },	/* CJK space and punctuation */
	{ 0x3008, 0x3020 },
	{ 0x3030, 0x3030 },
	{ 0x303D, 0x303F },
	{ 0x30A0, 0x30A0 },
	{ 0x30FB, 0x30FB },
	{ 0xD800, 0xF8FF },	/* surrogates, private use */
	{ 0xFD3E, 0xFD3F },
	{ 0xFE10, 0xFE19 },	/* vertical forms */
	{ 0xFE30, 0xFE6F },	/* CJK compatibility forms, small forms */
	{ 0xFEFF, 0xFEFF },	/* BOM */
	{ 0xFF01, 0xFF0F },	/* fullwidth punctuation */
	{ 0xFF1A, 0xFF20 },
	{ 0xFF3B, 0xFF40 },
	{ 0xFF5B, 0xFF65 },
	{ 0xFFE0, 0xFFFF },	/* fullwidth symbols, specials, U+FFFD */
	{ 0x1D000, 0x1D24F },	/* musical symbols */
	{ 0x1F000, 0x1FBFF },	/* emoji, pictographs, symbols */
	{ 0xE0000, 0xE007F },	/* tags */
	{ 0xF0000, 0xFFFFFFFF },	/* private use planes; UTF8_BAD */
};

bool
uc_is_word(uint32_t cp)
{
	size_t lo = 0, hi = sizeof(nonword) / sizeof(nonword[0]);

	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
		    (cp >= '0' && cp <= '9') || cp == '_';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < nonword[mid].lo)
			hi = mid;
		else if (cp > nonword[mid].hi)
			lo = mid + 1;
		else
			return false;
	}
	return true;
}

void
utf8_put(struct buf *b, uint32_t c)
{
	char u[4];

	if (c == 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		c = 0xFFFD;
	if (c < 0x80) {
		u[0] = (char)c;
		buf_append(b, u, 1);
	} else if (c < 0x800) {
		u[0] = (char)(0xC0 | c >> 6);
		u[1] = (char)(0x80 | (c & 0x3F));
		buf_append(b, u, 2);
	} else if (c < 0x10000) {
		u[0] = (char)(0xE0 | c >> 12);
		u[1] = (char)(0x80 | (c >> 6 & 0x3F));
		u[2] = (char)(0x80 | (c & 0x3F));
		buf_append(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | c >> 18);
		u[1] = (char)(0x80 | (c >> 12 & 0x3F));
		u[2] = (char)(0x80 | (c >> 6 & 0x3F));
		u[3] = (char)(0x80 | (c & 0x3F));
		buf_append(b, u, 4);
	}
}
