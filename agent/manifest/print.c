/*
 * print.c — objects printed as `kubectl create --dry-run=client -o json|yaml`
 * prints them (checked against kubectl 1.32 in
 * tests/unit/fixtures/manifests/oracle/).
 *
 * JSON: Go's json.MarshalIndent(obj, "", "    "): keys in byte order,
 * HTML-safe escapes (\u003c \u003e \u0026), Go's number text. YAML: what
 * sigs.k8s.io/yaml makes of that JSON, emitted with libyaml (go-yaml v2 is a
 * port of libyaml's emitter): keys sorted, strings double-quoted when plain
 * text would read back as another type, literal blocks for multi-line text.
 * Recursion is bounded by the decoder's depth limit (YAML_MAX_DEPTH).
 */
#include "manifest.h"
#include "util/buf.h"
#include "util/yamljson.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Children of an object sorted by key (Go marshals maps sorted). */
static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Next code point of UTF-8 text (the decoder guarantees valid UTF-8). */
static uint32_t next_rune(const unsigned char **p)
{
	const unsigned char *s = *p;
	uint32_t r;
	int n;

	if (s[0] < 0x80) {
		*p += 1;
		return s[0];
	}
	n = s[0] >= 0xf0 ? 3 : s[0] >= 0xe0 ? 2 : 1;
	r = s[0] & (0x3f >> n);
	for (int i = 1; i <= n && s[i]; i++)
		r = (r << 6) | (s[i] & 0x3f);
	*p += n + 1;
	return r;
}

static int rune_letter(uint32_t r)
{
	return r < 0x80 ? isalpha((int)r) != 0 : 1; /* non-ASCII: letters, as a rule */
}

static int rune_digit(uint32_t r)
{
	return r >= '0' && r <= '9';
}

/* go-yaml v2's keyList.Less for string keys: letters after other runes,
 * runs of digits compared as numbers ("2" < "12" < "1000"). */
static int cmp_key_goyaml(const void *pa, const void *pb)
{
	const unsigned char *a = (const unsigned char *)(*(const cJSON *const *)pa)->string;
	const unsigned char *b = (const unsigned char *)(*(const cJSON *const *)pb)->string;
	int prev_nonzero_digit = 0, in_digits = 0;

	while (*a && *b) {
		const unsigned char *sa = a, *sb = b;
		uint32_t ra = next_rune(&a), rb = next_rune(&b);
		int al, bl;
		long long an = 0, bn = 0;
		const unsigned char *ea, *eb;

		if (ra == rb) {
			if (rune_digit(ra)) {
				prev_nonzero_digit |= ra != '0';
				in_digits = 1;
			} else {
				prev_nonzero_digit = in_digits = 0;
			}
			continue;
		}
		al = rune_letter(ra);
		bl = rune_letter(rb);
		if (al && bl)
			return ra < rb ? -1 : 1;
		if (al || bl)
			return bl ? -1 : 1;
		if ((ra == '0' || rb == '0') && in_digits && prev_nonzero_digit)
			an = bn = 1; /* go-yaml: a nonzero digit before keeps leading zeros significant */
		for (ea = sa; rune_digit(*ea); ea++)
			an = an * 10 + (*ea - '0');
		for (eb = sb; rune_digit(*eb); eb++)
			bn = bn * 10 + (*eb - '0');
		if (an != bn)
			return an < bn ? -1 : 1;
		if (ea - sa != eb - sb)
			return ea - sa < eb - sb ? -1 : 1;
		return ra < rb ? -1 : 1;
	}
	return *a ? 1 : *b ? -1 : 0;
}

static const cJSON **sorted_children_by(const cJSON *obj, size_t *n,
					int (*cmp)(const void *, const void *))
{
	const cJSON **v;
	size_t i = 0;

	*n = 0;
	for (const cJSON *c = obj->child; c; c = c->next)
		(*n)++;
	v = malloc((*n ? *n : 1) * sizeof(*v));
	if (!v)
		return NULL;
	for (const cJSON *c = obj->child; c; c = c->next)
		v[i++] = c;
	qsort(v, *n, sizeof(*v), cmp);
	return v;
}

static const cJSON **sorted_children(const cJSON *obj, size_t *n)
{
	return sorted_children_by(obj, n, cmp_key);
}

/* The JSON text kubectl prints for a number node. */
static int number_text(const cJSON *n, struct kbuf *out)
{
	if (cJSON_IsRaw(n))
		return kbuf_puts(out, n->valuestring);
	return yaml_go_json_number(n->valuedouble, out);
}

/* ---- JSON ---- */

static void json_string(const char *s, struct kbuf *out)
{
	static const char hex[] = "0123456789abcdef";

	kbuf_putc(out, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': kbuf_puts(out, "\\\""); continue;
		case '\\': kbuf_puts(out, "\\\\"); continue;
		case '\n': kbuf_puts(out, "\\n"); continue;
		case '\r': kbuf_puts(out, "\\r"); continue;
		case '\t': kbuf_puts(out, "\\t"); continue;
		case '\b': kbuf_puts(out, "\\b"); continue;
		case '\f': kbuf_puts(out, "\\f"); continue;
		default: break;
		}
		if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&') {
			kbuf_printf(out, "\\u00%c%c", hex[*p >> 4], hex[*p & 15]);
		} else if (p[0] == 0xe2 && p[1] == 0x80 && (p[2] == 0xa8 || p[2] == 0xa9)) {
			kbuf_puts(out, p[2] == 0xa8 ? "\\u2028" : "\\u2029"); /* Go escapes these too */
			p += 2;
		} else {
			kbuf_putc(out, (char)*p);
		}
	}
	kbuf_putc(out, '"');
}

static void json_indent(struct kbuf *out, int depth)
{
	kbuf_putc(out, '\n');
	for (int i = 0; i < depth; i++)
		kbuf_puts(out, "    ");
}

static int json_value(const cJSON *n, int depth, struct kbuf *out)
{
	if (cJSON_IsObject(n) || cJSON_IsArray(n)) {
		int is_obj = cJSON_IsObject(n);
		size_t count = 0;
		const cJSON **kids = NULL;

		if (is_obj) {
			kids = sorted_children(n, &count);
			if (!kids)
				return KAIRN_ENOMEM;
		} else {
			count = (size_t)cJSON_GetArraySize(n);
		}
		kbuf_putc(out, is_obj ? '{' : '[');
		const cJSON *c = n->child;
		for (size_t i = 0; i < count; i++, c = c ? c->next : NULL) {
			const cJSON *item = is_obj ? kids[i] : c;

			json_indent(out, depth + 1);
			if (is_obj) {
				json_string(item->string, out);
				kbuf_puts(out, ": ");
			}
			if (json_value(item, depth + 1, out)) {
				free(kids);
				return KAIRN_ENOMEM;
			}
			if (i + 1 < count)
				kbuf_putc(out, ',');
		}
		free(kids);
		if (count)
			json_indent(out, depth);
		kbuf_putc(out, is_obj ? '}' : ']');
	} else if (cJSON_IsString(n)) {
		json_string(n->valuestring, out);
	} else if (cJSON_IsNumber(n) || cJSON_IsRaw(n)) {
		number_text(n, out);
	} else if (cJSON_IsBool(n)) {
		kbuf_puts(out, cJSON_IsTrue(n) ? "true" : "false");
	} else {
		kbuf_puts(out, "null");
	}
	return out->data ? 0 : KAIRN_ENOMEM;
}

int manifest_print_json(const cJSON *obj, struct kbuf *out)
{
	int rc = json_value(obj, 0, out);

	return rc ? rc : kbuf_putc(out, '\n');
}

/* ---- YAML ---- */

static int yaml_write(void *data, unsigned char *buf, size_t size)
{
	return kbuf_append(data, buf, size) == 0;
}

static int emit_scalar(yaml_emitter_t *em, const char *text, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1,
					  1, style))
		return KAIRN_ENOMEM;
	return yaml_emitter_emit(em, &ev) ? 0 : KAIRN_ENOMEM;
}

/* go-yaml v2's stringv: literal block for multi-line text, plain when it
 * reads back as the same string, else double-quoted. libyaml falls back
 * to another style by itself when the chosen one cannot carry the text. */
static int emit_string(yaml_emitter_t *em, const char *s)
{
	yaml_scalar_style_t style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;

	if (strchr(s, '\n'))
		style = YAML_LITERAL_SCALAR_STYLE;
	else if (yaml_plain_is_string(s))
		style = YAML_PLAIN_SCALAR_STYLE;
	return emit_scalar(em, s, style);
}

/* A JSON number read by go-yaml: an integer literal that fits int64 or
 * uint64 stays as written, anything else is a float64 in 'g' format. */
static int emit_number(yaml_emitter_t *em, const cJSON *n)
{
	struct kbuf t = { 0 }, g = { 0 };
	const char *p;
	int integer, rc;

	if (number_text(n, &t))
		return KAIRN_ENOMEM;
	p = t.data + (t.data[0] == '-');
	integer = strspn(p, "0123456789") == strlen(p) && strlen(p) <= 20;
	if (integer) {
		char *end;

		errno = 0;
		if (t.data[0] == '-')
			(void)strtoll(t.data, &end, 10);
		else
			(void)strtoull(t.data, &end, 10);
		integer = errno == 0;
	}
	if (integer)
		rc = emit_scalar(em, t.data, YAML_PLAIN_SCALAR_STYLE);
	else if (yaml_go_float_g(strtod(t.data, NULL), 64, &g))
		rc = KAIRN_ENOMEM;
	else
		rc = emit_scalar(em, g.data, YAML_PLAIN_SCALAR_STYLE);
	kbuf_free(&t);
	kbuf_free(&g);
	return rc;
}

static int emit_node(yaml_emitter_t *em, const cJSON *n)
{
	yaml_event_t ev;
	int rc = 0;

	if (cJSON_IsObject(n)) {
		size_t count;
		const cJSON **kids = sorted_children_by(n, &count, cmp_key_goyaml);

		if (!kids || !yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE) ||
		    !yaml_emitter_emit(em, &ev)) {
			free(kids);
			return KAIRN_ENOMEM;
		}
		for (size_t i = 0; i < count && rc == 0; i++) {
			rc = emit_string(em, kids[i]->string);
			if (rc == 0)
				rc = emit_node(em, kids[i]);
		}
		free(kids);
		if (rc || !yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return rc ? rc : KAIRN_ENOMEM;
		return 0;
	}
	if (cJSON_IsArray(n)) {
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(em, &ev))
			return KAIRN_ENOMEM;
		for (const cJSON *c = n->child; c && rc == 0; c = c->next)
			rc = emit_node(em, c);
		if (rc || !yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(em, &ev))
			return rc ? rc : KAIRN_ENOMEM;
		return 0;
	}
	if (cJSON_IsString(n))
		return emit_string(em, n->valuestring);
	if (cJSON_IsNumber(n) || cJSON_IsRaw(n))
		return emit_number(em, n);
	if (cJSON_IsBool(n))
		return emit_scalar(em, cJSON_IsTrue(n) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
	return emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
}

int manifest_print_yaml(const cJSON *obj, struct kbuf *out)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int rc = KAIRN_ENOMEM;

	if (!yaml_emitter_initialize(&em))
		return KAIRN_ENOMEM;
	yaml_emitter_set_output(&em, yaml_write, out);
	yaml_emitter_set_unicode(&em, 1);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if ((rc = emit_node(&em, obj)))
		goto out;
	rc = KAIRN_ENOMEM;
	if (!yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&em, &ev))
		goto out;
	if (!yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&em, &ev))
		goto out;
	rc = yaml_emitter_flush(&em) ? 0 : KAIRN_ENOMEM;
	/* libyaml ends a document whose last scalar is a "|+" block with "...";
	 * go-yaml v2 does not. At column 0 it can only be that marker. */
	if (rc == 0 && out->len >= 5 && memcmp(out->data + out->len - 5, "\n...\n", 5) == 0) {
		out->len -= 4;
		out->data[out->len] = '\0';
	}
out:
	yaml_emitter_delete(&em);
	return rc;
}

int manifest_print_set(const struct kobj_set *set, int json, struct kbuf *out)
{
	for (size_t i = 0; i < kobj_set_count(set); i++) {
		const struct kobj *k = kobj_set_at(set, i);
		int rc;

		if (!json && i > 0 && kbuf_puts(out, "---\n"))
			return KAIRN_ENOMEM;
		rc = json ? manifest_print_json(k->obj, out) : manifest_print_yaml(k->obj, out);
		if (rc)
			return rc;
	}
	return 0;
}
