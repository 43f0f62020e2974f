/*
 * buf.h — a growable byte buffer, always NUL-terminated.
 *
 * The one string builder kairn uses instead of fixed arrays whose bound is not
 * a protocol fact. A zeroed struct kbuf is a valid empty buffer.
 */
#ifndef KAIRN_UTIL_BUF_H
#define KAIRN_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct kbuf {
	char *data;
	size_t len;
	size_t cap;
};

/* All return 0 or KAIRN_ENOMEM. */
int kbuf_reserve(struct kbuf *b, size_t extra);
int kbuf_append(struct kbuf *b, const void *p, size_t n);
int kbuf_puts(struct kbuf *b, const char *s);
int kbuf_putc(struct kbuf *b, char c);
int kbuf_printf(struct kbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int kbuf_vprintf(struct kbuf *b, const char *fmt, va_list ap);
/* Appends s percent-encoded for a URL query value or path segment. */
int kbuf_put_urlenc(struct kbuf *b, const char *s);
void kbuf_reset(struct kbuf *b);
/* Hands the string to the caller (who frees it) and empties b. Never NULL
 * unless allocation fails. */
char *kbuf_steal(struct kbuf *b);
void kbuf_free(struct kbuf *b);

#endif
