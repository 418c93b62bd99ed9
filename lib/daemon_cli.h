/* daemon_cli.h — how cc-daemon runs a coding CLI: the argument vector for
 * one message (claude, codex, gemini, opencode; upstream flags, message as
 * one argv element) and the conversion of the CLI's stdout lines into the
 * daemon protocol's stream events (upstream's tables, see cc-daemon(1)). */
#ifndef CC_DAEMON_CLI_H
#define CC_DAEMON_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum cli_kind { CLI_CLAUDE, CLI_CODEX, CLI_GEMINI, CLI_OPENCODE };

/* The adapter for a session's cli_type: NULL and unknown values are claude
 * (upstream rule; the value itself is stored verbatim by the caller). */
enum cli_kind cli_kind_of(const char *cli_type);
/* The program name run for a kind: "claude", "codex", ... */
const char *cli_program(enum cli_kind k);

/* True for auto, code, plan, ask. */
bool cli_mode_valid(const char *mode);

/* A model name: a letter or digit, then letters, digits and . _ : / @ [ ]
 * + -, at most CLI_MODEL_MAX bytes ("claude-opus-4-1", "openai/gpt-4o",
 * "sonnet[1m]").  Never starts with '-'. */
#define CLI_MODEL_MAX	128
bool cli_model_valid(const char *model);
/* A session id of the CLI's own shape: claude and codex a UUID; gemini a
 * UUID, "latest" or an index (1-999999999); opencode "ses_" and 1-64
 * letters or digits. */
bool cli_session_id_valid(enum cli_kind k, const char *id);

/* The argv (NULL-terminated, malloc'd, free with cli_argv_free) to run one
 * message.  model and resume_id may be NULL; cwd is used by codex (--cd).
 * The message is never where an option could be: it follows "--" (claude,
 * codex, opencode) or is glued to gemini's --prompt=.  A model or resume id
 * that fails the checks above is left out; an invalid mode is taken as
 * ask (the most restrictive). */
char **cli_argv(enum cli_kind k, const char *mode, const char *model,
    const char *resume_id, const char *message, const char *cwd);
void cli_argv_free(char **argv);

/* Per-run conversion state (codex computes deltas from cumulative text;
 * codex, gemini and opencode remember the session id for the result). */
struct cli_parser {
	enum cli_kind kind;
	size_t last_text_len;
	char *session_id;
};
void cli_parser_init(struct cli_parser *p, enum cli_kind k);
void cli_parser_free(struct cli_parser *p);

/* Convert one stdout line (without its newline) into zero or more events,
 * appended to the JSON array out.  Returns 0, or -1 when the line is not a
 * JSON object (nothing appended). */
int cli_parse_line(struct cli_parser *p, const char *line, size_t len,
    json_t *out);

/* The fast path for the bulk of a claude stream (text deltas and other
 * stream_event lines), without building JSON trees.  Returns:
 *   CLI_FAST_PARTIAL  the line is a text delta: the event is
 *                     {"type":"partial","content":TOKEN} where TOKEN is
 *                     [*tok, *tok + *toklen), a JSON string token (quotes
 *                     included) copied from the line, already valid JSON;
 *   CLI_FAST_DROP     a valid line upstream's table drops;
 *   CLI_FAST_NO       anything else: use cli_parse_line.
 * The whole line is validated as strictly as jansson would (UTF-8, escapes,
 * numbers); any doubt gives CLI_FAST_NO. */
enum cli_fast { CLI_FAST_NO, CLI_FAST_DROP, CLI_FAST_PARTIAL };
enum cli_fast cli_fast_line(const struct cli_parser *p, const char *line,
    size_t len, const char **tok, size_t *toklen);

/* An event's "type", "session_id" and "model" strings, or NULL.  Every
 * adapter turns its CLI's session announcement into a `system` event, so
 * the caller tracks ids and models on events alone.  Borrowed. */
const char *cli_event_type(const json_t *ev);
const char *cli_event_session_id(const json_t *ev);
const char *cli_event_model(const json_t *ev);

#endif
