/* askq.c — see askq.h. */
#include "askq.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

void
askq_free(struct askq *qs, size_t n)
{
	if (qs == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(qs[i].header);
		free(qs[i].question);
		for (size_t j = 0; j < qs[i].nopts; j++) {
			free(qs[i].options[j]);
			free(qs[i].labels[j]);
		}
		free(qs[i].options);
		free(qs[i].labels);
	}
	free(qs);
}

/* A non-empty string member, or NULL. */
static const char *
str_member(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s != NULL && *s != '\0' ? s : NULL;
}

static char *
json_text(const json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY), *copy;

	if (s == NULL)
		return xstrdup("?");
	copy = xstrdup(s);
	free(s);
	return copy;
}

static void
parse_question(const json_t *q, struct askq *out)
{
	const json_t *opts = json_object_get(q, "options"), *o;
	const char *h = str_member(q, "header"), *text = str_member(q, "question");
	size_t i;

	memset(out, 0, sizeof(*out));
	out->header = xstrdup(h != NULL ? h : "Question");
	out->question = text != NULL ? xstrdup(text) : NULL;
	out->multi = json_is_true(json_object_get(q, "multiSelect"));
	if (!json_is_array(opts) || json_array_size(opts) == 0)
		return;
	out->options = xcalloc(json_array_size(opts), sizeof(*out->options));
	out->labels = xcalloc(json_array_size(opts), sizeof(*out->labels));
	json_array_foreach(opts, i, o) {
		const char *desc = NULL, *label = NULL;

		if (json_is_object(o)) {
			desc = str_member(o, "description");
			label = str_member(o, "label");
		} else if (json_is_string(o) && json_string_length(o) > 0) {
			label = json_string_value(o);
		}
		out->options[i] = desc != NULL ? xstrdup(desc) :
		    label != NULL ? xstrdup(label) : json_text(o);
		out->labels[i] = xstrdup(label != NULL ? label : out->options[i]);
	}
	out->nopts = json_array_size(opts);
}

size_t
askq_parse(const json_t *ev, struct askq **qs)
{
	const json_t *input = json_object_get(ev, "input"), *list, *q;
	json_t *parsed = NULL;
	size_t n = 0, i;

	*qs = NULL;
	if (json_is_string(input)) {
		parsed = json_loads(json_string_value(input), JSON_DECODE_ANY, NULL);
		input = parsed;
	}
	/* An array is the list of questions itself (upstream crashed, Q6). */
	list = json_is_array(input) ? input : json_object_get(input, "questions");
	if (json_is_array(list) && json_array_size(list) > 0) {
		*qs = xcalloc(json_array_size(list), sizeof(**qs));
		json_array_foreach(list, i, q)
			if (json_is_object(q))
				parse_question(q, &(*qs)[n++]);
	}
	json_decref(parsed);
	if (n == 0) {
		free(*qs);
		*qs = NULL;
	}
	return n;
}

char *
askq_text(const struct askq *q)
{
	struct buf b = {0};

	buf_printf(&b, "**%s**", q->header);
	if (q->question != NULL)
		buf_printf(&b, "\n%s", q->question);
	if (q->multi)
		buf_puts(&b, "\n_Select one or more by replying with numbers "
		    "separated by commas._");
	for (size_t i = 0; i < q->nopts; i++)
		buf_printf(&b, "\n  %zu. %s", i + 1, q->options[i]);
	return buf_steal(&b);
}

char *
askq_answer(const struct askq *q, const size_t *idx, size_t n)
{
	struct buf b = {0};
	bool first = true;

	buf_puts(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (idx[i] >= q->nopts)
			continue;
		buf_printf(&b, "%s%s", first ? "" : ", ", q->options[idx[i]]);
		first = false;
	}
	return buf_steal(&b);
}

/* ASCII case-insensitive equality, whatever the process locale. */
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

/* The 0-based option numbers of a reply made only of numbers separated by
 * commas and white space ("2", "1, 3", "1 3"); false when it is not one or
 * a number is out of range.  Repeats count once. */
static bool
reply_numbers(const struct askq *q, const char *s, size_t **idx, size_t *n)
{
	size_t count = 0;
	bool any = false;

	*idx = NULL;
	*n = 0;
	for (const char *p = s; *p != '\0'; p++) {
		if (*p >= '0' && *p <= '9')
			any = true;
		else if (!strchr(", \t\r\n", *p))
			return false;
	}
	if (!any)
		return false;
	while (*s != '\0') {
		unsigned long long v = 0;
		size_t digits = 0;
		bool seen = false;

		while (*s == ',' || *s == ' ' || *s == '\t' || *s == '\r' || *s == '\n')
			s++;
		if (*s == '\0')
			break;
		for (; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits < 12)
				v = v * 10 + (unsigned long long)(*s - '0');
		if (v < 1 || v > q->nopts || digits > 9) {
			free(*idx);
			*idx = NULL;
			*n = 0;
			return false;
		}
		count++;
		for (size_t i = 0; i < *n; i++)
			seen = seen || (*idx)[i] == v - 1;
		if (!seen) {
			*idx = xreallocarray(*idx, *n + 1, sizeof(**idx));
			(*idx)[(*n)++] = (size_t)(v - 1);
		}
	}
	if (!q->multi && count != 1) {
		free(*idx);
		*idx = NULL;
		*n = 0;
		return false;
	}
	return *n > 0;
}

bool
askq_match_reply(const struct askq *q, const char *reply, char **answer)
{
	char *s = str_trim(xstrdup(reply));
	size_t *idx, n;
	bool matched = false;

	*answer = NULL;
	if (q->nopts == 0 || *s == '\0') {
		free(s);
		return false;
	}
	if (reply_numbers(q, s, &idx, &n)) {
		*answer = askq_answer(q, idx, n);
		matched = true;
	} else {
		for (size_t i = 0; i < q->nopts && !matched; i++) {
			if (same_ci(s, q->labels[i]) || same_ci(s, q->options[i])) {
				*answer = xstrdup(q->options[i]);
				matched = true;
			}
		}
	}
	free(idx);
	free(s);
	return matched;
}
