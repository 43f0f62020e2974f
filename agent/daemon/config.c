/*
 * config.c — see config.h. Decodes with util/yamljson (kubectl's YAML
 * rules), then checks every field; all problems are reported at once, one
 * per line.
 */
#include "config.h"
#include "util/buf.h"
#include <ctype.h>
#include <stdio.h>
#include "util/fsutil.h"
#include "util/strmap.h"
#include "util/timeutil.h"
#include "util/yamljson.h"

#include <stdlib.h>
#include <string.h>

struct checker {
	const char *file;
	const struct ydoc *doc;
	struct kbuf errs;
	int n_errs;
};

static void problem(struct checker *c, const cJSON *node, const char *fmt, const char *a, const char *b)
{
	if (c->errs.len)
		kbuf_puts(&c->errs, "\n");
	kbuf_printf(&c->errs, "%s:%d: ", c->file, ydoc_line(c->doc, node));
	kbuf_printf(&c->errs, fmt, a, b ? b : "");
	c->n_errs++;
}

static const char *str_field(struct checker *c, const cJSON *item, const char *where)
{
	if (!cJSON_IsString(item) || !*item->valuestring) {
		problem(c, item, "%s.%s: must be a non-empty string", where, item->string);
		return NULL;
	}
	return item->valuestring;
}

static int bool_field(struct checker *c, const cJSON *item, const char *where)
{
	if (!cJSON_IsBool(item)) {
		problem(c, item, "%s.%s: must be true or false", where, item->string);
		return 1;
	}
	return cJSON_IsTrue(item);
}

/* A label value: at most 63 of [A-Za-z0-9._-], alphanumeric at both ends. */
static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

static void check_source(struct checker *c, const cJSON *o, size_t idx, struct daemon_config_source *s)
{
	char where[48];
	const cJSON *it;

	snprintf(where, sizeof(where), "sources[%zu]", idx);
	s->line = ydoc_line(c->doc, o);
	s->prune = 1;
	s->self_heal = 1;
	s->recurse = 1;
	if (!cJSON_IsObject(o)) {
		problem(c, o, "%s: must be a mapping%s", where, NULL);
		return;
	}
	cJSON_ArrayForEach(it, o) {
		const char *k = it->string;

		if (!strcmp(k, "name")) s->name = str_field(c, it, where);
		else if (!strcmp(k, "repo")) s->repo = str_field(c, it, where);
		else if (!strcmp(k, "dir")) s->dir = str_field(c, it, where);
		else if (!strcmp(k, "ref")) s->ref = str_field(c, it, where);
		else if (!strcmp(k, "path")) s->path = str_field(c, it, where);
		else if (!strcmp(k, "namespace")) s->ns = str_field(c, it, where);
		else if (!strcmp(k, "recurse")) s->recurse = bool_field(c, it, where);
		else if (!strcmp(k, "prune")) s->prune = bool_field(c, it, where);
		else if (!strcmp(k, "selfHeal")) s->self_heal = bool_field(c, it, where);
		else if (!strcmp(k, "interval")) {
			const char *v = str_field(c, it, where);

			if (v && (time_parse_duration_ms(v, &s->interval_ms) || s->interval_ms <= 0))
				problem(c, it, "%s.interval: \"%s\" is not a duration like 30s or 3m", where, v);
		} else
			problem(c, it, "%s: unknown field \"%s\" (name, repo, dir, ref, path, recurse, "
				       "namespace, prune, selfHeal, interval)", where, k);
	}
	if (!s->name && !cJSON_GetObjectItemCaseSensitive(o, "name"))
		problem(c, o, "%s.name: required%s", where, NULL);
	else if (s->name && !valid_name(s->name))
		problem(c, cJSON_GetObjectItemCaseSensitive(o, "name"),
			"%s.name: \"%s\" is not a label value (1-63 letters, digits, '-', '_', '.')", where, s->name);
	if (!!s->repo == !!s->dir)
		problem(c, o, "%s: exactly one of repo and dir is required%s", where, NULL);
}

int daemon_config_parse(const char *buf, size_t len, const char *name, struct daemon_config **out,
			struct kerr *e)
{
	struct ydoc_list *docs = calloc(1, sizeof(*docs));
	struct daemon_config *cfg = calloc(1, sizeof(*cfg));
	struct checker c = { .file = name };
	struct strmap *names = strmap_new();
	const cJSON *root, *list, *it;
	size_t i = 0;
	int rc;

	*out = NULL;
	if (!docs || !cfg || !names) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = yaml_decode_all(buf, len, name, docs, e)))
		goto out;
	if (docs->n != 1 || !cJSON_IsObject(docs->docs[0].root)) {
		rc = kerr_set(e, KAIRN_EINVAL, "%s: expected one YAML document with a \"sources\" list", name);
		goto out;
	}
	c.doc = &docs->docs[0];
	root = c.doc->root;
	cJSON_ArrayForEach(it, root)
		if (strcmp(it->string, "sources") != 0)
			problem(&c, it, "unknown top-level field \"%s\" (only \"sources\")%s", it->string, NULL);
	list = cJSON_GetObjectItemCaseSensitive(root, "sources");
	if (!cJSON_IsArray(list) || cJSON_GetArraySize(list) == 0) {
		problem(&c, list ? list : root, "sources: must be a non-empty list%s%s", "", NULL);
	} else {
		cfg->sources = calloc((size_t)cJSON_GetArraySize(list), sizeof(*cfg->sources));
		if (!cfg->sources) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		cJSON_ArrayForEach(it, list) {
			struct daemon_config_source *s = &cfg->sources[i];

			check_source(&c, it, i, s);
			if (s->name && strmap_get(names, s->name)) {
				const struct daemon_config_source *first = strmap_get(names, s->name);
				char l[16];

				snprintf(l, sizeof(l), "%d", first->line);
				problem(&c, it, "source name \"%s\" used twice (first at line %s)", s->name, l);
			} else if (s->name && strmap_put(names, s->name, s, NULL)) {
				rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
				goto out;
			}
			i++;
		}
		cfg->n = i;
	}
	if (c.n_errs) {
		rc = kerr_set(e, KAIRN_EINVAL, "%s", c.errs.data);
		goto out;
	}
	cfg->priv = docs;
	docs = NULL;
	*out = cfg;
	cfg = NULL;
	rc = 0;
out:
	kbuf_free(&c.errs);
	strmap_free(names);
	if (docs) {
		ydoc_list_free(docs);
		free(docs);
	}
	daemon_config_free(cfg);
	return rc;
}

int daemon_config_load(const char *path, struct daemon_config **out, struct kerr *e)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	if ((rc = fs_read_all(path, &buf, &len, e)))
		return rc;
	rc = daemon_config_parse(buf, len, path, out, e);
	free(buf);
	return rc;
}

void daemon_config_free(struct daemon_config *c)
{
	if (!c)
		return;
	if (c->priv) {
		ydoc_list_free(c->priv);
		free(c->priv);
	}
	free(c->sources);
	free(c);
}
