/*
 * policy.h — the pure rules of the client, kept apart so they can be tested
 * without a server: the QPS/burst token bucket, the retry decision and its
 * backoff, Retry-After parsing, and decoding a Status object into a kerr.
 * Nothing here does I/O or reads a clock: time is passed in.
 */
#ifndef KAIRN_KUBE_POLICY_H
#define KAIRN_KUBE_POLICY_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "util/err.h"

/* ---- token bucket -------------------------------------------------------- */

/* Starts full (burst tokens) and refills at qps tokens per second. */
struct kube_limiter {
	pthread_mutex_t mu;
	double qps;    /* <= 0: unlimited */
	double burst;
	double tokens; /* may go negative: tokens already promised to waiters */
	int64_t last_ms;
};

void kube_limiter_init(struct kube_limiter *l, double qps, int burst, int64_t now_ms);
void kube_limiter_destroy(struct kube_limiter *l);
/* Takes one token and returns how many ms the caller must wait before using
 * it (0 = now). Waiters queue up: each reservation pushes the next one later,
 * so N callers at once are spread at 1/qps intervals once the burst is gone. */
int64_t kube_limiter_reserve(struct kube_limiter *l, int64_t now_ms);

/* ---- retries ------------------------------------------------------------- */

struct kube_retry_policy {
	int max_attempts;  /* first try included */
	int64_t base_ms;   /* delay before the 2nd attempt (before jitter) */
	int64_t max_ms;    /* cap on any delay, Retry-After included */
};

/* What went wrong with one attempt. */
struct kube_attempt {
	int http_status;      /* 0 when no response was received */
	int net_error;        /* KAIRN_ENET/ETIMEOUT/ETLS when the transport failed */
	int request_sent;     /* the request may have reached the server */
	int64_t retry_after_ms; /* parsed Retry-After, -1 if absent */
};

/* Whether attempt number `attempt` (1-based, the one that just failed) of a
 * request should be retried. Retried: 429 (any method: the server did not
 * act on it), 5xx and transport errors for idempotent requests, and
 * connection failures before the request was sent for any request. Never:
 * TLS errors, other 4xx, or when max_attempts is reached. */
int kube_retry_should(const struct kube_retry_policy *p, int attempt, int idempotent,
		      const struct kube_attempt *a);

/* Delay before the next attempt: Retry-After when the server gave one (capped
 * at max_ms), else base*2^(attempt-1) capped at max_ms with "equal jitter"
 * (uniform in [d/2, d]). rng is a caller-owned xorshift state (non-zero). */
int64_t kube_retry_delay_ms(const struct kube_retry_policy *p, int attempt,
			    const struct kube_attempt *a, uint64_t *rng);

/* Parses a Retry-After value: delta-seconds or an HTTP-date (now is the
 * wall clock). Returns 0 and *ms, or -1 if unparseable. */
int kube_retry_after_parse(const char *v, time_t now, int64_t *ms);

/* ---- Status -------------------------------------------------------------- */

/* Maps an HTTP status (and Status reason) to a KAIRN_E* code. */
int kube_status_code(int http_status, const char *reason);

/* Fills e from a failed response: "<method> <path>: <code> <Reason>: <message>
 * [(causes)]". The body may be a Status object, other JSON, text or empty;
 * reason_out (may be NULL, 64 bytes) gets the Status reason. Returns e->code. */
int kube_status_error(int http_status, const char *body, size_t len, const char *method,
		      const char *path, char reason_out[64], struct kerr *e);

#endif
