/*
 * jsonpatch.c — JSON patch (RFC 6902) with JSON pointers (RFC 6901).
 * Operations apply in order to a copy of the document; the first failing
 * operation aborts the whole patch (the input is never modified). Error texts
 * follow the wording the apiserver passes through from its JSON-patch library.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "patch.h"

/* A parsed JSON pointer: tokens already unescaped (~1 → /, ~0 → ~). */
struct jptr {
	char **tok;
	size_t n;
};

static void jptr_free(struct jptr *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	p->tok = NULL;
	p->n = 0;
}

static int jptr_parse(const char *s, struct jptr *p, struct kerr *e)
{
	size_t cap = 0;

	p->tok = NULL;
	p->n = 0;
	if (!*s)
		return 0;
	if (*s != '/')
		return kerr_set(e, KAIRN_EINVAL, "invalid JSON pointer %s: must start with /", s);
	while (*s == '/') {
		const char *start = ++s;
		size_t len = strcspn(start, "/");
		char *t = malloc(len + 1), *w = t;

		if (!t)
			goto nomem;
		for (size_t i = 0; i < len; i++) {
			if (start[i] != '~') {
				*w++ = start[i];
				continue;
			}
			if (i + 1 < len && (start[i + 1] == '0' || start[i + 1] == '1')) {
				*w++ = start[i + 1] == '0' ? '~' : '/';
				i++;
				continue;
			}
			free(t);
			jptr_free(p);
			return kerr_set(e, KAIRN_EINVAL, "invalid JSON pointer %s: bad escape", start - 1);
		}
		*w = '\0';
		if (p->n == cap) {
			char **nt = realloc(p->tok, sizeof(*nt) * (cap = cap ? cap * 2 : 8));

			if (!nt) {
				free(t);
				goto nomem;
			}
			p->tok = nt;
		}
		p->tok[p->n++] = t;
		s = start + len;
	}
	return 0;
nomem:
	jptr_free(p);
	return kerr_set(e, KAIRN_ENOMEM, "out of memory");
}

/* Array index token: digits without a leading zero; -1 if not one. */
static long parse_index(const char *t)
{
	long v = 0;

	if (!*t || (t[0] == '0' && t[1]) || strlen(t) > 9)
		return -1;
	for (; *t; t++) {
		if (!isdigit((unsigned char)*t))
			return -1;
		v = v * 10 + (*t - '0');
	}
	return v;
}

static cJSON *child_of(cJSON *c, const char *tok)
{
	if (cJSON_IsObject(c))
		return cJSON_GetObjectItemCaseSensitive(c, tok);
	if (cJSON_IsArray(c)) {
		long i = parse_index(tok);

		return i < 0 || i >= cJSON_GetArraySize(c) ? NULL : cJSON_GetArrayItem(c, (int)i);
	}
	return NULL;
}

/* The node at the first `depth` tokens, or NULL. */
static cJSON *resolve(cJSON *root, const struct jptr *p, size_t depth)
{
	cJSON *c = root;

	for (size_t i = 0; c && i < depth; i++)
		c = child_of(c, p->tok[i]);
	return c;
}

/* Places item (owned) at pointer p: the "add" semantics. */
static int put_value(cJSON **root, const struct jptr *p, const char *path, const char *op,
		     cJSON *item, struct kerr *e)
{
	cJSON *parent;
	const char *last;

	if (p->n == 0) {
		cJSON_Delete(*root);
		*root = item;
		return 0;
	}
	parent = resolve(*root, p, p->n - 1);
	last = p->tok[p->n - 1];
	if (cJSON_IsObject(parent)) {
		if (cJSON_GetObjectItemCaseSensitive(parent, last))
			cJSON_ReplaceItemInObjectCaseSensitive(parent, last, item);
		else
			cJSON_AddItemToObject(parent, last, item);
		return 0;
	}
	if (cJSON_IsArray(parent)) {
		int size = cJSON_GetArraySize(parent);
		long i = strcmp(last, "-") == 0 ? size : parse_index(last);

		if (i < 0 || i > size) {
			cJSON_Delete(item);
			return kerr_set(e, KAIRN_EINVAL,
					"%s operation does not apply: unable to access invalid index: %s in \"%s\"",
					op, last, path);
		}
		if (i == size)
			cJSON_AddItemToArray(parent, item);
		else
			cJSON_InsertItemInArray(parent, (int)i, item);
		return 0;
	}
	cJSON_Delete(item);
	return kerr_set(e, KAIRN_EINVAL, "%s operation does not apply: doc is missing path: \"%s\": missing value",
			op, path);
}

/* Detaches and returns the node at p (NULL if absent; the root cannot be). */
static cJSON *take_value(cJSON *root, const struct jptr *p)
{
	cJSON *parent, *target;

	if (p->n == 0)
		return NULL;
	parent = resolve(root, p, p->n - 1);
	target = parent ? child_of(parent, p->tok[p->n - 1]) : NULL;
	return target ? cJSON_DetachItemViaPointer(parent, target) : NULL;
}

static const char *op_str(const cJSON *op, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Applies one operation to *root. */
static int apply_op(cJSON **root, const cJSON *op, struct kerr *e)
{
	const char *kind = op_str(op, "op"), *path = op_str(op, "path"), *from = op_str(op, "from");
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
	struct jptr p = { 0 }, f = { 0 };
	cJSON *node = NULL;
	int rc = 0;

	if (!kind)
		return kerr_set(e, KAIRN_EINVAL, "operation is missing the \"op\" field");
	if (!path)
		return kerr_set(e, KAIRN_EINVAL, "%s operation is missing the \"path\" field", kind);
	if ((rc = jptr_parse(path, &p, e)))
		return rc;
	if (!strcmp(kind, "add") || !strcmp(kind, "replace") || !strcmp(kind, "test")) {
		if (!value) {
			rc = kerr_set(e, KAIRN_EINVAL, "%s operation is missing the \"value\" field", kind);
			goto out;
		}
	}
	if (!strcmp(kind, "add")) {
		if (!(node = cJSON_Duplicate(value, 1)))
			goto nomem;
		rc = put_value(root, &p, path, kind, node, e);
	} else if (!strcmp(kind, "remove")) {
		if (!(node = take_value(*root, &p))) {
			rc = kerr_set(e, KAIRN_EINVAL,
				      "remove operation does not apply: doc is missing path: \"%s\": missing value", path);
			goto out;
		}
		cJSON_Delete(node);
	} else if (!strcmp(kind, "replace")) {
		if (!resolve(*root, &p, p.n)) {
			rc = kerr_set(e, KAIRN_EINVAL,
				      "replace operation does not apply: doc is missing key: %s: missing value", path);
			goto out;
		}
		if (!(node = cJSON_Duplicate(value, 1)))
			goto nomem;
		/* Objects replace the member in place (keeping key order);
		 * array elements are taken out and the new one inserted. */
		if (p.n > 0 && cJSON_IsArray(resolve(*root, &p, p.n - 1)))
			cJSON_Delete(take_value(*root, &p));
		rc = put_value(root, &p, path, kind, node, e);
	} else if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
		size_t flen;

		if (!from) {
			rc = kerr_set(e, KAIRN_EINVAL, "%s operation is missing the \"from\" field", kind);
			goto out;
		}
		if ((rc = jptr_parse(from, &f, e)))
			goto out;
		flen = strlen(from);
		if (!strcmp(kind, "move") && strncmp(path, from, flen) == 0 && path[flen] == '/') {
			rc = kerr_set(e, KAIRN_EINVAL, "move operation does not apply: \"%s\" is a child of \"%s\"",
				      path, from);
			goto out;
		}
		if (!strcmp(kind, "move") && !strcmp(path, from)) {
			if (!resolve(*root, &f, f.n))
				goto missing_from;
			goto out;
		}
		if (!strcmp(kind, "move")) {
			node = f.n ? take_value(*root, &f) : NULL;
		} else {
			const cJSON *src = resolve(*root, &f, f.n);

			if (src && !(node = cJSON_Duplicate(src, 1)))
				goto nomem;
		}
		if (!node)
			goto missing_from;
		rc = put_value(root, &p, path, kind, node, e);
	} else if (!strcmp(kind, "test")) {
		if (!kjson_equal(resolve(*root, &p, p.n), value))
			rc = kerr_set(e, KAIRN_EINVAL, "testing value %s failed: test failed", path);
	} else {
		rc = kerr_set(e, KAIRN_EINVAL, "Unexpected kind: %s", kind);
	}
	goto out;
missing_from:
	rc = kerr_set(e, KAIRN_EINVAL, "%s operation does not apply: doc is missing from path: %s: missing value",
		      kind, from);
	goto out;
nomem:
	rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	jptr_free(&p);
	jptr_free(&f);
	return rc;
}

int kpatch_json(const cJSON *doc, const cJSON *patch, cJSON **out, struct kerr *e)
{
	const cJSON *op;
	cJSON *root = NULL;
	int rc = 0, i = 0;

	*out = NULL;
	if (!cJSON_IsArray(patch))
		return kerr_set(e, KAIRN_EINVAL, "json patch must be an array of operations");
	if (doc && !(root = cJSON_Duplicate(doc, 1)))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	cJSON_ArrayForEach(op, patch) {
		if (!cJSON_IsObject(op)) {
			rc = kerr_set(e, KAIRN_EINVAL, "json patch operation %d is not an object", i);
			goto out;
		}
		if ((rc = apply_op(&root, op, e)))
			goto out;
		i++;
	}
	*out = root;
	root = NULL;
out:
	cJSON_Delete(root);
	return rc;
}
