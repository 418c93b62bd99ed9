/* jsonscan.h — a validating JSON scanner over (ptr, len) that allocates
 * nothing.  It answers, in one pass and without building a tree:
 *   - is the text one valid JSON value (RFC 8259, UTF-8; optional white
 *     space around it), or is it nested too deeply to tell here;
 *   - is it already compact (no insignificant white space anywhere);
 *   - where are the raw values of requested top-level keys (and of keys
 *     requested inside those values when they are objects, and so on).
 * It also notes what a full parser such as jansson may treat differently
 * from plain validity (\u0000, surrogate pairs, numbers out of a double's
 * or an int64's range), so a caller can decide to fall back to one.
 *
 * Used by cc-daemon's fast path for stream-json lines (daemon_cli.c) and
 * by cc-rpc's check of each SSE event's data (rpc.c). */
#ifndef CC_JSONSCAN_H
#define CC_JSONSCAN_H

#include <stdbool.h>
#include <stddef.h>

/* Results of a scan. */
#define JSONSCAN_INVALID	0	/* not valid JSON */
#define JSONSCAN_VALID		1
#define JSONSCAN_TOO_DEEP	(-1)	/* nested deeper than JSONSCAN_DEPTH_MAX:
					 * validity unknown, use a full parser */
#define JSONSCAN_DEPTH_MAX	200	/* the top-level value is at depth 0 */

/* What a scan saw, or'ed into struct jsonscan.seen. */
#define JSONSCAN_SPACE		0x01	/* insignificant white space: not compact */
#define JSONSCAN_ESCKEY		0x02	/* a key with an escape in an object whose
					 * keys were looked for (it may spell a
					 * requested key: the spans may be
					 * incomplete) */
#define JSONSCAN_NUL		0x04	/* a \u0000 escape */
#define JSONSCAN_SURROGATE	0x08	/* a (valid) \uD8xx\uDCxx pair */
#define JSONSCAN_BIGNUM		0x10	/* a number with more than 15 integer
					 * digits or 3 exponent digits: maybe
					 * out of a parser's range */
/* Everything a full parser might see differently (besides keys). */
#define JSONSCAN_UNSURE	(JSONSCAN_NUL | JSONSCAN_SURROGATE | JSONSCAN_BIGNUM)

/* A key looked for in an object.  In: key, klen, and optionally sub/nsub:
 * keys looked for inside this key's value when it is an object.  Out (set
 * by the scan): val/vlen, the raw text of the value of the key's last
 * occurrence (as in jansson, the last one wins; for a string, quotes
 * included and escapes as written), val NULL when the key is absent; count,
 * the number of occurrences.  A sub's results belong to the last
 * occurrence of its parent key; escaped, whether that value is a string
 * written with an escape.  Keys are compared as written: an escaped
 * key never matches (see JSONSCAN_ESCKEY). */
struct jsonscan_field {
	const char *key;
	size_t klen;
	struct jsonscan_field *sub;
	size_t nsub;
	const char *val;
	size_t vlen;
	unsigned count;
	bool escaped;		/* val is a string with an escape in it */
};

/* Scan s[0, len) as one JSON value with optional white space around it;
 * when it is an object, look for the keys of f[0, nf) in it (f may be NULL
 * when nf is 0).  Returns JSONSCAN_VALID, JSONSCAN_INVALID or
 * JSONSCAN_TOO_DEEP.  *seen (may be NULL) gets the JSONSCAN_SPACE ...
 * flags.  Field results are reset first, so they are meaningful after any
 * return (partial unless valid). */
int jsonscan(const char *s, size_t len, struct jsonscan_field *f, size_t nf,
    unsigned *seen);

/* The cursor, for callers that match a known prefix by hand and scan the
 * rest: set p, end, depth (the depth of the next value) and seen = 0. */
struct jsonscan {
	const char *p, *end;
	int depth;
	unsigned seen;
};

/* Skip white space (noting JSONSCAN_SPACE). */
void jsonscan_ws(struct jsonscan *j);
/* At a '"': scan the string token; p moves past its closing quote.  1 or 0
 * (invalid).  *escaped: it holds an escape. */
int jsonscan_string(struct jsonscan *j, bool *escaped);
/* At a value (no leading white space): scan it, looking for f's keys when
 * it is an object (f's results are reset first).  Returns as jsonscan(). */
int jsonscan_value(struct jsonscan *j, struct jsonscan_field *f, size_t nf);
/* Inside an object, right after a member's value (white space allowed
 * before the ',' or '}'), with depth the depth of the object's members:
 * scan the rest of its members through the closing '}' (depth is then the
 * object's), looking for f's keys among them (f's results are reset
 * first).  Returns as jsonscan(). */
int jsonscan_object_rest(struct jsonscan *j, struct jsonscan_field *f,
    size_t nf);

/* Copy the valid JSON text s[0, len) to dst (room for len bytes) without
 * its insignificant white space; strings are copied as written.  Returns
 * the length of the copy. */
size_t jsonscan_strip(char *dst, const char *s, size_t len);

/* True when a field's value is the JSON string lit (written without
 * escapes). */
bool jsonscan_field_is(const struct jsonscan_field *f, const char *lit);

#endif
