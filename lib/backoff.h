/* backoff.h — the delay before a retry, shared by lib/http (platform REST
 * calls) and lib/bridge (a platform call to make again).  Its own module
 * so that a bridge whose platform is not reached over HTTP (cc-web,
 * cc-tty) does not link libcurl and its libraries for it. */
#ifndef CC_BACKOFF_H
#define CC_BACKOFF_H

/* Retry delay for the attempt-th retry (1, 2, …): base doubled each time,
 * at most cap, with up to 25 % random jitter added. */
long http_backoff_ms(int attempt, long base_ms, long cap_ms);

#endif
