/*
 * yamljson.c — YAML (and JSON) files to cJSON, the way kubectl decodes them.
 *
 * Owns: kubectl-style document splitting, libyaml's event stream turned into
 * cJSON with an explicit stack (no recursion over the input), YAML 1.1
 * scalar resolution as go-yaml v2 does it, key stringification as
 * sigs.k8s.io/yaml does it, merge keys, anchors/aliases, positions.
 * The oracle is ../shared/design/yaml-decoding.md; each rule below names the
 * kubectl behaviour it copies.
 *
 * Must never: use libyaml's document loader (it rejects redefined anchors),
 * recurse on input structure, let aliases expand without a budget, or free a
 * node an anchor may still point to before the document is done (removed
 * nodes go to a per-document "graveyard" freed at the end).
 */
#include "yamljson.h"
#include "buf.h"
#include "codec.h"
#include "strmap.h"
#include "vec.h"
#include "vec.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* ------------------------------------------------------------------ */
/* Position side table: open addressing keyed by node address.         */

struct ypos_ent {
	const cJSON *node;
	int line, col;
	int merged; /* value copied in by a merge key (no duplicate warning) */
};

struct ypos_map {
	struct ypos_ent *ents;
	size_t cap, n;
};

static size_t ptr_hash(const void *p)
{
	uint64_t x = (uint64_t)(uintptr_t)p;

	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return (size_t)x;
}

static int ypos_grow(struct ypos_map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	struct ypos_ent *ne = calloc(ncap, sizeof(*ne));

	if (!ne)
		return KAIRN_ENOMEM;
	for (size_t i = 0; i < m->cap; i++) {
		size_t j;

		if (!m->ents[i].node)
			continue;
		for (j = ptr_hash(m->ents[i].node) & (ncap - 1); ne[j].node; j = (j + 1) & (ncap - 1))
			;
		ne[j] = m->ents[i];
	}
	free(m->ents);
	m->ents = ne;
	m->cap = ncap;
	return 0;
}

static int ypos_put(struct ypos_map *m, const cJSON *node, int line, int col, int merged)
{
	size_t j;

	if ((m->n + 1) * 4 > m->cap * 3 && ypos_grow(m))
		return KAIRN_ENOMEM;
	for (j = ptr_hash(node) & (m->cap - 1); m->ents[j].node; j = (j + 1) & (m->cap - 1))
		if (m->ents[j].node == node)
			break;
	if (!m->ents[j].node)
		m->n++;
	m->ents[j] = (struct ypos_ent){ node, line, col, merged };
	return 0;
}

static const struct ypos_ent *ypos_get(const struct ypos_map *m, const cJSON *node)
{
	if (!m || !m->cap || !node)
		return NULL;
	for (size_t j = ptr_hash(node) & (m->cap - 1); m->ents[j].node; j = (j + 1) & (m->cap - 1))
		if (m->ents[j].node == node)
			return &m->ents[j];
	return NULL;
}

static void ypos_free(struct ypos_map *m)
{
	if (!m)
		return;
	free(m->ents);
	free(m);
}

int ydoc_pos(const struct ydoc *doc, const cJSON *node, int *line, int *col)
{
	const struct ypos_ent *p = ypos_get(doc->pos, node);

	*line = p ? p->line : doc->line;
	*col = p ? p->col : 1;
	return p ? 0 : -1;
}

int ydoc_line(const struct ydoc *doc, const cJSON *node)
{
	int line, col;

	ydoc_pos(doc, node, &line, &col);
	return line;
}

/* ------------------------------------------------------------------ */
/* Go number formatting. kubectl prints numbers with Go's encoding/json  */
/* (shortest round-trip digits, exponent only below 1e-6 or from 1e21)   */
/* and stringifies float keys with FormatFloat(f, 'g', -1, 32).          */

/* Shortest decimal digits that read back as d (as a float if is32);
 * *exp is the decimal exponent of the first digit. Returns digit count. */
static int shortest_digits(double d, int is32, char *digits, int *exp)
{
	char buf[64], *p, *q;
	int nd = 0;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*e", prec - 1, is32 ? (double)(float)d : d);
		if (is32 ? strtof(buf, NULL) == (float)d : strtod(buf, NULL) == d)
			break;
	}
	p = buf + (buf[0] == '-');
	for (q = p; *q && *q != 'e'; q++)
		if (isdigit((unsigned char)*q))
			digits[nd++] = *q;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	digits[nd] = '\0';
	*exp = atoi(q + 1);
	return nd;
}

/* Appends digits with the decimal point after dp digits ('f' format). */
static void format_fixed(struct kbuf *b, const char *digits, int nd, int dp)
{
	if (dp <= 0) {
		kbuf_puts(b, "0.");
		for (int i = 0; i < -dp; i++)
			kbuf_putc(b, '0');
		kbuf_append(b, digits, (size_t)nd);
	} else if (dp >= nd) {
		kbuf_append(b, digits, (size_t)nd);
		for (int i = nd; i < dp; i++)
			kbuf_putc(b, '0');
	} else {
		kbuf_append(b, digits, (size_t)dp);
		kbuf_putc(b, '.');
		kbuf_append(b, digits + dp, (size_t)(nd - dp));
	}
}

static void format_exp(struct kbuf *b, const char *digits, int nd, int exp, int pad_negative)
{
	kbuf_putc(b, digits[0]);
	if (nd > 1) {
		kbuf_putc(b, '.');
		kbuf_append(b, digits + 1, (size_t)(nd - 1));
	}
	if (exp < 0)
		kbuf_printf(b, pad_negative ? "e-%02d" : "e-%d", -exp);
	else
		kbuf_printf(b, "e+%02d", exp);
}

/* Go: json.Marshal(float64). */
int yaml_go_json_number(double d, struct kbuf *b)
{
	char digits[32];
	double a = fabs(d);
	int exp, nd;

	if (d == 0)
		return kbuf_puts(b, "0");
	nd = shortest_digits(d, 0, digits, &exp);
	if (d < 0)
		kbuf_putc(b, '-');
	if (a < 1e-6 || a >= 1e21)
		format_exp(b, digits, nd, exp, 0);
	else
		format_fixed(b, digits, nd, exp + 1);
	return b->data ? 0 : KAIRN_ENOMEM;
}

/* Go: strconv.FormatFloat(f, 'g', -1, bits); sigs.k8s.io/yaml stringifies
 * float keys with bits 32, go-yaml prints float values with bits 64. */
int yaml_go_float_g(double d, int bits, struct kbuf *b)
{
	char digits[32];
	int exp, nd;

	if (d == 0)
		return kbuf_puts(b, "0");
	nd = shortest_digits(d, bits == 32, digits, &exp);
	if (d < 0)
		kbuf_putc(b, '-');
	if (exp < -4 || exp >= 6) /* Go uses precision 6 for the choice when shortest */
		format_exp(b, digits, nd, exp, 1);
	else
		format_fixed(b, digits, nd, exp + 1);
	return b->data ? 0 : KAIRN_ENOMEM;
}

/* A number node that prints as kubectl prints d: a cJSON number when cJSON
 * prints the same text, else a raw node with Go's text. */
static cJSON *number_from_double(double d)
{
	struct kbuf go = { 0 };
	cJSON *n;
	char *printed;

	if (d == floor(d) && fabs(d) < 1e15)
		return cJSON_CreateNumber(d);
	if (yaml_go_json_number(d, &go)) {
		kbuf_free(&go);
		return NULL;
	}
	n = cJSON_CreateNumber(d);
	printed = n ? cJSON_PrintUnformatted(n) : NULL;
	if (n && (!printed || strcmp(printed, go.data) != 0)) {
		cJSON_Delete(n);
		n = cJSON_CreateRaw(go.data);
	}
	free(printed);
	kbuf_free(&go);
	return n;
}

/* ------------------------------------------------------------------ */
/* YAML 1.1 scalar resolution, as go-yaml v2's resolve() does it.       */

enum yscalar_kind { YS_NULL, YS_BOOL, YS_INT, YS_UINT, YS_FLOAT, YS_STR };

struct yscalar {
	enum yscalar_kind kind;
	int b;
	long long i;
	unsigned long long u;
	double f;
};

static int str_in(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return 1;
	return 0;
}

static const char *const yaml_nulls[] = { "~", "null", "Null", "NULL", NULL };
static const char *const yaml_trues[] = { "y", "Y", "yes", "Yes", "YES", "on", "On", "ON",
					  "true", "True", "TRUE", NULL };
static const char *const yaml_falses[] = { "n", "N", "no", "No", "NO", "off", "Off", "OFF",
					   "false", "False", "FALSE", NULL };
static const char *const yaml_nonfinite[] = { ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF",
					      "-.inf", "-.Inf", "-.INF", ".nan", ".NaN", ".NAN",
					      NULL };

/* Go strconv.ParseUint(s, 0, 64): 0x/0o/0b prefixes, a leading 0 is octal. */
static int go_parse_uint0(const char *s, unsigned long long *out)
{
	unsigned long long v = 0;
	unsigned base = 10;

	if (!*s)
		return -1;
	if (s[0] == '0') {
		char c = (char)tolower((unsigned char)s[1]);

		if (s[1] && s[2] && (c == 'x' || c == 'o' || c == 'b')) {
			base = c == 'x' ? 16 : c == 'o' ? 8 : 2;
			s += 2;
		} else {
			base = 8;
			s += 1;
		}
	}
	for (; *s; s++) {
		unsigned dgt;

		if (isdigit((unsigned char)*s))
			dgt = (unsigned)(*s - '0');
		else if (isxdigit((unsigned char)*s))
			dgt = (unsigned)(tolower((unsigned char)*s) - 'a' + 10);
		else
			return -1;
		if (dgt >= base || v > (ULLONG_MAX - dgt) / base)
			return -1;
		v = v * base + dgt;
	}
	*out = v;
	return 0;
}

/* Go strconv.ParseInt(s, 0, 64). */
static int go_parse_int0(const char *s, long long *out)
{
	unsigned long long u;
	int neg = s[0] == '-';

	if (s[0] == '+' || s[0] == '-')
		s++;
	if (go_parse_uint0(s, &u))
		return -1;
	if (neg ? u > (1ULL << 63) : u > (unsigned long long)LLONG_MAX)
		return -1;
	*out = neg ? (long long)(0 - u) : (long long)u;
	return 0;
}

/* go-yaml's yamlStyleFloat: ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static int yaml_style_float(const char *s)
{
	const char *p = s + (*s == '+' || *s == '-');
	int digits = 0;

	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++)
			digits++;
		if (!digits)
			return 0;
	} else {
		for (; isdigit((unsigned char)*p); p++)
			digits++;
		if (!digits)
			return 0;
		if (*p == '.')
			for (p++; isdigit((unsigned char)*p); p++)
				;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
	}
	return *p == '\0';
}

/* Go ParseFloat on an already well-formed decimal: fails on overflow only. */
static int parse_finite(const char *s, double *out)
{
	double d = strtod(s, NULL);

	if (isinf(d) || isnan(d))
		return -1; /* 1e400: go-yaml keeps the string */
	*out = d;
	return 0;
}

static void resolve_number(const char *s, struct yscalar *out)
{
	size_t n = strlen(s), k = 0;
	char stackbuf[128], *plain = n < sizeof(stackbuf) ? stackbuf : malloc(n + 1);

	if (!plain)
		return; /* stays a string */
	for (size_t i = 0; i < n; i++) /* go-yaml removes every '_' first */
		if (s[i] != '_')
			plain[k++] = s[i];
	plain[k] = '\0';
	if (go_parse_int0(plain, &out->i) == 0)
		out->kind = YS_INT;
	else if (go_parse_uint0(plain, &out->u) == 0)
		out->kind = YS_UINT;
	else if (yaml_style_float(plain) && parse_finite(plain, &out->f) == 0)
		out->kind = YS_FLOAT;
	if (plain != stackbuf)
		free(plain);
}

/* Resolves a plain scalar. Returns -1 for .inf/.nan, which JSON cannot
 * carry (kubectl fails on them too). */
static int resolve_plain(const char *s, struct yscalar *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = YS_STR;
	/* fast path: every null/bool/inf word is 1-5 bytes starting with one of these */
	if (*s && (strnlen(s, 6) > 5 || !strchr("~nNyYtTfFoO.+-", s[0])))
		goto number;
	if (!*s || str_in(s, yaml_nulls)) {
		out->kind = YS_NULL;
	} else if (str_in(s, yaml_trues) || str_in(s, yaml_falses)) {
		out->kind = YS_BOOL;
		out->b = str_in(s, yaml_trues);
	} else if (str_in(s, yaml_nonfinite)) {
		return -1;
	} else {
		goto number;
	}
	return 0;
number:
	if (s[0] == '.') {
		/* go-yaml: ParseFloat on the text as is (no '_' removal) */
		if (yaml_style_float(s) && parse_finite(s, &out->f) == 0)
			out->kind = YS_FLOAT;
	} else if (s[0] == '+' || s[0] == '-' || isdigit((unsigned char)s[0])) {
		resolve_number(s, out);
	}
	return 0;
}

/* go-yaml v2's isBase60Float: ^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$ */
static int base60_float(const char *s)
{
	const char *p = s + (*s == '+' || *s == '-');
	int groups = 0;

	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p) || *p == '_')
		p++;
	while (*p == ':') {
		int n = 0;

		p++;
		while (isdigit((unsigned char)p[n]))
			n++;
		if (n == 0 || n > 2 || (n == 2 && p[0] > '5'))
			return 0;
		p += n;
		groups++;
	}
	if (!groups)
		return 0;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p) || *p == '_'; p++)
			;
	return *p == '\0';
}

/* Digits [min, max] at *p; advances. */
static int digits(const char **p, int min, int max)
{
	int n = 0;

	while (n < max && isdigit((unsigned char)(*p)[n]))
		n++;
	*p += n;
	return n >= min;
}

/* go-yaml v2's timestamp formats ("2006-1-2", "2006-1-2T15:4:5.999999999Z07:00",
 * "2006-1-2t15:4:5...", "2006-1-2 15:4:5..."): decoding keeps them strings
 * (kubectl never converts), but an emitter must quote them as go-yaml does. */
static int looks_like_timestamp(const char *p)
{
	char sep;

	if (!digits(&p, 4, 4) || *p++ != '-' || !digits(&p, 1, 2) || *p++ != '-' || !digits(&p, 1, 2))
		return 0;
	if (!*p)
		return 1;
	sep = *p++;
	if ((sep != 'T' && sep != 't' && sep != ' ') || !digits(&p, 1, 2) || *p++ != ':' ||
	    !digits(&p, 1, 2) || *p++ != ':' || !digits(&p, 1, 2))
		return 0;
	if (*p == '.') {
		p++;
		if (!digits(&p, 1, 9))
			return 0;
	}
	if (sep == ' ' || !*p)
		return !*p;
	if (*p == 'Z')
		return p[1] == '\0';
	if (*p != '+' && *p != '-')
		return 0;
	p++;
	return digits(&p, 2, 2) && *p++ == ':' && digits(&p, 2, 2) && !*p;
}

int yaml_plain_is_string(const char *s)
{
	struct yscalar y;

	if (resolve_plain(s, &y))
		return 0;
	return y.kind == YS_STR && !base60_float(s) && !looks_like_timestamp(s);
}

/* ------------------------------------------------------------------ */
/* Anchors: name -> node, redefinition allowed (the later one wins).    */

struct anchor {
	const cJSON *node; /* NULL while the anchored collection is being built */
	unsigned long gen;
	size_t size;
	int height;
};

struct anchor_table {
	struct strmap *m; /* name -> struct anchor (owned) */
	unsigned long gen;
};

static struct anchor *anchor_find(struct anchor_table *t, const char *name)
{
	return t->m ? strmap_get(t->m, name) : NULL;
}

/* Defines (or redefines) an anchor; returns its generation, 0 on ENOMEM. */
static unsigned long anchor_define(struct anchor_table *t, const char *name, const cJSON *node,
				   size_t size, int height)
{
	struct anchor *a = anchor_find(t, name);

	if (!a) {
		if ((!t->m && !(t->m = strmap_new())) || !(a = calloc(1, sizeof(*a))))
			return 0;
		if (strmap_put(t->m, name, a, NULL)) {
			free(a);
			return 0;
		}
	}
	a->node = node;
	a->gen = ++t->gen;
	a->size = size;
	a->height = height;
	return a->gen;
}

static void anchor_table_free(struct anchor_table *t)
{
	const char *name;
	void *a;

	if (!t->m)
		return;
	for (size_t i = 0; strmap_next(t->m, &i, &name, &a);)
		free(a);
	strmap_free(t->m);
}

/* ------------------------------------------------------------------ */
/* Key index of a large mapping (key -> member), so that duplicate      */
/* detection stays O(1) per key: cJSON's own lookup is a linear scan,   */
/* O(n^2) on a hostile file.                                            */

#define KEY_INDEX_FROM 16 /* keys before a map gets an index */

static struct strmap *key_index_build(const cJSON *map)
{
	struct strmap *x = strmap_new();

	for (cJSON *c = map ? map->child : NULL; x && c; c = c->next)
		if (strmap_put(x, c->string, c, NULL)) {
			strmap_free(x);
			return NULL;
		}
	return x;
}

/* ------------------------------------------------------------------ */
/* The builder: libyaml events -> cJSON with an explicit stack.         */

struct frame {
	cJSON *node;
	int is_map;
	int line, col;         /* where the collection starts */
	char *key;             /* map: pending key, NULL when a key is expected */
	int key_line, key_col;
	int key_merge;         /* the pending key is "<<" */
	unsigned long anchor_gen;
	char *anchor;
	size_t size;           /* nodes below */
	int height;
	size_t nkeys;
	struct strmap *idx;    /* map with many keys: key -> member, else NULL */
};

struct builder {
	const char *name;
	int line0;   /* file line of the chunk's first line */
	struct frame *st;
	size_t depth, cap;
	cJSON *root;
	cJSON *grave; /* detached nodes, freed when the document is done */
	struct anchor_table anchors;
	struct ypos_map *pos;
	size_t nodes, alias_nodes;
	struct ydoc_list *warn;
	struct kerr *e;
};

static int b_err(struct builder *b, int line, int col, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int b_err(struct builder *b, int line, int col, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kerr_set(b->e, KAIRN_EPARSE, "%s:%d:%d: %s", b->name, line, col, msg);
}

static int b_nomem(struct builder *b)
{
	return kerr_set(b->e, KAIRN_ENOMEM, "%s: out of memory", b->name);
}

static int add_warning(struct ydoc_list *l, char *msg)
{
	char **nw;

	if (!msg)
		return KAIRN_ENOMEM;
	nw = realloc(l->warnings, (l->nwarnings + 1) * sizeof(*nw));
	if (!nw) {
		free(msg);
		return KAIRN_ENOMEM;
	}
	l->warnings = nw;
	l->warnings[l->nwarnings++] = msg;
	return 0;
}

static void bury(struct builder *b, cJSON *node)
{
	if (node)
		cJSON_AddItemToArray(b->grave, node);
}

/* Sets map[key] = node; a key seen before is replaced (go-yaml: last one
 * wins) and, when both were written explicitly, reported as a warning. */
static int map_set(struct builder *b, struct frame *f, const char *key, cJSON *node, int line,
		   int col, int merged)
{
	cJSON *old = f->idx ? strmap_get(f->idx, key) : cJSON_GetObjectItemCaseSensitive(f->node, key);

	if (old) {
		const struct ypos_ent *op = ypos_get(b->pos, old);

		if (!merged && op && !op->merged) {
			struct kbuf w = { 0 };

			kbuf_printf(&w, "%s:%d:%d: duplicate key \"%s\" (first at line %d:%d); the last one wins",
				    b->name, line, col, key, op->line, op->col);
			if (!w.data || add_warning(b->warn, kbuf_steal(&w))) {
				cJSON_Delete(node);
				return b_nomem(b);
			}
		}
		bury(b, cJSON_DetachItemViaPointer(f->node, old));
	} else {
		f->nkeys++;
	}
	if (!cJSON_AddItemToObject(f->node, key, node)) {
		cJSON_Delete(node);
		return b_nomem(b);
	}
	if (f->idx ? strmap_put(f->idx, key, node, NULL) != 0
		   : f->nkeys > KEY_INDEX_FROM && !(f->idx = key_index_build(f->node)))
		return b_nomem(b);
	return ypos_put(b->pos, node, line, col, merged) ? b_nomem(b) : 0;
}

static int merge_one(struct builder *b, struct frame *f, const cJSON *src, int line, int col)
{
	for (const cJSON *c = src->child; c; c = c->next) {
		cJSON *copy = cJSON_Duplicate(c, 1);
		int rc;

		if (!copy)
			return b_nomem(b);
		if ((rc = map_set(b, f, c->string, copy, line, col, 1)))
			return rc;
	}
	return 0;
}

/* `<<: value` in map. go-yaml: the merged keys overwrite keys written
 * before `<<`, later keys overwrite merged ones, and in `<<: [*a, *b]` the
 * first map wins (so the list is applied last to first). */
static int merge_into(struct builder *b, struct frame *f, const cJSON *src, size_t size)
{
	int rc = 0;

	b->alias_nodes += size; /* merged entries are copies too */
	if (b->alias_nodes > YAML_ALIAS_BUDGET + 4 * b->nodes)
		return b_err(b, f->key_line, f->key_col, "too much alias expansion (more than %d copied nodes)",
			     YAML_ALIAS_BUDGET);
	if (cJSON_IsObject(src))
		return merge_one(b, f, src, f->key_line, f->key_col);
	if (!cJSON_IsArray(src))
		return b_err(b, f->key_line, f->key_col,
			     "merge key \"<<\" needs a mapping or a list of mappings");
	for (const cJSON *c = src->child; c; c = c->next)
		if (!cJSON_IsObject(c))
			return b_err(b, f->key_line, f->key_col,
				     "merge key \"<<\" needs a mapping or a list of mappings");
	for (int i = cJSON_GetArraySize(src) - 1; i >= 0 && rc == 0; i--)
		rc = merge_one(b, f, cJSON_GetArrayItem(src, i), f->key_line, f->key_col);
	return rc;
}

/* Attaches a finished node to its parent (or makes it the root). */
static int attach(struct builder *b, cJSON *node, int line, int col, size_t size, int height)
{
	struct frame *f;
	int rc;

	if (b->depth == 0) {
		if (b->root) { /* cannot happen: libyaml gives one root per document */
			cJSON_Delete(node);
			return b_err(b, line, col, "more than one root node");
		}
		b->root = node;
		return ypos_put(b->pos, node, line, col, 0) ? b_nomem(b) : 0;
	}
	f = &b->st[b->depth - 1];
	f->size += size;
	if (height > f->height)
		f->height = height;
	if (!f->is_map) {
		cJSON_AddItemToArray(f->node, node);
		return ypos_put(b->pos, node, line, col, 0) ? b_nomem(b) : 0;
	}
	if (f->key_merge) {
		rc = merge_into(b, f, node, size);
		bury(b, node);
	} else {
		rc = map_set(b, f, f->key, node, f->key_line, f->key_col, 0);
	}
	free(f->key);
	f->key = NULL;
	f->key_merge = 0;
	return rc;
}

/* Key text for a resolved scalar, as sigs.k8s.io/yaml stringifies keys. */
static int key_from_scalar(struct builder *b, const struct yscalar *s, const char *text, int line,
			   int col, char **out)
{
	struct kbuf k = { 0 };

	switch (s->kind) {
	case YS_NULL:
		return b_err(b, line, col, "a null mapping key is not allowed");
	case YS_UINT:
		return b_err(b, line, col, "mapping key %s is too large (kubectl rejects uint64 keys)", text);
	case YS_BOOL: kbuf_puts(&k, s->b ? "true" : "false"); break;
	case YS_INT: kbuf_printf(&k, "%lld", s->i); break;
	case YS_FLOAT: yaml_go_float_g(s->f, 32, &k); break;
	case YS_STR: kbuf_puts(&k, text); break;
	}
	*out = kbuf_steal(&k);
	return *out ? 0 : b_nomem(b);
}

/* Key text for an aliased node used as a key. */
static int key_from_node(struct builder *b, const cJSON *n, int line, int col, char **out)
{
	struct yscalar s = { 0 };
	const char *text = "";

	if (cJSON_IsString(n) || cJSON_IsRaw(n)) {
		s.kind = YS_STR; /* a raw number keeps its exact text */
		text = n->valuestring;
	} else if (cJSON_IsBool(n)) {
		s.kind = YS_BOOL;
		s.b = cJSON_IsTrue(n);
	} else if (cJSON_IsNumber(n)) {
		s.kind = n->valuedouble == floor(n->valuedouble) && fabs(n->valuedouble) < 9e18 ? YS_INT
											 : YS_FLOAT;
		s.i = (long long)n->valuedouble;
		s.f = n->valuedouble;
	} else if (cJSON_IsNull(n)) {
		s.kind = YS_NULL;
	} else {
		return b_err(b, line, col, "a mapping key must be a scalar");
	}
	return key_from_scalar(b, &s, text, line, col, out);
}

static cJSON *node_from_scalar(const struct yscalar *s, const char *text)
{
	char num[32];

	switch (s->kind) {
	case YS_NULL: return cJSON_CreateNull();
	case YS_BOOL: return cJSON_CreateBool(s->b);
	case YS_INT:
		if (s->i > -1000000000000000LL && s->i < 1000000000000000LL)
			return cJSON_CreateNumber((double)s->i);
		snprintf(num, sizeof(num), "%lld", s->i); /* exact, beyond a double's 53 bits */
		return cJSON_CreateRaw(num);
	case YS_UINT:
		/* kubectl reads uint64 back as float64 */
		return number_from_double((double)s->u);
	case YS_FLOAT: return number_from_double(s->f);
	case YS_STR: return cJSON_CreateString(text);
	}
	return NULL;
}

#define TAG_PREFIX "tag:yaml.org,2002:"

/* Resolves a scalar event into *s. Tags: !!str (and any quoted scalar) is a
 * string; !!int/!!float/!!bool/!!null must resolve to that type;
 * !!timestamp, !!binary and unknown tags keep the text. */
static int scalar_resolve(struct builder *b, const yaml_event_t *ev, struct yscalar *s, int line,
			  int col)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *tag = (const char *)ev->data.scalar.tag;
	int plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	const char *want = NULL;

	memset(s, 0, sizeof(*s));
	s->kind = YS_STR;
	if (memchr(text, '\0', ev->data.scalar.length))
		return b_err(b, line, col, "a NUL character in a string is not supported");
	if (tag && strncmp(tag, TAG_PREFIX, strlen(TAG_PREFIX)) == 0) {
		const char *t = tag + strlen(TAG_PREFIX);

		if (strcmp(t, "int") == 0 || strcmp(t, "float") == 0 || strcmp(t, "bool") == 0 ||
		    strcmp(t, "null") == 0)
			want = t;
		else
			return 0; /* str, timestamp (never converted), binary, ... */
	} else if (tag || !plain) {
		return 0;
	}
	if (resolve_plain(text, s))
		return b_err(b, line, col, "\"%s\": infinity and NaN cannot be represented in JSON", text);
	if (want) {
		int ok = (strcmp(want, "int") == 0 && (s->kind == YS_INT || s->kind == YS_UINT)) ||
			 (strcmp(want, "float") == 0 && (s->kind == YS_FLOAT || s->kind == YS_INT)) ||
			 (strcmp(want, "bool") == 0 && s->kind == YS_BOOL) ||
			 (strcmp(want, "null") == 0 && s->kind == YS_NULL);

		if (!ok)
			return b_err(b, line, col, "cannot decode \"%s\" as !!%s", text, want);
		if (s->kind == YS_INT && strcmp(want, "float") == 0) {
			s->kind = YS_FLOAT;
			s->f = (double)s->i;
		}
	}
	return 0;
}

static struct frame *top(struct builder *b)
{
	return b->depth ? &b->st[b->depth - 1] : NULL;
}

static int expecting_key(struct builder *b)
{
	struct frame *f = top(b);

	return f && f->is_map && !f->key && !f->key_merge;
}

/* Well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
static int utf8_valid(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		size_t k = c < 0x80 ? 0 : (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : 9;
		unsigned long cp;

		if (k == 9 || i + k >= n + (k == 0))
			return 0;
		cp = k ? c & (0x3f >> k) : c;
		for (size_t j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (p[i + j] & 0x3f);
		}
		if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) || (k == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += k + 1;
	}
	return 1;
}

/* !!binary: go-yaml hands kubectl the decoded bytes as a string. Only text
 * survives JSON unchanged, so anything else is refused, not mangled. */
static int binary_text(struct builder *b, const char *b64, int line, int col, char **out)
{
	size_t n;
	unsigned char *d = b64_decode(b64, &n);

	if (!d)
		return b_err(b, line, col, "!!binary value is not valid base64");
	if (memchr(d, '\0', n) || !utf8_valid(d, n)) {
		free(d);
		return b_err(b, line, col, "!!binary data is not UTF-8 text (JSON cannot carry it)");
	}
	*out = (char *)d;
	return 0;
}

/* The scalar event ev whose text (decoded for !!binary) is text. */
static int on_scalar_text(struct builder *b, const yaml_event_t *ev, const char *text,
			  const char *anchor, int line, int col)
{
	struct yscalar s;
	cJSON *node;
	int rc;

	if ((rc = scalar_resolve(b, ev, &s, line, col)))
		return rc;
	b->nodes++;
	node = node_from_scalar(&s, text);
	if (!node)
		return b_nomem(b);
	if (anchor && !anchor_define(&b->anchors, anchor, node, 1, 1)) {
		cJSON_Delete(node);
		return b_nomem(b);
	}
	if (!expecting_key(b))
		return attach(b, node, line, col, 1, 1);

	/* a key */
	struct frame *f = top(b);

	if (anchor)
		bury(b, node); /* an alias may copy it later */
	else
		cJSON_Delete(node);
	f->key_line = line;
	f->key_col = col;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag &&
	    strcmp(text, "<<") == 0) {
		f->key_merge = 1;
		return 0;
	}
	return key_from_scalar(b, &s, text, line, col, &f->key);
}

static int on_scalar(struct builder *b, const yaml_event_t *ev, int line, int col)
{
	const char *text = (const char *)ev->data.scalar.value;
	const char *anchor = (const char *)ev->data.scalar.anchor;
	const char *tag = (const char *)ev->data.scalar.tag;
	char *decoded = NULL;
	int rc;

	if (tag && strcmp(tag, TAG_PREFIX "binary") == 0) {
		if ((rc = binary_text(b, text, line, col, &decoded)))
			return rc;
		text = decoded;
	}
	rc = on_scalar_text(b, ev, text, anchor, line, col);
	free(decoded);
	return rc;
}

static int on_collection_start(struct builder *b, const yaml_event_t *ev, int is_map, int line,
			       int col)
{
	const char *anchor = (const char *)(is_map ? ev->data.mapping_start.anchor
						   : ev->data.sequence_start.anchor);
	struct frame *f;

	if (expecting_key(b))
		return b_err(b, line, col, "a mapping key must be a scalar, not a %s",
			     is_map ? "mapping" : "sequence");
	if (b->depth >= YAML_MAX_DEPTH)
		return b_err(b, line, col, "nesting deeper than %d levels", YAML_MAX_DEPTH);
	if (vec_reserve(b->st, b->depth, b->cap, 16))
		return b_nomem(b);
	f = &b->st[b->depth];
	memset(f, 0, sizeof(*f));
	f->node = is_map ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!f->node)
		return b_nomem(b);
	b->depth++;
	b->nodes++;
	f->is_map = is_map;
	f->line = line;
	f->col = col;
	if (anchor) {
		/* defined now, complete later: an alias inside it is self-reference */
		f->anchor = strdup(anchor);
		f->anchor_gen = f->anchor ? anchor_define(&b->anchors, anchor, NULL, 0, 0) : 0;
		if (!f->anchor_gen)
			return b_nomem(b);
	}
	return 0;
}

static int on_collection_end(struct builder *b)
{
	struct frame f = b->st[--b->depth];
	struct anchor *a;
	int rc;

	free(f.key); /* libyaml always pairs keys and values; defensive */
	strmap_free(f.idx);
	if (f.anchor) {
		a = anchor_find(&b->anchors, f.anchor);
		if (a && a->gen == f.anchor_gen) { /* not redefined inside itself */
			a->node = f.node;
			a->size = f.size + 1;
			a->height = f.height + 1;
		}
		free(f.anchor);
	}
	rc = attach(b, f.node, f.line, f.col, f.size + 1, f.height + 1);
	return rc;
}

static int on_alias(struct builder *b, const yaml_event_t *ev, int line, int col)
{
	const char *name = (const char *)ev->data.alias.anchor;
	struct anchor *a = anchor_find(&b->anchors, name);
	struct frame *f = top(b);
	cJSON *copy;

	if (!a)
		return b_err(b, line, col, "unknown anchor \"%s\"", name);
	if (!a->node)
		return b_err(b, line, col, "alias *%s refers to itself", name);
	if (expecting_key(b)) {
		f->key_line = line;
		f->key_col = col;
		return key_from_node(b, a->node, line, col, &f->key);
	}
	if (b->depth + (size_t)a->height > YAML_MAX_DEPTH)
		return b_err(b, line, col, "alias *%s nests deeper than %d levels", name, YAML_MAX_DEPTH);
	if (f && f->is_map && f->key_merge) { /* merge straight from the anchor, no extra copy */
		int rc = merge_into(b, f, a->node, a->size);

		f->key_merge = 0;
		return rc;
	}
	b->alias_nodes += a->size;
	if (b->alias_nodes > YAML_ALIAS_BUDGET + 4 * b->nodes)
		return b_err(b, line, col, "too much alias expansion (more than %d copied nodes)",
			     YAML_ALIAS_BUDGET);
	copy = cJSON_Duplicate(a->node, 1);
	if (!copy)
		return b_nomem(b);
	return attach(b, copy, line, col, a->size, a->height);
}

static void builder_release(struct builder *b)
{
	while (b->depth) {
		struct frame *f = &b->st[--b->depth];

		cJSON_Delete(f->node);
		free(f->key);
		free(f->anchor);
		strmap_free(f->idx);
	}
	free(b->st);
	cJSON_Delete(b->grave);
	anchor_table_free(&b->anchors);
}

/* ------------------------------------------------------------------ */
/* Parsing one document chunk.                                          */

struct chunk {
	const char *p;
	size_t len;
	int line; /* file line of the first byte */
};

struct chunk_reader {
	const char *p;
	size_t len, off;
	int add_nl;
};

/* Feeds the chunk, plus a final '\n' when the file lacks one: go-yaml gives
 * a block scalar at end of file its newline, libyaml does not. */
static int chunk_read(void *data, unsigned char *buf, size_t size, size_t *size_read)
{
	struct chunk_reader *r = data;
	size_t n = r->len - r->off;

	if (n > size)
		n = size;
	memcpy(buf, r->p + r->off, n);
	r->off += n;
	if (n < size && r->add_nl) {
		buf[n++] = '\n';
		r->add_nl = 0;
	}
	*size_read = n;
	return 1;
}

static int parser_error(struct builder *b, yaml_parser_t *p, const struct chunk *c, int saw_end)
{
	int line = b->line0 + (int)p->problem_mark.line, col = (int)p->problem_mark.column + 1;

	if (p->error == YAML_READER_ERROR) { /* only an offset: count lines ourselves */
		size_t off = p->problem_offset < c->len ? p->problem_offset : c->len;
		size_t ls = 0;

		line = b->line0;
		for (size_t i = 0; i < off; i++)
			if (c->p[i] == '\n') {
				line++;
				ls = i + 1;
			}
		col = (int)(off - ls) + 1;
		return b_err(b, line, col, "%s (byte 0x%02x): the file must be valid UTF-8",
			     p->problem ? p->problem : "invalid input", (unsigned)p->problem_value & 0xff);
	}
	if (saw_end && p->problem && strstr(p->problem, "<document start>"))
		return b_err(b, line, col,
			     "content after the document end marker \"...\" needs a \"---\" line first");
	return b_err(b, line, col, "%s%s%s", p->problem ? p->problem : "syntax error",
		     p->context ? " " : "", p->context ? p->context : "");
}

/* Byte offset of a libyaml mark (0-based line, column in characters). */
static size_t mark_offset(const struct chunk *c, const yaml_mark_t *m)
{
	size_t off = 0;

	for (size_t line = 0; line < m->line && off < c->len; off++)
		line += c->p[off] == '\n';
	for (size_t col = 0; col < m->column && off < c->len; col++)
		do
			off++;
		while (off < c->len && ((unsigned char)c->p[off] & 0xc0) == 0x80);
	return off;
}

/* go-yaml accepts "\'" in a double-quoted scalar, libyaml does not: when
 * libyaml stops at one, *escape_at gets its offset so that the caller can
 * drop the backslash and parse again. */
static int is_quote_escape_error(const yaml_parser_t *p, const struct chunk *c, size_t *escape_at)
{
	size_t off;

	if (p->error != YAML_SCANNER_ERROR || !p->problem ||
	    strcmp(p->problem, "found unknown escape character") != 0)
		return 0;
	off = mark_offset(c, &p->problem_mark);
	if (off + 1 >= c->len || c->p[off] != '\\' || c->p[off + 1] != '\'')
		return 0;
	*escape_at = off;
	return 1;
}

/* decode_chunk_once's "parse again without that backslash"; never escapes. */
#define YAML_RETRY_ESCAPE 1

static int decode_chunk_once(const struct chunk *c, const char *name, struct ydoc *doc,
			     struct ydoc_list *warn, size_t *escape_at, struct kerr *e)
{
	struct builder b = { .name = name, .line0 = c->line, .warn = warn, .e = e };
	struct chunk_reader r = { c->p, c->len, 0, c->len > 0 && c->p[c->len - 1] != '\n' };
	yaml_parser_t parser;
	yaml_event_t ev;
	int rc = 0, done = 0, ndocs = 0, saw_end = 0;

	memset(doc, 0, sizeof(*doc));
	doc->line = c->line;
	b.pos = calloc(1, sizeof(*b.pos));
	b.grave = cJSON_CreateArray();
	if (!b.pos || !b.grave || !yaml_parser_initialize(&parser)) {
		ypos_free(b.pos);
		cJSON_Delete(b.grave);
		return kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
	}
	yaml_parser_set_input(&parser, chunk_read, &r);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && rc == 0) {
		int line, col;

		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(&b, &parser, c, saw_end);
			if (is_quote_escape_error(&parser, c, escape_at))
				rc = YAML_RETRY_ESCAPE;
			break;
		}
		line = c->line + (int)ev.start_mark.line;
		col = (int)ev.start_mark.column + 1;
		switch (ev.type) {
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1)
				rc = b_err(&b, line, col,
					   "content after the document end marker \"...\" needs a \"---\" line first");
			else if (!ev.data.document_start.implicit && ev.data.document_start.version_directive)
				rc = b_err(&b, line, col, "%%YAML directives are not supported (kubectl rejects them)");
			break;
		case YAML_DOCUMENT_END_EVENT: saw_end = !ev.data.document_end.implicit; break;
		case YAML_SCALAR_EVENT: rc = on_scalar(&b, &ev, line, col); break;
		case YAML_SEQUENCE_START_EVENT: rc = on_collection_start(&b, &ev, 0, line, col); break;
		case YAML_MAPPING_START_EVENT: rc = on_collection_start(&b, &ev, 1, line, col); break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT: rc = on_collection_end(&b); break;
		case YAML_ALIAS_EVENT: rc = on_alias(&b, &ev, line, col); break;
		case YAML_STREAM_END_EVENT: done = 1; break;
		default: break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	builder_release(&b);
	if (rc) {
		cJSON_Delete(b.root);
		ypos_free(b.pos);
		return rc;
	}
	doc->root = b.root;
	doc->pos = b.pos;
	return 0;
}

/* Most "\\'" escapes one chunk may have before it is refused: each one
 * costs a parse of the chunk. */
#define MAX_QUOTE_ESCAPES 64

/* Moves every warning of from to the end of to. */
static int warnings_move(struct ydoc_list *to, struct ydoc_list *from)
{
	for (size_t i = 0; i < from->nwarnings; i++) {
		char *w = from->warnings[i];

		from->warnings[i] = NULL;
		if (add_warning(to, w))
			return KAIRN_ENOMEM;
	}
	return 0;
}

/* Decodes a chunk; a "\\'" in a double-quoted scalar is read as "'" (as
 * kubectl does), with a warning. Warnings reach warn only on success. */
static int decode_chunk(const struct chunk *c, const char *name, struct ydoc *doc,
			struct ydoc_list *warn, struct kerr *e)
{
	struct ydoc_list attempt = { 0 }, escapes = { 0 };
	struct chunk fixed = *c;
	char *copy = NULL;
	size_t at = 0;
	int rc;

	while ((rc = decode_chunk_once(&fixed, name, doc, &attempt, &at, e)) == YAML_RETRY_ESCAPE) {
		struct kbuf w = { 0 };
		int line = fixed.line;

		ydoc_list_free(&attempt); /* that parse's warnings come again */
		if (escapes.nwarnings >= MAX_QUOTE_ESCAPES) {
			rc = kerr_prefix(e, "more than %d \"\\'\" escapes", MAX_QUOTE_ESCAPES);
			break;
		}
		if (!copy) {
			if (!(copy = malloc(c->len ? c->len : 1))) {
				rc = kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
				break;
			}
			memcpy(copy, c->p, c->len);
			fixed.p = copy;
		}
		for (size_t i = 0; i < at; i++)
			line += copy[i] == '\n';
		memmove(copy + at, copy + at + 1, fixed.len - at - 1); /* drop the backslash */
		fixed.len--;
		kbuf_printf(&w, "%s:%d: \"\\'\" is not a YAML escape; read as \"'\" as kubectl does",
			    name, line);
		if (!w.data || add_warning(&escapes, kbuf_steal(&w))) {
			rc = kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
			break;
		}
		kerr_clear(e);
	}
	if (rc == 0 && (warnings_move(warn, &escapes) || warnings_move(warn, &attempt)))
		rc = kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
	if (rc && doc->root) {
		cJSON_Delete(doc->root);
		ypos_free(doc->pos);
		memset(doc, 0, sizeof(*doc));
	}
	ydoc_list_free(&attempt);
	ydoc_list_free(&escapes);
	free(copy);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Splitting a file into document chunks.                               */

struct chunk_list {
	struct chunk *c;
	size_t n, cap;
};

static int chunks_add(struct chunk_list *l, const char *p, size_t len, int line)
{
	if (vec_reserve(l->c, l->n, l->cap, 8))
		return KAIRN_ENOMEM;
	l->c[l->n++] = (struct chunk){ p, len, line };
	return 0;
}

/* kubectl's YAMLReader: a line starting "---" ends a document; only spaces
 * or a comment may follow on that line. A separator line that comes while
 * its buffer is empty (first line of the file, or right after a separator
 * that ended a document) is not a separator to it but the first line of the
 * next document: "---" and "--- #c" start it harmlessly, "---#c" is text to
 * go-yaml (libyaml agrees), so it stays in the chunk: usually a syntax error,
 * "---#a: b" a key. Also refuses CR-only
 * line endings (kubectl silently loses documents there) and %YAML/%TAG
 * directives. */
static int split_yaml(const char *buf, size_t len, const char *name, struct chunk_list *out,
		      struct kerr *e)
{
	size_t start = 0, i = 0;
	int line = 1, start_line = 1, buffered = 0;

	while (i < len) {
		const char *l = buf + i, *nl = memchr(l, '\n', len - i);
		size_t llen = nl ? (size_t)(nl - l) : len - i;
		const char *cr = memchr(l, '\r', llen);

		if (cr && cr != l + llen - 1)
			return kerr_set(e, KAIRN_EPARSE, "%s:%d: carriage return without line feed "
				       "(CR-only line endings are not supported)", name, line);
		if (cr && !nl)
			return kerr_set(e, KAIRN_EPARSE, "%s:%d: carriage return without line feed "
				       "(CR-only line endings are not supported)", name, line);
		if ((llen >= 5 && strncmp(l, "%YAML", 5) == 0) || (llen >= 4 && strncmp(l, "%TAG", 4) == 0))
			return kerr_set(e, KAIRN_EPARSE, "%s:%d:1: %%YAML and %%TAG directives are not "
				       "supported (kubectl rejects them)", name, line);
		if (llen >= 3 && strncmp(l, "---", 3) == 0) {
			size_t k = 3;

			while (k < llen && isspace((unsigned char)l[k]))
				k++;
			if (k < llen && l[k] != '#')
				return kerr_set(e, KAIRN_EPARSE, "%s:%d:%zu: content after the document "
					       "separator \"---\" must go on the next line", name, line, k + 1);
			if (!buffered && llen > 3 && !isspace((unsigned char)l[3])) {
				/* "---#...": the first line of the next document, as text */
				buffered = 1;
			} else {
				/* like kubectl, nothing at all between separators is no document */
				if (i > start && chunks_add(out, buf + start, i - start, start_line))
					return kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
				start = i + llen + (nl ? 1 : 0);
				start_line = line + 1;
				buffered = !buffered; /* it ended a document, or it begins one */
			}
		} else {
			buffered = 1;
		}
		i += llen + (nl ? 1 : 0);
		line++;
	}
	if (start < len && chunks_add(out, buf + start, len - start, start_line))
		return kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
	return 0;
}

/* Advances (*line, *pos) to off, counting newlines: callers move forward
 * only, so a file is scanned once. */
static int line_advance(const char *buf, size_t off, int *line, size_t *pos)
{
	for (; *pos < off; (*pos)++)
		*line += buf[*pos] == '\n';
	return *line;
}

/* Concatenated JSON values: cJSON finds where each ends; each one is then
 * decoded by the YAML path (JSON is YAML's flow style), which keeps
 * positions and exact large integers. */
static int split_json(const char *buf, size_t len, const char *name, struct chunk_list *out,
		      struct kerr *e)
{
	size_t off = 0, pos = 0;
	int line = 1;

	for (;;) {
		const char *end = NULL;
		cJSON *v;

		while (off < len && isspace((unsigned char)buf[off]))
			off++;
		if (off >= len)
			return 0;
		v = cJSON_ParseWithLengthOpts(buf + off, len - off, &end, 0);
		if (!v) {
			size_t at = end && end >= buf + off ? (size_t)(end - buf) : off;

			return kerr_set(e, KAIRN_EPARSE, "%s:%d: invalid JSON (or nested deeper than %d levels)", name,
					line_advance(buf, at, &line, &pos), YAML_MAX_DEPTH);
		}
		cJSON_Delete(v);
		if (chunks_add(out, buf + off, (size_t)(end - (buf + off)), line_advance(buf, off, &line, &pos)))
			return kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
		off = (size_t)(end - buf);
	}
}

/* Value of the 4 hex digits at p, or -1. */
static long hex4(const char *p, const char *end)
{
	long v = 0;

	if (end - p < 4)
		return -1;
	for (int k = 0; k < 4; k++) {
		int c = (unsigned char)p[k];

		if (!isxdigit(c))
			return -1;
		v = v * 16 + (isdigit(c) ? c - '0' : (tolower(c) - 'a' + 10));
	}
	return v;
}

/* JSON's UTF-16 surrogate escapes ("\ud83d\ude00"), which YAML (libyaml,
 * go-yaml) refuses, rewritten the way Go's encoding/json reads them: a pair
 * becomes the UTF-8 bytes of its code point, a lone half those of U+FFFD
 * (valid in JSON and in YAML strings alike). Only inside strings; *out is
 * NULL when nothing needed rewriting. Columns after a rewrite shift. */
static int json_fix_surrogates(const char *buf, size_t len, char **out, size_t *out_len)
{
	const char *end = buf + len;
	struct kbuf b = { 0 };
	size_t copied = 0;
	int in_str = 0;

	*out = NULL;
	for (size_t i = 0; i < len; i++) {
		long hi, lo;

		if (buf[i] == '"') {
			in_str = !in_str;
			continue;
		}
		if (!in_str || buf[i] != '\\')
			continue;
		if (i + 1 >= len || buf[i + 1] != 'u' || (hi = hex4(buf + i + 2, end)) < 0xd800 || hi > 0xdfff) {
			i++; /* any other escape, "\\" and "\"" included */
			continue;
		}
		lo = hi <= 0xdbff && i + 7 < len && buf[i + 6] == '\\' && buf[i + 7] == 'u'
			     ? hex4(buf + i + 8, end) : -1;
		if (kbuf_append(&b, buf + copied, i - copied))
			goto nomem;
		if (lo >= 0xdc00 && lo <= 0xdfff) {
			long cp = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
			char u8[4] = { (char)(0xf0 | (cp >> 18)), (char)(0x80 | ((cp >> 12) & 0x3f)),
				       (char)(0x80 | ((cp >> 6) & 0x3f)), (char)(0x80 | (cp & 0x3f)) };

			if (kbuf_append(&b, u8, sizeof(u8)))
				goto nomem;
			i += 11;
		} else {
			if (kbuf_puts(&b, "\xef\xbf\xbd"))
				goto nomem;
			i += 5;
		}
		copied = i + 1;
	}
	if (!b.data)
		return 0;
	if (kbuf_append(&b, buf + copied, len - copied))
		goto nomem;
	*out_len = b.len;
	*out = kbuf_steal(&b);
	return 0;
nomem:
	kbuf_free(&b);
	return KAIRN_ENOMEM;
}

/* UTF-16 (PowerShell's "Unicode") to UTF-8 with iconv; BOM included in in. */
static int utf16_to_utf8(const char *in, size_t len, const char *enc, char **out, size_t *out_len,
			 const char *name, struct kerr *e)
{
	iconv_t cd = iconv_open("UTF-8", enc);
	size_t cap = len * 2 + 4, inleft = len - 2, outleft = cap;
	char *ip = (char *)in + 2, *res = malloc(cap), *op = res;
	int rc = 0;

	if (cd == (iconv_t)-1 || !res) {
		rc = kerr_set(e, KAIRN_ENOMEM, "%s: cannot convert UTF-16", name);
		goto out;
	}
	if (iconv(cd, &ip, &inleft, &op, &outleft) == (size_t)-1) {
		rc = kerr_set(e, KAIRN_EPARSE, "%s: invalid UTF-16 at byte %zu", name,
			      (size_t)(ip - in));
		goto out;
	}
	*out_len = cap - outleft;
	*out = res;
	res = NULL;
out:
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	free(res);
	return rc;
}

void ydoc_list_free(struct ydoc_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		cJSON_Delete(l->docs[i].root);
		ypos_free(l->docs[i].pos);
	}
	free(l->docs);
	for (size_t i = 0; i < l->nwarnings; i++)
		free(l->warnings[i]);
	free(l->warnings);
	memset(l, 0, sizeof(*l));
}

int yaml_decode_all(const char *buf, size_t len, const char *name, struct ydoc_list *out,
		    struct kerr *e)
{
	struct ydoc_list res = { 0 };
	struct chunk_list chunks = { 0 };
	char *converted = NULL, *fixed = NULL;
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len >= 2 && (unsigned char)buf[0] == 0xff && (unsigned char)buf[1] == 0xfe) {
		if ((rc = utf16_to_utf8(buf, len, "UTF-16LE", &converted, &len, name, e)))
			return rc;
		buf = converted;
	} else if (len >= 2 && (unsigned char)buf[0] == 0xfe && (unsigned char)buf[1] == 0xff) {
		if ((rc = utf16_to_utf8(buf, len, "UTF-16BE", &converted, &len, name, e)))
			return rc;
		buf = converted;
	} else if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	for (i = 0; i < len && isspace((unsigned char)buf[i]); i++)
		;
	if (i < len && buf[i] == '{') {
		if (json_fix_surrogates(buf, len, &fixed, &len)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
			goto out;
		}
		buf = fixed ? fixed : buf;
		rc = split_json(buf, len, name, &chunks, e);
	} else {
		rc = split_yaml(buf, len, name, &chunks, e);
	}
	if (rc)
		goto out;
	res.docs = calloc(chunks.n ? chunks.n : 1, sizeof(*res.docs));
	if (!res.docs) {
		rc = kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", name);
		goto out;
	}
	for (i = 0; i < chunks.n; i++) {
		if ((rc = decode_chunk(&chunks.c[i], name, &res.docs[i], &res, e)))
			goto out;
		res.n++;
	}
	*out = res;
	memset(&res, 0, sizeof(res));
out:
	ydoc_list_free(&res);
	free(chunks.c);
	free(converted);
	free(fixed);
	return rc;
}
