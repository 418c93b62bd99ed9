/* bridge_args.c — the bridges' shared command line.  See bridge_args.h. */
#include <err.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "bridge_args.h"
#include "config.h"
#include "util.h"

#define EX_USAGE_	2
#define EX_CONFIG_	5
#define MAX_TEXT	(1 << 24)

int
bridge_args_parse(int argc, char **argv, const char *cpath, bool with_check,
    void (*usage)(FILE *), struct bridge_args *a)
{
	char *path, *msg = NULL;

	memset(a, 0, sizeof(*a));
	if (argc == 0)
		a->cmd = BRIDGE_CMD_RUN;
	else if (strcmp(argv[0], "send") == 0 && argc >= 2 && argc <= 3)
		a->cmd = BRIDGE_CMD_SEND;
	else if (strcmp(argv[0], "send-file") == 0 && argc >= 3 && argc <= 4)
		a->cmd = BRIDGE_CMD_SEND_FILE;
	else if (with_check && strcmp(argv[0], "check") == 0 && argc == 1)
		a->cmd = BRIDGE_CMD_CHECK;
	else {
		if (strcmp(argv[0], "send") != 0 && strcmp(argv[0], "send-file") != 0 &&
		    (!with_check || strcmp(argv[0], "check") != 0))
			warnx("%s: unknown command", argv[0]);
		usage(stderr);
		return EX_USAGE_;
	}
	if (argc >= 2)
		a->target = argv[1];
	if (a->cmd == BRIDGE_CMD_SEND_FILE) {
		a->path = argv[2];
		a->caption = argc == 4 ? argv[3] : NULL;
	}
	if (a->cmd == BRIDGE_CMD_SEND) {
		if (argc == 3 && strcmp(argv[2], "-") != 0)
			a->text = xstrdup(argv[2]);
		else {
			struct buf b = { 0 };

			if (read_fd(STDIN_FILENO, MAX_TEXT, &b) == -1) {
				warn("standard input");
				buf_free(&b);
				return 1;
			}
			a->text = b.s ? buf_steal(&b) : xstrdup("");
		}
	}
	path = config_path(cpath);
	a->cfg = config_load(path, &msg);
	free(path);
	if (a->cfg == NULL) {
		warnx("%s", msg);
		free(msg);
		bridge_args_free(a);
		return EX_CONFIG_;
	}
	return 0;
}

void
bridge_args_free(struct bridge_args *a)
{
	free(a->text);
	config_free(a->cfg);
	memset(a, 0, sizeof(*a));
}

double
bridge_args_number(const char *opt, const char *s, double min, double max,
    void (*usage)(FILE *))
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end || !isfinite(d) || d < min || d > max) {
		warnx("%s: %s: expected a number from %g to %g", opt, s, min, max);
		usage(stderr);
		exit(EX_USAGE_);
	}
	return d;
}

json_t *
bridge_args_action(const struct bridge_args *a, const char *channel)
{
	json_t *act;
	char *abs;

	if (a->cmd == BRIDGE_CMD_SEND) {
		act = json_pack("{s:s, s:s, s:s}", "op", "send", "channel", channel,
		    "text", a->text);
		if (act == NULL)
			warnx("the text is not UTF-8");
		return act;
	}
	abs = realpath(a->path, NULL);
	act = json_pack("{s:s, s:s, s:s}", "op", "file", "channel", channel, "path",
	    abs ? abs : a->path);
	free(abs);
	if (act == NULL) {
		warnx("%s: the path is not UTF-8", a->path);
		return NULL;
	}
	if (a->caption && json_object_set_new(act, "caption",
	    json_string(a->caption)) == -1) {
		warnx("the caption is not UTF-8");
		json_decref(act);
		return NULL;
	}
	return act;
}
