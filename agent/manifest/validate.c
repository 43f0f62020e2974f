/*
 * validate.c — client-side checks of one manifest object (see manifest.h).
 *
 * Only what is certain to fail later: the fields kubectl's decoder
 * type-checks (metadata) and the name syntax the API server enforces. Never
 * checks spec fields: that is the server's schema, which we do not have.
 * Every error names file:line and the field path.
 */
#include "manifest.h"
#include "diag.h"
#include "util/yamljson.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *type_name(const cJSON *n)
{
	if (cJSON_IsString(n))
		return "a string";
	if (cJSON_IsNumber(n) || cJSON_IsRaw(n))
		return "a number";
	if (cJSON_IsBool(n))
		return "a boolean";
	if (cJSON_IsNull(n))
		return "null";
	if (cJSON_IsArray(n))
		return "a list";
	return "a mapping";
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? of any length. */
static int label_chars(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) || s[i] == '-'))
			return 0;
	return 1;
}

/* One RFC 1123 label: at most 63 chars. */
static int dns_label_n(const char *s, size_t n)
{
	return n <= 63 && label_chars(s, n);
}

static int dns_label(const char *s)
{
	return dns_label_n(s, strlen(s));
}

/* RFC 1123 subdomain: labels joined by '.', at most 253 chars. */
static int dns_subdomain_n(const char *s, size_t n)
{
	size_t start = 0;

	if (n == 0 || n > 253)
		return 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (!label_chars(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static int dns_subdomain(const char *s)
{
	return dns_subdomain_n(s, strlen(s));
}

/* Names of RBAC and custom objects: anything a URL path segment can carry. */
static int path_segment(const char *s)
{
	return *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strpbrk(s, "/%");
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9], up to 63 chars; empty if allow_empty. */
static int qualified_part(const char *s, size_t n, int allow_empty)
{
	if (n == 0)
		return allow_empty;
	if (n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return 0;
	return 1;
}

/* Label and annotation keys: [prefix/]name, prefix a DNS subdomain. */
static int qualified_name(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!slash)
		return qualified_part(s, strlen(s), 0);
	if (strchr(slash + 1, '/'))
		return 0;
	return dns_subdomain_n(s, (size_t)(slash - s)) && qualified_part(slash + 1, strlen(slash + 1), 0);
}

/* Groups whose kinds the API server validates as DNS subdomains (or labels). */
static int builtin_group(const char *group)
{
	static const char *const groups[] = {
		"", "apps", "batch", "autoscaling", "policy", "networking.k8s.io", "storage.k8s.io",
		"apiextensions.k8s.io", "scheduling.k8s.io", "coordination.k8s.io", "node.k8s.io",
		"discovery.k8s.io", "admissionregistration.k8s.io", "apiregistration.k8s.io",
		"certificates.k8s.io", "events.k8s.io", "flowcontrol.apiserver.k8s.io",
		"resource.k8s.io", "storagemigration.k8s.io", NULL };

	for (const char *const *g = groups; *g; g++)
		if (strcmp(*g, group) == 0)
			return 1;
	return 0;
}

enum name_rule { NAME_LABEL, NAME_SUBDOMAIN, NAME_SEGMENT };

static enum name_rule name_rule_for(const char *api_version, const char *kind)
{
	const char *slash = strchr(api_version, '/');
	size_t glen = slash ? (size_t)(slash - api_version) : 0;
	char group[256];

	if (glen >= sizeof(group))
		return NAME_SEGMENT;
	memcpy(group, api_version, glen);
	group[glen] = '\0';
	if (!*group && (strcmp(kind, "Namespace") == 0 || strcmp(kind, "Service") == 0))
		return NAME_LABEL;
	if (strcmp(group, "rbac.authorization.k8s.io") == 0 || !builtin_group(group))
		return NAME_SEGMENT;
	return NAME_SUBDOMAIN;
}

static int check_name(const char *name, enum name_rule rule)
{
	switch (rule) {
	case NAME_LABEL: return dns_label(name);
	case NAME_SUBDOMAIN: return dns_subdomain(name);
	case NAME_SEGMENT: return path_segment(name);
	}
	return 0;
}

static const char *rule_text(enum name_rule rule)
{
	switch (rule) {
	case NAME_LABEL:
		return "must be a DNS-1123 label: at most 63 lowercase letters, digits or '-', "
		       "starting and ending with a letter or digit";
	case NAME_SUBDOMAIN:
		return "must be a DNS-1123 subdomain: at most 253 lowercase letters, digits, '-' or '.', "
		       "starting and ending with a letter or digit";
	case NAME_SEGMENT: return "must not be empty, \".\" or \"..\", or contain '/' or '%'";
	}
	return "";
}

struct vctx {
	const struct ydoc *doc;
	const char *file;
	struct manifest_diag *diag;
	int errors;
};

static void verr(struct vctx *v, const cJSON *at, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void verr(struct vctx *v, const cJSON *at, const char *field, const char *fmt, ...)
{
	char msg[1024];
	int line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ydoc_pos(v->doc, at, &line, &col);
	diag_error(v->diag, "%s:%d:%d: %s: %s", v->file, line, col, field, msg);
	v->errors++;
}

/* A string field, if present. Returns it, or NULL (absent or wrong type:
 * the latter reported). */
static const char *opt_string(struct vctx *v, const cJSON *parent, const char *key, const char *field)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (!n)
		return NULL;
	if (!cJSON_IsString(n)) {
		verr(v, n, field, "expected a string, got %s%s", type_name(n),
		     cJSON_IsArray(n) || cJSON_IsObject(n) ? "" : " (quote the value)");
		return NULL;
	}
	return n->valuestring;
}

static void check_string_map(struct vctx *v, const cJSON *meta, const char *key, int labels)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(meta, key);
	char field[512];

	if (!m)
		return;
	snprintf(field, sizeof(field), "metadata.%s", key);
	if (!cJSON_IsObject(m)) {
		verr(v, m, field, "expected a mapping, got %s", type_name(m));
		return;
	}
	for (const cJSON *c = m->child; c; c = c->next) {
		snprintf(field, sizeof(field), "metadata.%s.%s", key, c->string);
		if (!qualified_name(c->string))
			verr(v, c, field, "invalid key: a name of at most 63 letters, digits, '-', '_' or '.' "
				 "(starting and ending with a letter or digit), optionally after a DNS "
				 "subdomain prefix and '/'");
		if (!cJSON_IsString(c))
			verr(v, c, field, "expected a string, got %s%s", type_name(c),
			     cJSON_IsArray(c) || cJSON_IsObject(c) ? "" : " (quote the value)");
		else if (labels && !qualified_part(c->valuestring, strlen(c->valuestring), 1))
			verr(v, c, field, "invalid label value \"%s\": at most 63 letters, digits, '-', "
				 "'_' or '.', starting and ending with a letter or digit", c->valuestring);
	}
}

static void check_metadata(struct vctx *v, const cJSON *obj, const char *api_version, const char *kind)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *fin;
	const char *name, *gen, *ns;
	enum name_rule rule = name_rule_for(api_version ? api_version : "", kind ? kind : "");

	if (!meta) {
		verr(v, obj, "metadata.name", "required");
		return;
	}
	if (!cJSON_IsObject(meta)) {
		verr(v, meta, "metadata", "expected a mapping, got %s", type_name(meta));
		return;
	}
	name = opt_string(v, meta, "name", "metadata.name");
	gen = opt_string(v, meta, "generateName", "metadata.generateName");
	ns = opt_string(v, meta, "namespace", "metadata.namespace");
	opt_string(v, meta, "uid", "metadata.uid");
	opt_string(v, meta, "resourceVersion", "metadata.resourceVersion");
	if (name && *name) {
		if (!check_name(name, rule))
			verr(v, cJSON_GetObjectItemCaseSensitive(meta, "name"), "metadata.name",
			     "\"%s\" is not a valid %s name: %s", name, kind ? kind : "", rule_text(rule));
	} else if (!gen && !cJSON_GetObjectItemCaseSensitive(meta, "name")) {
		verr(v, meta, "metadata.name", "required (or metadata.generateName)");
	} else if (!gen && name) {
		verr(v, cJSON_GetObjectItemCaseSensitive(meta, "name"), "metadata.name", "must not be empty");
	}
	if (gen && !(name && *name)) {
		char probe[512];

		snprintf(probe, sizeof(probe), "%sx", gen);
		if (!check_name(probe, rule))
			verr(v, cJSON_GetObjectItemCaseSensitive(meta, "generateName"),
			     "metadata.generateName", "\"%s\" cannot start a valid name: %s", gen,
			     rule_text(rule));
	}
	if (ns && !dns_label(ns))
		verr(v, cJSON_GetObjectItemCaseSensitive(meta, "namespace"), "metadata.namespace",
		     "\"%s\" %s", ns, rule_text(NAME_LABEL));
	check_string_map(v, meta, "labels", 1);
	check_string_map(v, meta, "annotations", 0);
	fin = cJSON_GetObjectItemCaseSensitive(meta, "finalizers");
	if (fin && !cJSON_IsArray(fin))
		verr(v, fin, "metadata.finalizers", "expected a list, got %s", type_name(fin));
	else if (fin)
		for (const cJSON *c = fin->child; c; c = c->next)
			if (!cJSON_IsString(c))
				verr(v, c, "metadata.finalizers", "expected strings, got %s", type_name(c));
}

static int api_version_ok(const char *s)
{
	const char *slash = strchr(s, '/');

	if (!*s || isspace((unsigned char)s[0]))
		return 0;
	if (!slash)
		return 1;
	return slash != s && slash[1] && !strchr(slash + 1, '/') && dns_subdomain_n(s, (size_t)(slash - s));
}

int manifest_validate(const cJSON *obj, const struct ydoc *doc, const char *file,
		      struct manifest_diag *diag)
{
	struct vctx v = { doc, file, diag, 0 };
	const char *av, *kind;

	if (!cJSON_IsObject(obj)) {
		verr(&v, obj, "(document)", "a manifest must be a mapping, got %s", type_name(obj));
		return v.errors;
	}
	av = opt_string(&v, obj, "apiVersion", "apiVersion");
	kind = opt_string(&v, obj, "kind", "kind");
	if (!cJSON_GetObjectItemCaseSensitive(obj, "apiVersion"))
		verr(&v, obj, "apiVersion", "required");
	else if (av && !api_version_ok(av))
		verr(&v, cJSON_GetObjectItemCaseSensitive(obj, "apiVersion"), "apiVersion",
		     "\"%s\" is not \"version\" or \"group/version\"", av);
	if (!cJSON_GetObjectItemCaseSensitive(obj, "kind"))
		verr(&v, obj, "kind", "required");
	else if (kind && !*kind)
		verr(&v, cJSON_GetObjectItemCaseSensitive(obj, "kind"), "kind", "must not be empty");
	check_metadata(&v, obj, av, kind);
	return v.errors;
}
