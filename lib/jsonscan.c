/* jsonscan.c — a validating JSON scanner that allocates nothing.  See
 * jsonscan.h. */
#include <stdint.h>
#include <string.h>

#include "jsonscan.h"

/* The scanner is one recursive function, value(), with its parts inlined:
 * calls per member cost more than the scanning itself. */
#define HOT	static inline __attribute__((always_inline))

static int value(struct jsonscan *, struct jsonscan_field *, size_t);

HOT void
ws(struct jsonscan *j)
{
	const char *p = j->p;

	if (p < j->end && (unsigned char)*p > ' ')
		return;		/* the common case: none */
	while (p < j->end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	if (p != j->p) {
		j->seen |= JSONSCAN_SPACE;
		j->p = p;
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Four hex digits at p (end - p >= 4 checked by the caller): the value, or
 * -1. */
static long
hex4(const unsigned char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int h = hexval(p[i]);

		if (h < 0)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

/* One UTF-8 sequence at p (first byte >= 0x80): its length, or 0 when it
 * is not well-formed (overlong, surrogate, beyond U+10FFFF, cut). */
static size_t
utf8_seq(const unsigned char *p, const unsigned char *end)
{
	unsigned c = p[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;
		else if (c == 0xED)
			hi = 0x9F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		if (c == 0xF0)
			lo = 0x90;
		else if (c == 0xF4)
			hi = 0x8F;
	} else
		return 0;
	if ((size_t)(end - p) < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/* Bytes a string scan stops at: controls, '"', '\\', non-ASCII. */
static const unsigned char str_special[256] = {
	[0 ... 0x1f] = 1, ['"'] = 1, ['\\'] = 1, [0x80 ... 0xff] = 1,
};

HOT int
str(struct jsonscan *j, bool *escaped)
{
	const unsigned char *p = (const unsigned char *)j->p + 1;
	const unsigned char *end = (const unsigned char *)j->end;

	*escaped = false;
	for (;;) {
		unsigned c;

		/* The common case: printable ASCII other than '"' and '\\',
		 * eight bytes at a time; the lowest flagged byte is the first
		 * special one (a borrow only reaches bytes above a match). */
		while (end - p >= 8) {
			uint64_t x, ctl, q, bs, m;

			memcpy(&x, p, 8);
			ctl = (x - 0x2020202020202020ULL) & ~x;	/* < 0x20 */
			q = x ^ 0x2222222222222222ULL;
			q = (q - 0x0101010101010101ULL) & ~q;
			bs = x ^ 0x5C5C5C5C5C5C5C5CULL;
			bs = (bs - 0x0101010101010101ULL) & ~bs;
			m = (ctl | q | bs | x) & 0x8080808080808080ULL;
			if (m) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
				p += __builtin_ctzll(m) >> 3;
				goto special;
#else
				break;
#endif
			}
			p += 8;
		}
		while (p < end && !str_special[*p])
			p++;
		if (p >= end)
			return 0;
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
special:
#endif
		c = *p;
		if (c == '"') {
			j->p = (const char *)p + 1;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			long u, u2;

			*escaped = true;
			if (end - p < 2)
				return 0;
			switch (p[1]) {
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
				p += 2;
				continue;
			case 'u':
				break;
			default:
				return 0;
			}
			if (end - p < 6 || (u = hex4(p + 2)) < 0)
				return 0;
			p += 6;
			if (u == 0)
				j->seen |= JSONSCAN_NUL;
			else if (u >= 0xDC00 && u <= 0xDFFF)
				return 0;	/* a lone low surrogate */
			else if (u >= 0xD800 && u <= 0xDBFF) {
				if (end - p < 6 || p[0] != '\\' || p[1] != 'u' ||
				    (u2 = hex4(p + 2)) < 0xDC00 || u2 > 0xDFFF)
					return 0;
				p += 6;
				j->seen |= JSONSCAN_SURROGATE;
			}
			continue;
		}
		/* c >= 0x80 */
		{
			size_t n = utf8_seq(p, end);

			if (n == 0)
				return 0;
			p += n;
		}
	}
}

HOT int
scan_number(struct jsonscan *j)
{
	const char *p = j->p, *end = j->end, *digits;

	if (p < end && *p == '-')
		p++;
	digits = p;
	if (p < end && *p == '0')
		p++;
	else if (p < end && *p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return JSONSCAN_INVALID;
	if (p - digits > 15)
		j->seen |= JSONSCAN_BIGNUM;
	if (p < end && *p == '.') {
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return JSONSCAN_INVALID;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		const char *exp;

		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		exp = p;
		if (p >= end || *p < '0' || *p > '9')
			return JSONSCAN_INVALID;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
		if (p - exp > 2)
			j->seen |= JSONSCAN_BIGNUM;
	}
	j->p = p;
	return JSONSCAN_VALID;
}

HOT int
scan_lit(struct jsonscan *j, const char *lit, size_t n)
{
	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return JSONSCAN_INVALID;
	j->p += n;
	return JSONSCAN_VALID;
}

static void
fields_reset(struct jsonscan_field *f, size_t nf)
{
	for (size_t i = 0; i < nf; i++) {
		f[i].val = NULL;
		f[i].vlen = 0;
		f[i].count = 0;
		f[i].escaped = false;
		fields_reset(f[i].sub, f[i].nsub);
	}
}

/* Keys are short: a loop beats a call to memcmp. */
HOT bool
same(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return false;
	return true;
}

/* At the start of a member (at its key): scan it, looking for f's keys. */
HOT int
member(struct jsonscan *j, struct jsonscan_field *f, size_t nf)
{
	struct jsonscan_field *hit = NULL;
	const char *k, *vs;
	size_t kn;
	bool esc;
	int r;

	if (j->p >= j->end || *j->p != '"')
		return JSONSCAN_INVALID;
	k = j->p + 1;
	if (!str(j, &esc))
		return JSONSCAN_INVALID;
	kn = (size_t)(j->p - 1 - k);
	if (nf > 0 && esc)
		j->seen |= JSONSCAN_ESCKEY;
	else
		for (size_t i = 0; i < nf; i++)
			if (f[i].klen == kn && same(f[i].key, k, kn))
				hit = &f[i];
	ws(j);
	if (j->p >= j->end || *j->p != ':')
		return JSONSCAN_INVALID;
	j->p++;
	ws(j);
	vs = j->p;
	/* A string, the most common value, without the call to value(). */
	if (j->p < j->end && *j->p == '"') {
		if (hit != NULL && hit->nsub > 0)
			fields_reset(hit->sub, hit->nsub);
		if (!str(j, &esc))
			return JSONSCAN_INVALID;
	} else if (hit == NULL)
		return value(j, NULL, 0);
	else {
		esc = false;
		if (hit->nsub > 0)
			fields_reset(hit->sub, hit->nsub);
		if ((r = value(j, hit->sub, hit->nsub)) != JSONSCAN_VALID)
			return r;
	}
	if (hit != NULL) {
		hit->count++;
		hit->val = vs;
		hit->vlen = (size_t)(j->p - vs);
		hit->escaped = esc;
	}
	return JSONSCAN_VALID;
}

/* After a member's value: the rest of the object, through its '}'. */
HOT int
object_rest(struct jsonscan *j, struct jsonscan_field *f, size_t nf)
{
	int r;

	for (;;) {
		ws(j);
		if (j->p >= j->end)
			return JSONSCAN_INVALID;
		if (*j->p == '}') {
			j->p++;
			j->depth--;
			return JSONSCAN_VALID;
		}
		if (*j->p != ',')
			return JSONSCAN_INVALID;
		j->p++;
		ws(j);
		if ((r = member(j, f, nf)) != JSONSCAN_VALID)
			return r;
	}
}

/* At '{'. */
HOT int
scan_object(struct jsonscan *j, struct jsonscan_field *f, size_t nf)
{
	int r;

	j->p++;
	j->depth++;
	ws(j);
	if (j->p < j->end && *j->p == '}') {
		j->p++;
		j->depth--;
		return JSONSCAN_VALID;
	}
	if ((r = member(j, f, nf)) != JSONSCAN_VALID)
		return r;
	return object_rest(j, f, nf);
}

/* At '['. */
HOT int
scan_array(struct jsonscan *j)
{
	int r;

	j->p++;
	j->depth++;
	ws(j);
	if (j->p < j->end && *j->p == ']') {
		j->p++;
		j->depth--;
		return JSONSCAN_VALID;
	}
	for (;;) {
		ws(j);
		if ((r = value(j, NULL, 0)) != JSONSCAN_VALID)
			return r;
		ws(j);
		if (j->p >= j->end)
			return JSONSCAN_INVALID;
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p == ']') {
			j->p++;
			j->depth--;
			return JSONSCAN_VALID;
		}
		return JSONSCAN_INVALID;
	}
}

static int
value(struct jsonscan *j, struct jsonscan_field *f, size_t nf)
{
	bool esc;

	if (j->depth > JSONSCAN_DEPTH_MAX)
		return JSONSCAN_TOO_DEEP;
	if (j->p >= j->end)
		return JSONSCAN_INVALID;
	switch (*j->p) {
	case '{':
		return scan_object(j, f, nf);
	case '[':
		return scan_array(j);
	case '"':
		return str(j, &esc);
	case 't':
		return scan_lit(j, "true", 4);
	case 'f':
		return scan_lit(j, "false", 5);
	case 'n':
		return scan_lit(j, "null", 4);
	default:
		return scan_number(j);
	}
}

void
jsonscan_ws(struct jsonscan *j)
{
	ws(j);
}

int
jsonscan_string(struct jsonscan *j, bool *escaped)
{
	return str(j, escaped);
}

int
jsonscan_value(struct jsonscan *j, struct jsonscan_field *f, size_t nf)
{
	fields_reset(f, nf);
	return value(j, f, nf);
}

int
jsonscan_object_rest(struct jsonscan *j, struct jsonscan_field *f, size_t nf)
{
	fields_reset(f, nf);
	return object_rest(j, f, nf);
}

int
jsonscan(const char *s, size_t len, struct jsonscan_field *f, size_t nf,
    unsigned *seen)
{
	struct jsonscan j = { s, s + len, 0, 0 };
	int r;

	fields_reset(f, nf);
	ws(&j);
	r = value(&j, f, nf);
	if (r == JSONSCAN_VALID) {
		ws(&j);
		if (j.p != j.end)
			r = JSONSCAN_INVALID;
	}
	if (seen)
		*seen = j.seen;
	return r;
}

size_t
jsonscan_strip(char *dst, const char *s, size_t len)
{
	const char *end = s + len;
	char *d = dst;

	while (s < end) {
		char c = *s++;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		*d++ = c;
		if (c != '"')
			continue;
		while (s < end) {	/* a string, through its closing quote */
			c = *s++;
			*d++ = c;
			if (c == '"')
				break;
			if (c == '\\' && s < end)
				*d++ = *s++;
		}
	}
	return (size_t)(d - dst);
}

bool
jsonscan_field_is(const struct jsonscan_field *f, const char *lit)
{
	size_t n = strlen(lit);

	return f->val != NULL && f->vlen == n + 2 && f->val[0] == '"' &&
	    memcmp(f->val + 1, lit, n) == 0;
}
