/* Unit tests for lib/askq: AskUserQuestion input in its three shapes (§8,
 * quirk Q6), the text form, and typed replies read as answers. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "askq.h"
#include "tap.h"
#include "util.h"

static json_t *
js(const char *json)
{
	json_error_t e;
	json_t *j = json_loads(json, 0, &e);

	if (j == NULL)
		printf("# bad JSON in test: %s\n", e.text);
	return j;
}

#define QUESTIONS "[{\"header\":\"Database\",\"question\":\"Which database should " \
	"we use?\",\"multiSelect\":false,\"options\":[" \
	"{\"label\":\"Postgres\",\"description\":\"PostgreSQL 16\"}," \
	"{\"label\":\"SQLite\"}," \
	"{\"value\":42}]}," \
	"{\"multiSelect\":true,\"options\":[{\"label\":\"a\"},{\"label\":\"b\"}," \
	"{\"label\":\"c\"}]}]"

/* Parse an event; the number of questions. */
static size_t
parse(const char *json, struct askq **qs)
{
	json_t *ev = js(json);
	size_t n = askq_parse(ev, qs);

	json_decref(ev);
	return n;
}

static void
reply_is(const struct askq *q, const char *reply, const char *want)
{
	char *got = NULL, name[160];
	bool matched = askq_match_reply(q, reply, &got);

	snprintf(name, sizeof(name), "reply \"%s\" -> %s", reply, want ? want : "(not an answer)");
	if (want == NULL)
		ok(!matched && got == NULL, name);
	else if (ok(matched, name))
		is_str(got, want, name);
	free(got);
}

int
main(void)
{
	struct askq *qs;
	size_t n;
	char *s, *ev;

	/* The object form. */
	ev = xasprintf("{\"type\":\"tool_use\",\"tool\":\"AskUserQuestion\","
	    "\"input\":{\"questions\":%s}}", QUESTIONS);
	n = parse(ev, &qs);
	free(ev);
	is_int((long long)n, 2, "object form: 2 questions");
	if (n != 2)
		return tap_done();
	is_str(qs[0].header, "Database", "header");
	is_str(qs[0].question, "Which database should we use?", "question text kept");
	ok(!qs[0].multi, "single select");
	is_int((long long)qs[0].nopts, 3, "3 options");
	is_str(qs[0].options[0], "PostgreSQL 16", "option: description first");
	is_str(qs[0].labels[0], "Postgres", "label kept");
	is_str(qs[0].options[1], "SQLite", "option: else the label");
	is_str(qs[0].labels[1], "SQLite", "label");
	is_str(qs[0].options[2], "{\"value\":42}", "option: else its JSON");
	is_str(qs[0].labels[2], "{\"value\":42}", "label: else the option");
	is_str(qs[1].header, "Question", "header defaults to Question");
	ok(qs[1].question == NULL, "no question text");
	ok(qs[1].multi, "multiSelect");

	/* Text form. */
	s = askq_text(&qs[0]);
	is_str(s, "**Database**\nWhich database should we use?\n  1. PostgreSQL 16\n"
	    "  2. SQLite\n  3. {\"value\":42}", "text form, single");
	free(s);
	s = askq_text(&qs[1]);
	is_str(s, "**Question**\n_Select one or more by replying with numbers "
	    "separated by commas._\n  1. a\n  2. b\n  3. c", "text form, multi");
	free(s);

	/* Replies to the single-select question. */
	reply_is(&qs[0], "2", "SQLite");
	reply_is(&qs[0], "  1 ", "PostgreSQL 16");
	reply_is(&qs[0], "3", "{\"value\":42}");
	reply_is(&qs[0], "0", NULL);
	reply_is(&qs[0], "4", NULL);
	reply_is(&qs[0], "99999999999999999999", NULL);
	reply_is(&qs[0], "1, 2", NULL);
	reply_is(&qs[0], "sqlite", "SQLite");
	reply_is(&qs[0], "POSTGRES", "PostgreSQL 16");
	reply_is(&qs[0], "postgresql 16", "PostgreSQL 16");
	reply_is(&qs[0], "use sqlite please", NULL);
	reply_is(&qs[0], "2 apples", NULL);
	reply_is(&qs[0], "", NULL);
	reply_is(&qs[0], " , ", NULL);
	/* Multi-select. */
	reply_is(&qs[1], "1, 3", "a, c");
	reply_is(&qs[1], "3 1", "c, a");
	reply_is(&qs[1], "2,2", "b");
	reply_is(&qs[1], "2", "b");
	reply_is(&qs[1], "1, 4", NULL);
	reply_is(&qs[1], "B", "b");
	{
		size_t idx[] = { 2, 0, 7 };

		s = askq_answer(&qs[1], idx, 3);
		is_str(s, "c, a", "answer: chosen options, out of range skipped");
		free(s);
		s = askq_answer(&qs[1], idx, 0);
		is_str(s, "", "answer: none");
		free(s);
	}
	askq_free(qs, n);

	/* A JSON string holding the object. */
	{
		json_t *e = js("{\"tool\":\"AskUserQuestion\"}");
		char *in = xasprintf("{\"questions\":%s}", QUESTIONS);

		json_object_set_new(e, "input", json_string(in));
		n = askq_parse(e, &qs);
		is_int((long long)n, 2, "string form: 2 questions");
		if (n == 2)
			is_str(qs[0].options[0], "PostgreSQL 16", "string form: options");
		askq_free(qs, n);
		/* A JSON string holding the array. */
		json_object_set_new(e, "input", json_string(QUESTIONS));
		n = askq_parse(e, &qs);
		is_int((long long)n, 2, "string form of the array: 2 questions");
		askq_free(qs, n);
		json_object_set_new(e, "input", json_string("{not json"));
		n = askq_parse(e, &qs);
		ok(n == 0 && qs == NULL, "unparseable string: no questions");
		json_decref(e);
		free(in);
	}
	/* The array form (upstream crashed, Q6). */
	ev = xasprintf("{\"tool\":\"AskUserQuestion\",\"input\":%s}", QUESTIONS);
	n = parse(ev, &qs);
	free(ev);
	is_int((long long)n, 2, "array form: 2 questions");
	if (n == 2)
		is_str(qs[1].options[2], "c", "array form: options");
	askq_free(qs, n);

	/* None: missing, empty, or not a list. */
	n = parse("{\"tool\":\"AskUserQuestion\"}", &qs);
	ok(n == 0 && qs == NULL, "no input: 0");
	n = parse("{\"tool\":\"AskUserQuestion\",\"input\":{}}", &qs);
	ok(n == 0 && qs == NULL, "no questions: 0");
	n = parse("{\"tool\":\"AskUserQuestion\",\"input\":{\"questions\":[]}}", &qs);
	ok(n == 0 && qs == NULL, "empty questions: 0");
	n = parse("{\"tool\":\"AskUserQuestion\",\"input\":{\"questions\":\"x\"}}", &qs);
	ok(n == 0 && qs == NULL, "questions not a list: 0");
	n = parse("{\"input\":{\"questions\":[1,\"x\",{\"header\":\"H\"}]}}", &qs);
	is_int((long long)n, 1, "non-object questions skipped");
	if (n == 1) {
		ok(qs[0].nopts == 0 && qs[0].options == NULL, "a question without options");
		s = askq_text(&qs[0]);
		is_str(s, "**H**", "text of a question without options");
		free(s);
		reply_is(&qs[0], "1", NULL);
	}
	askq_free(qs, n);
	/* Options as plain strings. */
	n = parse("{\"input\":{\"questions\":[{\"options\":[\"Yes\",\"No\",\"\"]}]}}", &qs);
	is_int((long long)n, 1, "string options: 1 question");
	if (n == 1) {
		is_str(qs[0].options[0], "Yes", "string option");
		is_str(qs[0].options[2], "\"\"", "empty string option: its JSON");
		reply_is(&qs[0], "no", "No");
	}
	askq_free(qs, n);
	askq_free(NULL, 0);
	return tap_done();
}
