/*
 * err.c — struct kerr helpers. See err.h for the convention.
 */
#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void kerr_clear(struct kerr *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int kerr_set(struct kerr *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int kerr_prefix(struct kerr *e, const char *fmt, ...)
{
	char ctx[512];
	size_t clen, mlen;
	va_list ap;

	if (!e)
		return KAIRN_EINVAL;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	clen = strlen(ctx) + 2; /* "ctx: " */
	mlen = strnlen(e->msg, sizeof(e->msg) - 1);
	if (clen >= sizeof(e->msg))
		clen = sizeof(e->msg) - 1;
	if (mlen + clen >= sizeof(e->msg))
		mlen = sizeof(e->msg) - 1 - clen; /* keep the head, drop the tail */
	memmove(e->msg + clen, e->msg, mlen);
	e->msg[clen + mlen] = '\0';
	memcpy(e->msg, ctx, clen - 2);
	e->msg[clen - 2] = ':';
	e->msg[clen - 1] = ' ';
	return e->code;
}

const char *kerr_name(int code)
{
	switch (code) {
	case KAIRN_OK: return "ok";
	case KAIRN_EINVAL: return "invalid";
	case KAIRN_ENOMEM: return "out of memory";
	case KAIRN_EIO: return "I/O error";
	case KAIRN_ENOTFOUND: return "not found";
	case KAIRN_ECONFLICT: return "conflict";
	case KAIRN_EAUTH: return "unauthorized";
	case KAIRN_ETLS: return "TLS error";
	case KAIRN_ENET: return "network error";
	case KAIRN_EPARSE: return "parse error";
	case KAIRN_ETIMEOUT: return "timeout";
	case KAIRN_EAPI: return "API error";
	case KAIRN_EGONE: return "gone";
	case KAIRN_EUNSUPPORTED: return "unsupported";
	case KAIRN_EGUARD: return "refused by guard";
	case KAIRN_EHOOK: return "hook failed";
	}
	return "error";
}
