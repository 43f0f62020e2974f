/*
 * source.c — desired objects from Git or a directory (see source.h).
 *
 * Paths in messages are the repository's (or the directory's), never the
 * cache's: "platform/deployment-api.yaml:12", not a checkout under ~/.cache.
 */
#include "source.h"
#include "manifest/manifest.h"
#include "util/buf.h"
#include "util/kobj.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

struct sync_source {
	struct sync_source_opts o;
	struct git_source *git;
};

struct loaded {
	struct kobj_set *set;
	char **files; /* display names, one per item; one file's items share one */
};

int sync_source_open(const struct sync_source_opts *o, struct sync_source **out, struct kerr *e)
{
	struct sync_source *s;
	int rc;

	*out = NULL;
	if (!o->git.url && !o->dir)
		return kerr_set(e, KAIRN_EINVAL, "a source needs --repo URL or --dir DIR");
	if (o->git.url && o->dir)
		return kerr_set(e, KAIRN_EINVAL, "--repo and --dir cannot be used together");
	s = calloc(1, sizeof(*s));
	if (!s)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	s->o = *o;
	if (o->git.url && (rc = git_source_open(&s->git, &o->git, e))) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

/* "root/x/y.yaml" -> "prefix/x/y.yaml" (prefix may be empty). */
static char *display_path(const char *file, const char *root, const char *prefix)
{
	struct kbuf b = { 0 };
	size_t n = strlen(root);

	if (strncmp(file, root, n) == 0 && file[n] == '/')
		file += n + 1;
	if (prefix && *prefix && kbuf_printf(&b, "%s/", prefix))
		return NULL;
	if (kbuf_puts(&b, file))
		return NULL;
	return kbuf_steal(&b);
}

/* Rewrites every "root/" in msg to "prefix/" (or nothing). */
static void rewrite_paths(struct kerr *e, const char *root, const char *prefix)
{
	struct kbuf b = { 0 };
	size_t n = strlen(root);
	const char *p = e->msg, *hit;

	while ((hit = strstr(p, root)) != NULL) {
		kbuf_append(&b, p, (size_t)(hit - p));
		p = hit + n;
		if (*p == '/') {
			p++;
			if (prefix && *prefix)
				kbuf_printf(&b, "%s/", prefix);
		}
	}
	kbuf_puts(&b, p);
	if (b.data)
		snprintf(e->msg, sizeof(e->msg), "%s", b.data);
	kbuf_free(&b);
}

int sync_source_load(struct sync_source *s, struct sync_desired **out, struct kerr *e)
{
	struct manifest_diag diag = { 0 };
	/* compact: objects are kept as text as they load, and handed to the
	 * plan as text (struct sync_input), so a large set is never all trees */
	struct manifest_opts mo = { .recursive = s->o.recurse, .diag = &diag, .compact = 1 };
	struct git_revision rev;
	struct sync_desired *d = NULL;
	struct loaded *l = NULL;
	const char *root, *prefix = NULL;
	int rc;

	*out = NULL;
	memset(&rev, 0, sizeof(rev));
	d = calloc(1, sizeof(*d));
	l = calloc(1, sizeof(*l));
	if (!d || !l) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto fail;
	}
	d->priv = l;
	if (s->git) {
		if ((rc = git_source_sync(s->git, &rev, e)))
			goto fail;
		root = rev.worktree_path;
		prefix = s->o.git.path;
		memcpy(d->commit, rev.sha, sizeof(d->commit));
		d->summary = rev.summary ? strdup(rev.summary) : NULL;
		d->author = rev.author ? strdup(rev.author) : NULL;
	} else {
		root = s->o.dir;
	}
	d->root = strdup(root);
	if (!d->root) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto fail;
	}
	rc = manifest_load_dir(root, &mo, &l->set, e);
	if (rc) {
		rewrite_paths(e, root, prefix);
		goto fail;
	}
	d->n = kobj_set_count(l->set);
	d->items = calloc(d->n + 1, sizeof(*d->items));
	l->files = calloc(d->n + 1, sizeof(char *));
	if (!d->items || !l->files) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct kobj *k = kobj_set_at(l->set, i);

		/* objects of one file share its name (10,000 objects, ~100 files) */
		if (i > 0 && strcmp(k->file, kobj_set_at(l->set, i - 1)->file) == 0)
			l->files[i] = l->files[i - 1];
		else
			l->files[i] = display_path(k->file, root, prefix);
		if (!l->files[i]) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto fail;
		}
		/* The items own the object from here (the plan empties it; the
		 * rest is freed with the items), so the set can go at once. */
		d->items[i].obj = k->obj;
		d->items[i].json = k->json;
		kobj_set_at(l->set, i)->obj = NULL;
		kobj_set_at(l->set, i)->json = NULL;
		d->items[i].file = l->files[i];
		d->items[i].line = k->line;
	}
	kobj_set_free(l->set); /* ~400 bytes of metadata per object nobody reads now */
	l->set = NULL;
	d->warnings = diag.warnings;
	d->n_warnings = diag.nwarnings;
	diag.warnings = NULL;
	diag.nwarnings = 0;
	manifest_diag_free(&diag);
	git_revision_free(&rev);
	*out = d;
	return 0;
fail:
	manifest_diag_free(&diag);
	git_revision_free(&rev);
	sync_desired_free(d);
	return rc;
}

void sync_desired_free(struct sync_desired *d)
{
	struct loaded *l;

	if (!d)
		return;
	l = d->priv;
	if (l) {
		for (size_t i = 0; l->files && i < d->n; i++)
			if (i == 0 || l->files[i] != l->files[i - 1])
				free(l->files[i]);
		free(l->files);
		kobj_set_free(l->set);
		free(l);
	}
	for (size_t i = 0; i < d->n_warnings; i++)
		free(d->warnings[i]);
	free(d->warnings);
	for (size_t i = 0; d->items && i < d->n; i++) {
		cJSON_Delete(d->items[i].obj); /* what a plan left of it, or all of it */
		free(d->items[i].json);        /* not taken by a plan */
	}
	free(d->items);
	free(d->summary);
	free(d->author);
	free(d->root);
	free(d);
}

void sync_source_free(struct sync_source *s)
{
	if (!s)
		return;
	git_source_free(s->git);
	free(s);
}
