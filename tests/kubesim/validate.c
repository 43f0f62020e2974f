/*
 * validate.c — the checks kubesim makes on objects clients send: names
 * (DNS-1123 subdomain or label, per resource), unknown fields for strict or
 * warning field validation (top level, metadata and the spec fields each
 * built-in kind knows), and a few required fields that answer 422.
 * Pragmatic: what kubectl workflows and kairn tests exercise, not the full
 * apiserver validation.
 */
#include <string.h>
#include "ks.h"
#include "util/jsonx.h"

static const char *const METADATA_FIELDS[] = {
	"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations",
	"ownerReferences", "finalizers", "managedFields", NULL
};

static int is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int dns_label_ok(const char *s, size_t n)
{
	if (n == 0 || n > 63 || !is_alnum_lower(s[0]) || !is_alnum_lower(s[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_alnum_lower(s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int dns_subdomain_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 253)
		return 0;
	const char *p = s;
	while (1) {
		const char *dot = strchr(p, '.');
		size_t len = dot ? (size_t)(dot - p) : strlen(p);
		if (!dns_label_ok(p, len))
			return 0;
		if (!dot)
			return 1;
		p = dot + 1;
	}
}

static int uses_label_names(const struct ks_res *res)
{
	return !*res->group && (!strcmp(res->resource, "namespaces") || !strcmp(res->resource, "services"));
}

const char *ks_name_invalid(const struct ks_res *res, const char *name)
{
	if (!strcmp(res->resource, "roles") || !strcmp(res->resource, "clusterroles") ||
	    !strcmp(res->resource, "rolebindings") || !strcmp(res->resource, "clusterrolebindings")) {
		/* RBAC names are path segments: anything but '/', '%', "." and ".." */
		if (!*name || strchr(name, '/') || strchr(name, '%') || !strcmp(name, ".") || !strcmp(name, ".."))
			return "may not contain '/' or '%'";
		return NULL;
	}
	if (uses_label_names(res)) {
		if (dns_label_ok(name, strlen(name)))
			return NULL;
		return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
		       "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
		       "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
	}
	if (dns_subdomain_ok(name))
		return NULL;
	return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
	       "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
	       "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
}

static int listed(const char *const *set, const char *k)
{
	for (; *set; set++)
		if (!strcmp(*set, k))
			return 1;
	return 0;
}

static int check_members(const cJSON *obj, const char *const *known, const char *prefix, struct kbuf *out)
{
	int n = 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, obj) {
		if (listed(known, it->string))
			continue;
		kbuf_printf(out, "%sunknown field \"%s%s\"", out->len ? ", " : "", prefix, it->string);
		n++;
	}
	return n;
}

int ks_unknown_fields(const struct ks_res *res, const cJSON *obj, struct kbuf *out)
{
	static const char *const common[] = { "apiVersion", "kind", "metadata", NULL };
	int n = 0;
	if (!res->fields)
		return 0;
	const cJSON *it;
	cJSON_ArrayForEach(it, obj) {
		if (listed(common, it->string) || listed(res->fields, it->string))
			continue;
		kbuf_printf(out, "%sunknown field \"%s\"", out->len ? ", " : "", it->string);
		n++;
	}
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (cJSON_IsObject(md))
		n += check_members(md, METADATA_FIELDS, "metadata.", out);
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(obj, "spec");
	if (res->spec_fields && cJSON_IsObject(spec))
		n += check_members(spec, res->spec_fields, "spec.", out);
	return n;
}

int ks_required_missing(const struct ks_res *res, const cJSON *obj, const char **field)
{
	int workload = !strcmp(res->group, "apps") &&
		       (!strcmp(res->resource, "deployments") || !strcmp(res->resource, "statefulsets") ||
			!strcmp(res->resource, "replicasets") || !strcmp(res->resource, "daemonsets"));
	if (workload && !cJSON_IsObject(jsonx_get(obj, "spec.selector"))) {
		*field = "spec.selector";
		return 1;
	}
	if ((workload || (!strcmp(res->group, "batch") && !strcmp(res->resource, "jobs"))) &&
	    !cJSON_IsArray(jsonx_get(obj, "spec.template.spec.containers"))) {
		*field = "spec.template.spec.containers";
		return 1;
	}
	if (!strcmp(res->group, "apiextensions.k8s.io") && (!jsonx_str(obj, "spec.group") ||
							    !jsonx_str(obj, "spec.names.plural") ||
							    !jsonx_str(obj, "spec.names.kind") ||
							    !cJSON_IsArray(jsonx_get(obj, "spec.versions")))) {
		*field = "spec";
		return 1;
	}
	return 0;
}
