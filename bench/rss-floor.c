/* rss-floor — the memory a bridge cannot go below: a program that links
 * what cc-discord and cc-lark link (libcurl, libwebsockets, libevent,
 * jansson, libyaml), initialises libcurl and libwebsockets as they do, and
 * then waits for end of input doing nothing.  Built with -DFLOOR_NO_WS it
 * leaves libwebsockets out, as cc-telegram does.  The benchmarks read its
 * VmRSS next to the bridge's, in the same run. */
#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#ifndef FLOOR_NO_WS
#include <libwebsockets.h>
#endif
#include <yaml.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

int
main(void)
{
#ifndef FLOOR_NO_WS
	struct lws_context_creation_info info;
	struct lws_context *lws;
#endif
	struct event_base *base;
	yaml_parser_t parser;
	json_t *j;
	char c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return 1;
#ifndef FLOOR_NO_WS
	memset(&info, 0, sizeof(info));
	info.port = CONTEXT_PORT_NO_LISTEN;
	lws_set_log_level(0, NULL);
	if ((lws = lws_create_context(&info)) == NULL)
		return 1;
#endif
	if ((base = event_base_new()) == NULL)
		return 1;
	if (!yaml_parser_initialize(&parser))
		return 1;
	j = json_pack("{s:s}", "type", "hello");
	puts("ready");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	json_decref(j);
	yaml_parser_delete(&parser);
	event_base_free(base);
#ifndef FLOOR_NO_WS
	lws_context_destroy(lws);
#endif
	curl_global_cleanup();
	return 0;
}
