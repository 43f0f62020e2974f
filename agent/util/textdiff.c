/*
 * textdiff.c — see textdiff.h. The LCS table is filled from the end so the
 * edit script can be read forwards; it takes (n+1)*(m+1) uint32 cells,
 * bounded by TEXTDIFF_MAX_CELLS.
 */
#include "textdiff.h"
#include "err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct lines {
	const char **start;
	size_t *len;
	size_t n;
};

static int split(const char *s, struct lines *l)
{
	size_t cap = 16;

	l->n = 0;
	l->start = malloc(cap * sizeof(char *));
	l->len = malloc(cap * sizeof(size_t));
	if (!l->start || !l->len)
		return KAIRN_ENOMEM;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		if (l->n == cap) {
			const char **gs = realloc(l->start, (cap * 2) * sizeof(char *));
			size_t *gl;

			if (!gs)
				return KAIRN_ENOMEM;
			l->start = gs;
			gl = realloc(l->len, (cap * 2) * sizeof(size_t));
			if (!gl)
				return KAIRN_ENOMEM;
			l->len = gl;
			cap *= 2;
		}
		l->start[l->n] = s;
		l->len[l->n++] = n;
		s += n + (nl ? 1 : 0);
	}
	return 0;
}

static int line_eq(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

enum op { OP_SAME, OP_DEL, OP_ADD };

struct edit {
	enum op op;
	size_t ai, bi; /* line index in a (SAME/DEL) and b (SAME/ADD) */
};

static int put_line(struct kbuf *out, char tag, const struct lines *l, size_t i)
{
	return kbuf_putc(out, tag) || kbuf_append(out, l->start[i], l->len[i]) || kbuf_putc(out, '\n');
}

static int emit_hunks(const struct edit *ed, size_t ne, const struct lines *a, const struct lines *b,
		      struct kbuf *out)
{
	const size_t ctx = 3;
	size_t i = 0;

	while (i < ne) {
		size_t first, last, k, as = 0, bs = 0, an = 0, bn = 0;

		while (i < ne && ed[i].op == OP_SAME)
			i++;
		if (i == ne)
			break;
		first = i > ctx ? i - ctx : 0;
		/* extend while the next change is within 2*ctx of the previous one */
		last = i;
		for (k = i; k < ne; k++) {
			if (ed[k].op != OP_SAME) {
				last = k;
			} else if (k - last > 2 * ctx) {
				break;
			}
		}
		last = last + ctx + 1 < ne ? last + ctx + 1 : ne;
		/* ai/bi of an edit are the positions in a and b where it stands, so
		 * the hunk starts at the first edit's positions. */
		as = ed[first].ai;
		bs = ed[first].bi;
		for (k = first; k < last; k++) {
			an += ed[k].op != OP_ADD;
			bn += ed[k].op != OP_DEL;
		}
		if (kbuf_printf(out, "@@ -%zu,%zu +%zu,%zu @@\n", an ? as + 1 : as, an, bn ? bs + 1 : bs, bn))
			return KAIRN_ENOMEM;
		for (k = first; k < last; k++) {
			int rc = ed[k].op == OP_SAME ? put_line(out, ' ', a, ed[k].ai) :
				 ed[k].op == OP_DEL ? put_line(out, '-', a, ed[k].ai) :
				 put_line(out, '+', b, ed[k].bi);

			if (rc)
				return KAIRN_ENOMEM;
		}
		i = last;
	}
	return 0;
}

int text_diff_unified(const char *sa, const char *sb, const char *la, const char *lb,
		      struct kbuf *out)
{
	struct lines a = { 0 }, b = { 0 };
	uint32_t *t = NULL;
	struct edit *ed = NULL;
	size_t ne = 0, i = 0, j = 0, w;
	int rc = KAIRN_ENOMEM;

	if (strcmp(sa, sb) == 0)
		return 0;
	if (split(sa, &a) || split(sb, &b))
		goto out;
	if (kbuf_printf(out, "--- %s\n+++ %s\n", la, lb))
		goto out;
	if ((a.n + 1) * (b.n + 1) > TEXTDIFF_MAX_CELLS) {
		rc = kbuf_printf(out, "@@ -1,%zu +1,%zu @@\n", a.n, b.n);
		for (i = 0; !rc && i < a.n; i++)
			rc = put_line(out, '-', &a, i);
		for (j = 0; !rc && j < b.n; j++)
			rc = put_line(out, '+', &b, j);
		goto out;
	}
	w = b.n + 1;
	t = calloc((a.n + 1) * w, sizeof(uint32_t));
	ed = malloc((a.n + b.n + 1) * sizeof(*ed));
	if (!t || !ed)
		goto out;
	for (i = a.n; i-- > 0;)
		for (j = b.n; j-- > 0;)
			t[i * w + j] = line_eq(&a, i, &b, j) ? t[(i + 1) * w + j + 1] + 1 :
				       (t[(i + 1) * w + j] >= t[i * w + j + 1] ? t[(i + 1) * w + j] : t[i * w + j + 1]);
	i = j = 0;
	while (i < a.n || j < b.n) {
		if (i < a.n && j < b.n && line_eq(&a, i, &b, j)) {
			ed[ne++] = (struct edit){ OP_SAME, i++, j++ };
		} else if (i < a.n && (j == b.n || t[(i + 1) * w + j] >= t[i * w + j + 1])) {
			ed[ne++] = (struct edit){ OP_DEL, i++, j }; /* deletions first, as diff(1) */
		} else {
			ed[ne++] = (struct edit){ OP_ADD, i, j++ };
		}
	}
	rc = emit_hunks(ed, ne, &a, &b, out);
out:
	free(a.start);
	free(a.len);
	free(b.start);
	free(b.len);
	free(t);
	free(ed);
	return rc;
}
