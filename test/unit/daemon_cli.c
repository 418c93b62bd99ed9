/* Unit tests for lib/daemon_cli: argv per CLI and mode, stream-json → events
 * per upstream's tables, and the fast path agreeing with the jansson path on
 * fixed and randomly mutated lines. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "daemon_cli.h"
#include "tap.h"
#include "util.h"

static char *
argv_str(char **v)
{
	struct buf b = { 0 };

	for (size_t i = 0; v[i]; i++) {
		if (i)
			buf_putc(&b, '|');
		buf_puts(&b, v[i]);
	}
	return buf_steal(&b);
}

static void
is_argv(enum cli_kind k, const char *mode, const char *model,
    const char *resume, const char *want, const char *name)
{
	char **v = cli_argv(k, mode, model, resume, "hi", "/w");
	char *s = argv_str(v);

	is_str(s, want, name);
	free(s);
	cli_argv_free(v);
}

/* The events of one line through the jansson path, as compact JSON. */
static char *
slow(enum cli_kind k, const char *line, size_t n, int *rc)
{
	struct cli_parser p;
	json_t *a = json_array();
	char *s;

	cli_parser_init(&p, k);
	*rc = cli_parse_line(&p, line, n, a);
	s = json_dumps(a, JSON_COMPACT);
	json_decref(a);
	cli_parser_free(&p);
	return s;
}

/* 1 when the fast path's answer agrees with the jansson path. */
static int
agree(const char *line, size_t n)
{
	struct cli_parser p;
	const char *tok = NULL;
	size_t toklen = 0;
	enum cli_fast f;
	int rc, ok = 1;
	char *want;

	cli_parser_init(&p, CLI_CLAUDE);
	f = cli_fast_line(&p, line, n, &tok, &toklen);
	want = slow(CLI_CLAUDE, line, n, &rc);
	if (f == CLI_FAST_DROP)
		ok = rc == 0 && strcmp(want, "[]") == 0;
	else if (f == CLI_FAST_PARTIAL) {
		char *ev = xasprintf("[{\"type\":\"partial\",\"content\":%.*s}]",
		    (int)toklen, tok);
		json_t *a = json_loads(ev, 0, NULL);
		char *got = a ? json_dumps(a, JSON_COMPACT) : NULL;

		ok = rc == 0 && got && strcmp(got, want) == 0;
		free(got);
		json_decref(a);
		free(ev);
	}
	if (!ok)
		printf("# disagree (fast %d): %.*s\n#   slow: %s\n", (int)f,
		    (int)n, line, want);
	free(want);
	cli_parser_free(&p);
	return ok;
}

static const char *lines[] = {
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hello \"}},\"session_id\":\"s\",\"parent_tool_use_id\":null,\"uuid\":\"u\"}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":12,\"delta\":{\"type\":\"text_delta\",\"text\":\"caf\\u00e9 \\\"q\\\" \\n \xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80\"}},\"session_id\":\"s\"}",
	"{ \"event\" : { \"delta\" : { \"text\" : \"spaced\" } , \"type\" : \"content_block_delta\" } , \"type\" : \"stream_event\" }",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"a\\\":\"}}}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"message_stop\"}}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"name\":\"Bash\",\"input\":{}}}}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"delta\":{\"text\":5}}}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"delta\":{\"text\":\"a\"}},\"type\":\"other\"}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"x\"}},\"event\":{\"type\":\"message_stop\"}}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"bad \xc3\"}}}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\\ud83d\\ude00\"}}}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}},\"n\":1e999}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}},\"n\":123456789012345678901234}",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}}} trailing",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ok\"}},}",
	"{\"type\":\"stream_event\",\"event\":[1,2,{\"a\":[true,false,null,-1.5e3]}]}",
	"{\"type\":\"stream_event\"}",
	"{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"x\"}",
	"not json",
	"",
	"{\"type\":\"stream_event\",\"event\":{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"tab\there\"}}}",
	"{\"t\\u0079pe\":\"stream_event\",\"event\":{\"type\":\"message_stop\"}}",
};

static unsigned long long rng = 88172645463325252ULL;

static unsigned
rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

int
main(void)
{
	/* argv per CLI and mode (upstream §6.1, §6.2) */
	is_argv(CLI_CLAUDE, "auto", NULL, NULL,
	    "claude|-p|--output-format|stream-json|--include-partial-messages|--verbose|--dangerously-skip-permissions|--|hi",
	    "claude auto");
	is_argv(CLI_CLAUDE, "plan", "m", "0b6c4c52-6a35-4b8e-9c1e-9a0c1f2d3e4f",
	    "claude|-p|--output-format|stream-json|--include-partial-messages|--verbose|--model|m|--resume|0b6c4c52-6a35-4b8e-9c1e-9a0c1f2d3e4f|--|hi",
	    "claude plan, model, resume");
	is_argv(CLI_CLAUDE, "bogus", NULL, "",
	    "claude|-p|--output-format|stream-json|--include-partial-messages|--verbose|--|hi",
	    "claude: an invalid mode is never auto, empty resume id ignored");
	is_argv(CLI_CODEX, "code", NULL, NULL, "codex|exec|--json|--full-auto|--cd|/w|--|hi",
	    "codex code");
	is_argv(CLI_CODEX, "ask", "o4", "0199a213-81c0-7800-8aa1-bbab2a035a53",
	    "codex|exec|resume|0199a213-81c0-7800-8aa1-bbab2a035a53|--json|--sandbox|read-only|--approval-policy|on-failure|--model|o4|--cd|/w|--|hi",
	    "codex ask resume");
	is_argv(CLI_GEMINI, "plan", NULL, "latest",
	    "gemini|--prompt=hi|--output-format|stream-json|--sandbox|--resume|latest", "gemini plan");
	is_argv(CLI_GEMINI, "ask", NULL, NULL,
	    "gemini|--prompt=hi|--output-format|stream-json", "gemini ask");
	is_argv(CLI_OPENCODE, "auto", "x", "ses_abc",
	    "opencode|run|--format|json|--quiet|--yolo|--model|x|--session|ses_abc|--|hi", "opencode auto");
	/* hardening #2: nothing from the client is read as an option */
	{
		static const enum cli_kind kinds[] = { CLI_CLAUDE, CLI_CODEX,
		    CLI_GEMINI, CLI_OPENCODE };

		for (size_t i = 0; i < 4; i++) {
			char **v = cli_argv(kinds[i], "plan", "-m", "--yolo",
			    "--dangerously-skip-permissions", "/w");
			size_t n = 0;
			int opt_like = 0;

			while (v[n])
				n++;
			for (size_t j = 0; j < n; j++)
				if (strcmp(v[j], "--dangerously-skip-permissions") == 0 ||
				    strcmp(v[j], "-m") == 0 || strcmp(v[j], "--yolo") == 0)
					opt_like++;
			if (kinds[i] == CLI_GEMINI)
				ok(opt_like == 0 && strcmp(v[1],
				    "--prompt=--dangerously-skip-permissions") == 0,
				    "gemini: the message is glued to --prompt=");
			else
				ok(opt_like == 1 && strcmp(v[n - 2], "--") == 0 &&
				    strcmp(v[n - 1], "--dangerously-skip-permissions") == 0,
				    "claude, codex, opencode: the message follows --; "
				    "model and id of the wrong shape left out");
			cli_argv_free(v);
		}
		ok(cli_model_valid("claude-opus-4-1") && cli_model_valid("openai/gpt-4o") &&
		    cli_model_valid("sonnet[1m]") && !cli_model_valid("-x") &&
		    !cli_model_valid("") && !cli_model_valid("a b") &&
		    !cli_model_valid(NULL), "model shapes");
		ok(cli_session_id_valid(CLI_CLAUDE, "0b6c4c52-6a35-4b8e-9c1e-9a0c1f2d3e4f") &&
		    !cli_session_id_valid(CLI_CLAUDE, "--resume") &&
		    !cli_session_id_valid(CLI_CLAUDE, "0b6c4c52-6a35-4b8e-9c1e-9a0c1f2d3e4") &&
		    cli_session_id_valid(CLI_GEMINI, "latest") &&
		    cli_session_id_valid(CLI_GEMINI, "3") &&
		    !cli_session_id_valid(CLI_GEMINI, "-3") &&
		    cli_session_id_valid(CLI_OPENCODE, "ses_1a2B") &&
		    !cli_session_id_valid(CLI_OPENCODE, "ses_") &&
		    !cli_session_id_valid(CLI_OPENCODE, "-ses_1"), "session id shapes");
	}
	is_int(cli_kind_of("weird"), CLI_CLAUDE, "unknown cli_type is claude");
	ok(cli_mode_valid("ask") && !cli_mode_valid("ASK") && !cli_mode_valid(NULL),
	    "mode validation");

	/* upstream conversion table (claude) */
	{
		int rc;
		char *s;

		s = slow(CLI_CLAUDE, "{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"tool_use\",\"name\":\"Read\",\"input\":{\"p\":1}},{\"type\":\"text\",\"text\":\"b\"}]}}", strlen("{\"type\":\"assistant\",\"message\":{\"content\":[{\"type\":\"text\",\"text\":\"a\"},{\"type\":\"tool_use\",\"name\":\"Read\",\"input\":{\"p\":1}},{\"type\":\"text\",\"text\":\"b\"}]}}"), &rc);
		is_str(s, "[{\"type\":\"tool_use\",\"tool\":\"Read\",\"input\":{\"p\":1}},{\"type\":\"text\",\"content\":\"ab\"}]",
		    "assistant: tool_use blocks first, then joined text");
		free(s);
		s = slow(CLI_CLAUDE, "{\"type\":\"assistant\",\"message\":{\"content\":[]}}", strlen("{\"type\":\"assistant\",\"message\":{\"content\":[]}}"), &rc);
		is_str(s, "[{\"type\":\"text\",\"content\":\"\"}]", "assistant without blocks: empty text");
		free(s);
		s = slow(CLI_CLAUDE, "{\"type\":\"tool_progress\",\"tool_name\":\"Bash\",\"status\":\"run\"}", strlen("{\"type\":\"tool_progress\",\"tool_name\":\"Bash\",\"status\":\"run\"}"), &rc);
		is_str(s, "[{\"type\":\"tool_use\",\"tool\":\"Bash\",\"message\":\"run\",\"raw\":{\"type\":\"tool_progress\",\"tool_name\":\"Bash\",\"status\":\"run\"}}]",
		    "tool_progress");
		free(s);
		s = slow(CLI_CLAUDE, "{\"type\":\"user\",\"message\":{}}", strlen("{\"type\":\"user\",\"message\":{}}"), &rc);
		is_str(s, "[]", "user lines dropped");
		free(s);
		s = slow(CLI_CLAUDE, "[1]", strlen("[1]"), &rc);
		is_int(rc, -1, "a non-object line is not an event");
		free(s);
	}
	/* codex deltas from cumulative text; gemini and opencode ids */
	{
		struct cli_parser p;
		json_t *a = json_array();
		char *s;
		const char *l1 = "{\"type\":\"thread.started\",\"thread_id\":\"th\"}";
		const char *l2 = "{\"type\":\"item.updated\",\"item_type\":\"agent_message\",\"text\":\"Hel\"}";
		const char *l3 = "{\"type\":\"item.updated\",\"item_type\":\"agent_message\",\"text\":\"Hello\"}";
		const char *l4 = "{\"type\":\"turn.completed\"}";

		cli_parser_init(&p, CLI_CODEX);
		cli_parse_line(&p, l1, strlen(l1), a);
		cli_parse_line(&p, l2, strlen(l2), a);
		cli_parse_line(&p, l3, strlen(l3), a);
		cli_parse_line(&p, l4, strlen(l4), a);
		s = json_dumps(a, JSON_COMPACT);
		is_str(s, "[{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":\"th\",\"raw\":{\"type\":\"thread.started\",\"thread_id\":\"th\"}},"
		    "{\"type\":\"partial\",\"content\":\"Hel\"},{\"type\":\"partial\",\"content\":\"lo\"},"
		    "{\"type\":\"result\",\"session_id\":\"th\",\"raw\":{\"type\":\"turn.completed\"}}]", "codex");
		free(s);
		json_decref(a);
		cli_parser_free(&p);
	}

	/* the fast path agrees with jansson on fixed lines ... */
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		char *name = xasprintf("fast path agrees: line %zu", i);

		ok(agree(lines[i], strlen(lines[i])), name);
		free(name);
	}
	{
		const char *tok;
		size_t tl;
		struct cli_parser p;

		cli_parser_init(&p, CLI_CLAUDE);
		is_int(cli_fast_line(&p, lines[0], strlen(lines[0]), &tok, &tl),
		    CLI_FAST_PARTIAL, "the common delta takes the fast path");
		ok(tl == 8 && memcmp(tok, "\"Hello \"", 8) == 0, "its token");
		is_int(cli_fast_line(&p, lines[2], strlen(lines[2]), &tok, &tl),
		    CLI_FAST_PARTIAL, "other key orders and spacing too");
		is_int(cli_fast_line(&p, lines[4], strlen(lines[4]), &tok, &tl),
		    CLI_FAST_DROP, "lifecycle events are dropped");
		is_int(cli_fast_line(&p, lines[5], strlen(lines[5]), &tok, &tl),
		    CLI_FAST_NO, "tool_use block start goes to jansson");
		cli_parser_free(&p);
	}
	/* ... and on 200000 random mutations of them. */
	{
		char buf[512];
		const char alphabet[] = "{}[]\":,\\ u0aeE.-+\x80\xc3\xa9\xff\x01tfn9";
		int bad = 0;

		for (int it = 0; it < 200000 && bad < 5; it++) {
			const char *src = lines[rnd(sizeof(lines) / sizeof(lines[0]))];
			size_t n = strlen(src);
			int edits = 1 + (int)rnd(3);

			if (n >= sizeof(buf) - 8)
				continue;
			memcpy(buf, src, n);
			while (edits--) {
				size_t at = n ? rnd((unsigned)n) : 0;
				char c = alphabet[rnd(sizeof(alphabet) - 1)];

				switch (rnd(3)) {
				case 0:		/* replace */
					if (n)
						buf[at] = c;
					break;
				case 1:		/* insert */
					memmove(buf + at + 1, buf + at, n - at);
					buf[at] = c;
					n++;
					break;
				default:	/* delete */
					if (n) {
						memmove(buf + at, buf + at + 1, n - at - 1);
						n--;
					}
				}
			}
			if (!agree(buf, n))
				bad++;
		}
		is_int(bad, 0, "fast path agrees on 200000 mutated lines");
	}
	return tap_done();
}
