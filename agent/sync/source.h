/*
 * source.h — where a sync's desired objects come from: a Git repository
 * (fetched and checked out by agent/git) or a local directory, loaded and
 * validated by agent/manifest. Shared by `kairn sync`, `kairn diff` and
 * `kairn run` so that all three see exactly the same objects.
 *
 * All or nothing: sync_source_load either returns every object of the
 * revision, valid, or an error listing every problem (file:line: field) —
 * never a partial set, so a broken commit can never cause a partial apply
 * or a prune.
 */
#ifndef KAIRN_SYNC_SOURCE_H
#define KAIRN_SYNC_SOURCE_H

#include <stddef.h>

#include "git/gitsrc.h"
#include "sync/sync.h"

struct sync_source_opts {
	const char *name;     /* source name (label value, inventory) */
	struct git_source_opts git; /* git.url set: fetch from Git */
	const char *dir;      /* else: a local directory */
	int recurse;          /* descend into subdirectories */
};

struct sync_source; /* opaque; keeps the Git cache open across loads */

struct sync_desired {
	struct sync_input *items;
	size_t n;
	char commit[41];      /* "" for a local directory */
	char *summary;        /* commit summary or NULL */
	char *author;         /* commit author "Name <email>" or NULL */
	char *root;           /* the directory loaded */
	char **warnings;      /* loader warnings (duplicate keys, ...) */
	size_t n_warnings;
	void *priv;           /* the loader's data the items point into */
};

int sync_source_open(const struct sync_source_opts *o, struct sync_source **out, struct kerr *e);
/* Fetches (Git) and loads. */
int sync_source_load(struct sync_source *s, struct sync_desired **out, struct kerr *e);
void sync_desired_free(struct sync_desired *d);
void sync_source_free(struct sync_source *s);

#endif
