/* daemon-gen: a CLI stand-in for bench/daemon.sh.  Prints a claude
 * stream-json system init line, N (default 200000, $GEN_LINES)
 * stream_event text-delta lines as fast as it can, and a result line.
 * Arguments are ignored (it is run as `claude -p ...`). */
#include <stdio.h>
#include <stdlib.h>

int
main(void)
{
	const char *e = getenv("GEN_LINES");
	long n = e ? strtol(e, NULL, 10) : 200000, i;
	static char buf[1 << 16];

	setvbuf(stdout, buf, _IOFBF, sizeof(buf));
	printf("{\"type\":\"system\",\"subtype\":\"init\",\"session_id\":"
	    "\"bench-0000\",\"model\":\"bench-model\",\"tools\":[]}\n");
	for (i = 0; i < n; i++)
		printf("{\"type\":\"stream_event\",\"event\":{\"type\":"
		    "\"content_block_delta\",\"index\":0,\"delta\":{\"type\":"
		    "\"text_delta\",\"text\":\"tok%ld \"}},\"session_id\":"
		    "\"bench-0000\",\"parent_tool_use_id\":null}\n", i);
	printf("{\"type\":\"result\",\"subtype\":\"success\",\"is_error\":false,"
	    "\"result\":\"done\",\"session_id\":\"bench-0000\"}\n");
	return fflush(stdout) == 0 ? 0 : 1;
}
