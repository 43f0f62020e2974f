/*
 * select.c — label selectors (=, ==, !=, in, notin, key, !key, comma-joined)
 * and field selectors (metadata.name, metadata.namespace and any dotted
 * string field, with = == !=) as kubectl and client-go send them.
 */
#include <stdlib.h>
#include <string.h>
#include "ks.h"
#include "util/jsonx.h"

enum op { OP_EQ, OP_NE, OP_IN, OP_NOTIN, OP_EXISTS, OP_NOTEXISTS };

struct req {
	enum op op;
	char *key;
	char **vals;
	size_t nvals;
};

struct ks_selector {
	int field; /* 1: field selector */
	struct req *r;
	size_t n;
};

void ks_selector_free(struct ks_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; i < sel->n; i++) {
		free(sel->r[i].key);
		for (size_t k = 0; k < sel->r[i].nvals; k++)
			free(sel->r[i].vals[k]);
		free(sel->r[i].vals);
	}
	free(sel->r);
	free(sel);
}

static char *trim_dup(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return strndup(s, n);
}

static int add_val(struct req *q, const char *s, size_t n)
{
	char **nv = realloc(q->vals, (q->nvals + 1) * sizeof(*nv));
	if (!nv)
		return KAIRN_ENOMEM;
	q->vals = nv;
	q->vals[q->nvals] = trim_dup(s, n);
	return q->vals[q->nvals++] ? 0 : KAIRN_ENOMEM;
}

/* Splits on commas outside parentheses. */
static const char *next_term(const char *p, size_t *len)
{
	int depth = 0;
	const char *q = p;
	for (; *q; q++) {
		if (*q == '(')
			depth++;
		else if (*q == ')')
			depth--;
		else if (*q == ',' && depth == 0)
			break;
	}
	*len = (size_t)(q - p);
	return q;
}

static int parse_term(const char *t, size_t n, int field, struct req *q, struct kerr *e)
{
	char *s = trim_dup(t, n);
	int rc = 0;
	if (!s)
		return KAIRN_ENOMEM;
	char *p;
	if ((p = strstr(s, "!="))) {
		q->op = OP_NE;
		q->key = trim_dup(s, (size_t)(p - s));
		rc = add_val(q, p + 2, strlen(p + 2));
	} else if ((p = strstr(s, "=="))) {
		q->op = OP_EQ;
		q->key = trim_dup(s, (size_t)(p - s));
		rc = add_val(q, p + 2, strlen(p + 2));
	} else if ((p = strchr(s, '='))) {
		q->op = OP_EQ;
		q->key = trim_dup(s, (size_t)(p - s));
		rc = add_val(q, p + 1, strlen(p + 1));
	} else if (!field && (p = strchr(s, '('))) {
		char *close = strrchr(s, ')');
		char *sp = strchr(s, ' ');
		if (!close || !sp || sp > p) {
			rc = kerr_set(e, KAIRN_EINVAL, "unable to parse requirement: %s", s);
			goto out;
		}
		q->key = trim_dup(s, (size_t)(sp - s));
		char *opw = trim_dup(sp, (size_t)(p - sp));
		if (opw && !strcmp(opw, "in"))
			q->op = OP_IN;
		else if (opw && !strcmp(opw, "notin"))
			q->op = OP_NOTIN;
		else
			rc = kerr_set(e, KAIRN_EINVAL, "unable to parse requirement: unknown operator in %s", s);
		free(opw);
		for (char *v = p + 1; !rc && v < close;) {
			char *c = memchr(v, ',', (size_t)(close - v));
			char *end = c ? c : close;
			rc = add_val(q, v, (size_t)(end - v));
			v = end + 1;
		}
	} else if (!field && s[0] == '!') {
		q->op = OP_NOTEXISTS;
		q->key = trim_dup(s + 1, strlen(s + 1));
	} else if (!field) {
		q->op = OP_EXISTS;
		q->key = strdup(s);
	} else {
		rc = kerr_set(e, KAIRN_EINVAL, "invalid selector: '%s'; can't understand '%s'", s, s);
	}
	if (!rc && (!q->key || !*q->key))
		rc = kerr_set(e, KAIRN_EINVAL, "unable to parse requirement: empty key in '%s'", s);
	for (const char *k = q->key; !rc && k && *k; k++)
		if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9') ||
		      strchr("._/-", *k)))
			rc = kerr_set(e, KAIRN_EINVAL, "unable to parse requirement: invalid key in '%s'", s);
out:
	free(s);
	return rc;
}

static int parse(const char *s, int field, struct ks_selector **out, struct kerr *e)
{
	struct ks_selector *sel = calloc(1, sizeof(*sel));
	if (!sel)
		return KAIRN_ENOMEM;
	sel->field = field;
	const char *p = s ? s : "";
	while (*p) {
		size_t len;
		const char *end = next_term(p, &len);
		int blank = 1;
		for (size_t i = 0; i < len; i++)
			if (p[i] != ' ')
				blank = 0;
		if (!blank) {
			struct req *nr = realloc(sel->r, (sel->n + 1) * sizeof(*nr));
			if (!nr) {
				ks_selector_free(sel);
				return KAIRN_ENOMEM;
			}
			sel->r = nr;
			memset(&sel->r[sel->n], 0, sizeof(sel->r[0]));
			sel->n++;
			int rc = parse_term(p, len, field, &sel->r[sel->n - 1], e);
			if (rc) {
				ks_selector_free(sel);
				return rc;
			}
		}
		p = *end ? end + 1 : end;
	}
	*out = sel;
	return 0;
}

int ks_label_selector_parse(const char *s, struct ks_selector **out, struct kerr *e)
{
	return parse(s, 0, out, e);
}

int ks_field_selector_parse(const char *s, struct ks_selector **out, struct kerr *e)
{
	return parse(s, 1, out, e);
}

static const char *field_value(const cJSON *obj, const char *key, char *num, size_t n)
{
	const cJSON *v = jsonx_get(obj, key);
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsNumber(v)) {
		snprintf(num, n, "%g", v->valuedouble);
		return num;
	}
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (!strcmp(key, "metadata.namespace"))
		return "";
	return NULL;
}

int ks_selector_match(const struct ks_selector *sel, const cJSON *obj)
{
	if (!sel)
		return 1;
	const cJSON *labels = jsonx_get(obj, "metadata.labels");
	for (size_t i = 0; i < sel->n; i++) {
		const struct req *q = &sel->r[i];
		char num[64];
		const char *v = sel->field ? field_value(obj, q->key, num, sizeof(num))
					   : cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(labels, q->key));
		int in = 0;
		for (size_t k = 0; v && k < q->nvals; k++)
			if (!strcmp(v, q->vals[k]))
				in = 1;
		switch (q->op) {
		case OP_EQ:
		case OP_IN:
			if (!in)
				return 0;
			break;
		case OP_NE:
		case OP_NOTIN:
			if (in)
				return 0;
			break;
		case OP_EXISTS:
			if (!v)
				return 0;
			break;
		case OP_NOTEXISTS:
			if (v)
				return 0;
			break;
		}
	}
	return 1;
}
