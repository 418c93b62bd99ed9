/* backoff.c — retry delays.  See backoff.h. */
#include <stdlib.h>

#include "backoff.h"

long
http_backoff_ms(int attempt, long base_ms, long cap_ms)
{
	long ms = base_ms;

	for (int i = 1; i < attempt && ms < cap_ms; i++)
		ms *= 2;
	if (ms > cap_ms)
		ms = cap_ms;
	return ms + (ms > 4 ? random() % (ms / 4) : 0);
}
