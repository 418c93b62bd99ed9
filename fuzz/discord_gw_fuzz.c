/* libFuzzer target for Discord's gateway payloads (lib/discord_gw.c):
 * every frame is parsed as the bridge parses it, and a dispatch's d is
 * taken apart as MESSAGE_CREATE and INTERACTION_CREATE would be (message
 * event, user, slash command text against the engine's command list,
 * focused option, custom ids, chosen labels, components from d.options,
 * commands payload from d.list).  Checks:
 * - a payload that parses has an op in 0..1000 and s -1 or >= 0;
 * - a message event, when one comes, is an object with a "discord:"
 *   channel and a user of digits;
 * - a command text starts with "/" and has no newline in its name;
 * - a custom id made is within 100 bytes and parses back to its parts;
 * - every text made is valid UTF-8 when its input was (dc_cut never cuts
 *   inside a character). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "config.h"
#include "discord_gw.h"
#include "util.h"

static json_t *list;

static void
check_utf8(const char *s)
{
	json_t *j = json_string(s);	/* NULL when not valid UTF-8 */

	if (j == NULL)
		abort();
	json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dc_gw g;
	struct strlist admins = { 0 };
	char *admin[] = { "7" };
	json_t *ev, *data_, *comps;
	char *s, *id, *name, *ref, *value;
	const char *on, *ov, *err;

	if (list == NULL)
		list = json_loads("[{\"name\":\"start\",\"options\":[{\"name\":\"peer\","
		    "\"required\":true,\"complete\":true},{\"name\":\"path\",\"required\":"
		    "true},{\"name\":\"cli\",\"choices\":[\"claude\",\"codex\"]}]},"
		    "{\"name\":\"health\",\"options\":[{\"name\":\"args\"}]}]", 0, NULL);
	admins.v = admin;
	admins.n = 1;
	if (dc_gw_parse((const char *)data, size, &g) == -1)
		return 0;
	if (g.op < 0 || g.op > 1000 || g.s < -1)
		abort();
	ev = dc_message_event(g.d, "999", size & 1 ? "!" : "/", &admins);
	if (ev) {
		const char *ch = json_string_value(json_object_get(ev, "channel"));
		const char *u = json_string_value(json_object_get(ev, "user"));

		if (ch == NULL || strncmp(ch, "discord:", 8) != 0 || u == NULL ||
		    u[strspn(u, "0123456789")] != '\0')
			abort();
		json_decref(ev);
	}
	if (dc_interaction_user(g.d, &id, &name)) {
		free(id);
		free(name);
	}
	data_ = json_object_get(g.d, "data");
	s = dc_command_text(data_, list);
	if (s) {
		if (s[0] != '/' || strcspn(s, "\n") < strcspn(s, " "))
			abort();
		free(s);
	}
	if (dc_focused_option(data_, &on, &ov))
		(void)strlen(on);
	if (dc_custom_parse(json_string_value(json_object_get(data_, "custom_id")),
	    &ref, &value)) {
		char *again = dc_custom_id(ref, value);

		if (again) {
			if (strlen(again) > 100 || strcmp(again, json_string_value(
			    json_object_get(data_, "custom_id"))) != 0)
				abort();
			free(again);
		}
		s = dc_chosen_labels(json_object_get(json_object_get(g.d, "message"),
		    "components"), ref, json_object_get(data_, "values"));
		check_utf8(s);
		free(s);
		free(ref);
		free(value);
	}
	comps = dc_ask_components(json_object_get(g.d, "options"), size & 2,
	    g.t ? g.t : "q1", &err);
	if (comps) {
		s = json_dumps(comps, JSON_COMPACT);
		check_utf8(s);
		free(s);
		json_decref(comps);
	}
	comps = dc_commands_payload(json_object_get(g.d, "list"));
	json_decref(comps);
	if (g.t) {
		s = dc_cut(g.t, size % 7);
		check_utf8(s);
		free(s);
	}
	json_decref(g.root);
	return 0;
}
