/*
 * filter.c — see filter.h.
 */
#include "filter.h"

#include <fnmatch.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Types a backup never takes unless explicitly included (§8). */
static const char *const default_excluded[] = {
	"volumesnapshots.snapshot.storage.k8s.io",
	"volumesnapshotcontents.snapshot.storage.k8s.io",
};

static int list_empty(const char *const *l)
{
	return !l || !l[0];
}

static int glob_any(const char *const *l, const char *s)
{
	for (; l && *l; l++)
		if (fnmatch(*l, s, 0) == 0)
			return 1;
	return 0;
}

int backup_filter_all_namespaces(const struct backup_filter *f)
{
	if (!list_empty(f->exclude_namespaces))
		return 0;
	if (list_empty(f->include_namespaces))
		return 1;
	for (const char *const *p = f->include_namespaces; *p; p++)
		if (strcmp(*p, "*") == 0)
			return 1;
	return 0;
}

int backup_filter_namespace(const struct backup_filter *f, const char *ns)
{
	if (glob_any(f->exclude_namespaces, ns))
		return 0;
	return list_empty(f->include_namespaces) || glob_any(f->include_namespaces, ns);
}

/* Does a user's resource word name this type? Matches "resource",
 * "resource.group" and the Kind (case-insensitive), or a glob of them. */
static int names_type(const char *word, const char *group, const char *resource, const char *kind)
{
	char gr[512];

	snprintf(gr, sizeof(gr), "%s%s%s", resource, *group ? "." : "", group);
	return fnmatch(word, resource, 0) == 0 || fnmatch(word, gr, 0) == 0 ||
	       (kind && strcasecmp(word, kind) == 0);
}

static int any_names(const char *const *l, const char *group, const char *resource, const char *kind)
{
	for (; l && *l; l++)
		if (names_type(*l, group, resource, kind))
			return 1;
	return 0;
}

int backup_filter_resource(const struct backup_filter *f, const char *group, const char *resource,
			   const char *kind, int namespaced)
{
	char gr[512];
	int explicit_include = !list_empty(f->include_resources) &&
			       any_names(f->include_resources, group, resource, kind) &&
			       !(f->include_resources[0] && strcmp(f->include_resources[0], "*") == 0 &&
				 !f->include_resources[1]);

	if (any_names(f->exclude_resources, group, resource, kind))
		return 0;
	if (!list_empty(f->include_resources) && !any_names(f->include_resources, group, resource, kind))
		return 0;
	snprintf(gr, sizeof(gr), "%s%s%s", resource, *group ? "." : "", group);
	for (size_t i = 0; i < sizeof(default_excluded) / sizeof(default_excluded[0]); i++)
		if (strcmp(gr, default_excluded[i]) == 0 && !explicit_include)
			return 0;
	if (namespaced || (strcmp(resource, "namespaces") == 0 && !*group))
		return 1;
	if (f->include_cluster_resources == 0)
		return 0;
	if (f->include_cluster_resources == 1)
		return 1;
	return backup_filter_all_namespaces(f);
}
