/*
 * err.h — kairn's error convention.
 *
 * Every fallible function returns 0 or a negative KAIRN_E* code and, when it
 * fails, fills the caller's struct kerr with a message a user can act on.
 * Callers add context with kerr_prefix() as the error travels up, so the final
 * message reads "loading manifests: apps.yaml:12: spec.replicas: not an integer".
 * Nothing here allocates: a struct kerr lives on the caller's stack.
 */
#ifndef KAIRN_UTIL_ERR_H
#define KAIRN_UTIL_ERR_H

#include <stddef.h>

enum kairn_err {
	KAIRN_OK = 0,
	KAIRN_EINVAL = -1,    /* bad argument or bad input */
	KAIRN_ENOMEM = -2,
	KAIRN_EIO = -3,       /* file system */
	KAIRN_ENOTFOUND = -4, /* 404, missing file, unknown kind */
	KAIRN_ECONFLICT = -5, /* 409 */
	KAIRN_EAUTH = -6,     /* 401 / 403 */
	KAIRN_ETLS = -7,      /* certificate or handshake failure */
	KAIRN_ENET = -8,      /* connection refused, reset, DNS */
	KAIRN_EPARSE = -9,    /* malformed JSON/YAML */
	KAIRN_ETIMEOUT = -10,
	KAIRN_EAPI = -11,     /* other API server error */
	KAIRN_EGONE = -12,    /* 410: watch resourceVersion too old */
	KAIRN_EUNSUPPORTED = -13,
	KAIRN_EGUARD = -14,   /* a safety guard refused (prune, restore) */
	KAIRN_EHOOK = -15,    /* a hook failed */
};

#define KERR_MSG_MAX 2048

struct kerr {
	int code;
	char msg[KERR_MSG_MAX];
};

/* Clears *e. */
void kerr_clear(struct kerr *e);

/* Sets code and message; returns code so callers can `return kerr_set(...)`.
 * e may be NULL (the message is dropped). */
int kerr_set(struct kerr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prepends "<context>: " to the message already in e; returns e->code. */
int kerr_prefix(struct kerr *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Short name of a code ("not found", "conflict", ...). */
const char *kerr_name(int code);

#endif
