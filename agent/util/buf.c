/*
 * buf.c — growable buffer. Invariant: when data != NULL, data[len] == '\0'.
 */
#include "buf.h"
#include "err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int kbuf_reserve(struct kbuf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	size_t cap;
	char *p;

	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return KAIRN_ENOMEM;
	b->data = p;
	b->cap = cap;
	b->data[b->len] = '\0';
	return 0;
}

int kbuf_append(struct kbuf *b, const void *p, size_t n)
{
	if (kbuf_reserve(b, n))
		return KAIRN_ENOMEM;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int kbuf_puts(struct kbuf *b, const char *s)
{
	return kbuf_append(b, s, strlen(s));
}

int kbuf_putc(struct kbuf *b, char c)
{
	return kbuf_append(b, &c, 1);
}

int kbuf_vprintf(struct kbuf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return KAIRN_EINVAL;
	if (kbuf_reserve(b, (size_t)n))
		return KAIRN_ENOMEM;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int kbuf_printf(struct kbuf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = kbuf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int kbuf_put_urlenc(struct kbuf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int rc;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			rc = kbuf_putc(b, (char)c);
		} else {
			char esc[3] = { '%', hex[c >> 4], hex[c & 15] };
			rc = kbuf_append(b, esc, 3);
		}
		if (rc)
			return rc;
	}
	return 0;
}

void kbuf_reset(struct kbuf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *kbuf_steal(struct kbuf *b)
{
	char *p;

	if (!b->data && kbuf_reserve(b, 0))
		return NULL;
	p = b->data;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

void kbuf_free(struct kbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
