/*
 * http.h — kairn run's HTTP endpoints (libmicrohttpd):
 *   GET  /healthz  200 "ok" while the process serves at all
 *   GET  /readyz   200 when the ready callback says so (kairn run: every source
 *                  synced once, or a follower in standby), else 503
 *   GET  /metrics  the Prometheus registry
 *   POST /webhook  a verified Git push (webhook.h) triggers a sync
 * Everything else is 404; a wrong method 405. Bodies are capped
 * (HTTP_MAX_BODY) so a hostile client cannot make the agent buffer
 * unbounded data. The server never logs request bodies or secrets.
 */
#ifndef KAIRN_DAEMON_HTTP_H
#define KAIRN_DAEMON_HTTP_H

#include <stdint.h>
#include "daemon/metrics.h"
#include "util/err.h"

#define HTTP_MAX_BODY (1024 * 1024)

struct daemon_http_opts {
	const char *listen;          /* "127.0.0.1:8080", ":8080" or "127.0.0.1:0" */
	struct metrics *metrics;     /* rendered at /metrics (may be NULL) */
	const char *webhook_secret;  /* NULL: every webhook refused */
	/* Returns 1 when ready; called from the server thread. */
	int (*ready)(void *ctx);
	/* Called for an authentic push with its ref ("refs/heads/main"). */
	void (*on_push)(const char *ref, void *ctx);
	void *ctx;
};

struct daemon_http;

int daemon_http_start(const struct daemon_http_opts *o, struct daemon_http **out, struct kerr *e);
/* The port actually bound (useful with port 0). */
uint16_t daemon_http_port(const struct daemon_http *h);
void daemon_http_stop(struct daemon_http *h);

#endif
