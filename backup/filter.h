/*
 * filter.h — what a backup takes (backup-format.md §8), as pure decisions:
 * namespace and resource include/exclude lists (globs allowed; excludes win;
 * an empty include list means everything), Velero's rule for cluster-scoped
 * resources (includeClusterResources unset: only when every namespace is
 * included), and the default exclusions. (Which discovered types qualify at
 * all — verbs list, create, get and delete — is collect.c's check.)
 */
#ifndef KAIRN_BACKUP_FILTER_H
#define KAIRN_BACKUP_FILTER_H

#include <cjson/cJSON.h>

struct backup_filter {
	const char *const *include_namespaces; /* NULL-terminated; NULL or empty = all */
	const char *const *exclude_namespaces;
	const char *const *include_resources;  /* "deployments", "deployments.apps", "Deployment", "*" */
	const char *const *exclude_resources;
	int include_cluster_resources;         /* -1 unset, 0 no, 1 yes */
};

/* 1 if objects in namespace ns are taken. */
int backup_filter_namespace(const struct backup_filter *f, const char *ns);

/* 1 if every namespace is included (no include list other than "*", no excludes). */
int backup_filter_all_namespaces(const struct backup_filter *f);

/* 1 if the resource type is taken. group "" = core. */
int backup_filter_resource(const struct backup_filter *f, const char *group, const char *resource,
			   const char *kind, int namespaced);

#endif
