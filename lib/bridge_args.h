/* bridge_args.h — the command line every bridge command (cc-telegram,
 * cc-discord, cc-lark) shares after its own options: the subcommands
 * `send TARGET [TEXT|-]`, `send-file TARGET PATH [CAPTION]` and, for the
 * bridges that have it, `check`; the config loaded; numeric option values
 * checked.  Owns nothing but what it parses. */
#ifndef CC_BRIDGE_ARGS_H
#define CC_BRIDGE_ARGS_H

#include <stdbool.h>
#include <stdio.h>

#include <jansson.h>

struct config;

enum bridge_cmd { BRIDGE_CMD_RUN, BRIDGE_CMD_SEND, BRIDGE_CMD_SEND_FILE, BRIDGE_CMD_CHECK };

struct bridge_args {
	enum bridge_cmd cmd;
	const char *target;		/* send, send-file: the chat or channel */
	const char *path;		/* send-file */
	const char *caption;		/* send-file, or NULL */
	char *text;			/* send: TEXT, or standard input for - */
	struct config *cfg;
};

/* Parse the words after the options (argc, argv) and load the config at
 * cpath (NULL: the default); with_check allows `check`.  0, or the
 * exit status after a diagnostic: 2 a usage error (usage(stderr) printed),
 * 5 a config that does not load, 1 standard input unreadable. */
int bridge_args_parse(int argc, char **argv, const char *cpath, bool with_check,
    void (*usage)(FILE *f), struct bridge_args *a);
void bridge_args_free(struct bridge_args *a);

/* The action `send` or `send-file` asks for, addressed to channel (the
 * bridge's own name for a->target): a send of the text, or a file action
 * with the path made absolute and the caption.  NULL after a diagnostic
 * when the text is not UTF-8. */
json_t *bridge_args_action(const struct bridge_args *a, const char *channel);

/* opt's value s as a number from min to max; else a diagnostic, usage and
 * exit 2. */
double bridge_args_number(const char *opt, const char *s, double min, double max,
    void (*usage)(FILE *f));

#endif
