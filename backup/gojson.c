/*
 * gojson.c — Go encoding/json compatible writer over cJSON (see gojson.h).
 * Never allocates beyond the output buffer and one key array per object.
 */
#include "backup/gojson.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

/* Decodes one UTF-8 sequence at s (n bytes left). Returns its length and the
 * code point, or 0 for an invalid sequence (Go writes U+FFFD for each bad byte). */
static size_t utf8_decode(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t len;
	unsigned c = s[0], min;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

static int put_string(struct kbuf *out, const char *str)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str), i = 0;
	int rc = kbuf_putc(out, '"');

	while (rc == 0 && i < n) {
		unsigned c = s[i], cp;
		size_t len;

		if (c < 0x80) {
			i++;
			if (c == '"' || c == '\\') {
				char esc[2] = { '\\', (char)c };
				rc = kbuf_append(out, esc, 2);
			} else if (c == '\n') {
				rc = kbuf_puts(out, "\\n");
			} else if (c == '\r') {
				rc = kbuf_puts(out, "\\r");
			} else if (c == '\t') {
				rc = kbuf_puts(out, "\\t");
			} else if (c == '\b') {
				rc = kbuf_puts(out, "\\b");
			} else if (c == '\f') {
				rc = kbuf_puts(out, "\\f");
			} else if (c < 0x20 || c == '<' || c == '>' || c == '&') {
				char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
				rc = kbuf_append(out, esc, 6);
			} else {
				rc = kbuf_putc(out, (char)c);
			}
			continue;
		}
		len = utf8_decode(s + i, n - i, &cp);
		if (len == 0) {
			rc = kbuf_puts(out, "\\ufffd");
			i++;
		} else if (cp == 0x2028 || cp == 0x2029) {
			rc = kbuf_puts(out, cp == 0x2028 ? "\\u2028" : "\\u2029");
			i += len;
		} else {
			rc = kbuf_append(out, s + i, len);
			i += len;
		}
	}
	return rc ? rc : kbuf_putc(out, '"');
}

/* strconv.FormatFloat(f, 'f' or 'e', -1, 64) as encoding/json uses it:
 * the shortest digits that round-trip, 'e' form only outside [1e-6, 1e21). */
static int put_number(struct kbuf *out, double d)
{
	char digits[64], buf[64];
	double a = fabs(d);
	int prec;

	if (isnan(d) || isinf(d))
		return KAIRN_EINVAL;
	if (d == 0)
		return kbuf_puts(out, signbit(d) ? "-0" : "0");
	if (a < 1e21 && d == floor(d) && a < 9007199254740992.0)
		return kbuf_printf(out, "%.0f", d);
	for (prec = 1; prec <= 17; prec++) {
		snprintf(digits, sizeof(digits), "%.*e", prec - 1, d);
		if (strtod(digits, NULL) == d)
			break;
	}
	if (a >= 1e-6 && a < 1e21) {
		/* Exponent of the shortest form tells how many decimals we need. */
		int exp10 = atoi(strchr(digits, 'e') + 1);
		int decimals = prec - 1 - exp10;

		snprintf(buf, sizeof(buf), "%.*f", decimals > 0 ? decimals : 0, d);
		return kbuf_puts(out, buf);
	}
	{
		/* strconv writes "1e-07"; encoding/json trims it to "1e-7" but keeps "1e+21". */
		char *e = strchr(digits, 'e');
		int ex = atoi(e + 1);

		*e = '\0';
		if (ex < 0)
			return kbuf_printf(out, "%se-%d", digits, -ex);
		return kbuf_printf(out, "%se+%02d", digits, ex);
	}
}

static int cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;

	return strcmp(x->string, y->string);
}

static int put_indent(struct kbuf *out, int flags, int depth)
{
	int rc = 0;

	if (!(flags & GOJSON_INDENT))
		return 0;
	rc = kbuf_putc(out, '\n');
	for (int i = 0; rc == 0 && i < depth; i++)
		rc = kbuf_puts(out, "  ");
	return rc;
}

static int encode(struct kbuf *out, const cJSON *v, int flags, int depth);

static int encode_container(struct kbuf *out, const cJSON *v, int flags, int depth)
{
	int is_obj = cJSON_IsObject(v), rc = 0;
	size_t n = 0, i;
	const cJSON *c;
	const cJSON **kids = NULL;

	for (c = v->child; c; c = c->next)
		n++;
	if (n == 0)
		return kbuf_puts(out, is_obj ? "{}" : "[]");
	kids = malloc(n * sizeof(*kids));
	if (!kids)
		return KAIRN_ENOMEM;
	for (i = 0, c = v->child; c; c = c->next)
		kids[i++] = c;
	if (is_obj && (flags & GOJSON_SORT_KEYS))
		qsort(kids, n, sizeof(*kids), cmp_keys);
	rc = kbuf_putc(out, is_obj ? '{' : '[');
	for (i = 0; rc == 0 && i < n; i++) {
		if (i > 0)
			rc = kbuf_putc(out, ',');
		if (rc == 0)
			rc = put_indent(out, flags, depth + 1);
		if (rc == 0 && is_obj) {
			rc = put_string(out, kids[i]->string ? kids[i]->string : "");
			if (rc == 0)
				rc = kbuf_puts(out, (flags & GOJSON_INDENT) ? ": " : ":");
		}
		if (rc == 0)
			rc = encode(out, kids[i], flags, depth + 1);
	}
	if (rc == 0)
		rc = put_indent(out, flags, depth);
	if (rc == 0)
		rc = kbuf_putc(out, is_obj ? '}' : ']');
	free(kids);
	return rc;
}

static int encode(struct kbuf *out, const cJSON *v, int flags, int depth)
{
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return encode_container(out, v, flags, depth);
	if (cJSON_IsString(v))
		return put_string(out, v->valuestring ? v->valuestring : "");
	if (cJSON_IsNumber(v))
		return put_number(out, v->valuedouble);
	if (cJSON_IsTrue(v))
		return kbuf_puts(out, "true");
	if (cJSON_IsFalse(v))
		return kbuf_puts(out, "false");
	if (cJSON_IsRaw(v))
		return kbuf_puts(out, v->valuestring ? v->valuestring : "null");
	return kbuf_puts(out, "null");
}

int gojson_encode(struct kbuf *out, const cJSON *v, int flags)
{
	return encode(out, v, flags, 0);
}
