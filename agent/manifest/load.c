/*
 * load.c — walking a manifest directory and turning its files into a
 * kobj_set (rules in manifest.h).
 *
 * Owns: which files are manifests, their order, List expansion, duplicate
 * detection, and collecting every error before failing. Never returns a
 * partial set: one error anywhere and the caller gets none.
 */
#include "manifest.h"
#include "diag.h"
#include "ignore.h"
#include "kustomize.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/yamljson.h"

#include <errno.h>
#include <fts.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------ */
/* One file.                                                            */

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Adds obj (detached from its document, owned here) to set. */
static int add_object(cJSON *obj, const struct ydoc *doc, int doc_index, const char *name,
		      struct kobj_set *set, struct manifest_diag *diag)
{
	struct kobj *k = NULL;
	const struct kobj *prev = NULL;
	struct kerr e;
	int line = ydoc_line(doc, obj), rc;

	kerr_clear(&e);
	if (kobj_new(obj, name, line, &k, &e)) {
		diag_error(diag, "%s", e.msg);
		return e.code == KAIRN_ENOMEM ? KAIRN_ENOMEM : 1;
	}
	k->doc_index = doc_index;
	rc = kobj_set_add(set, k, &prev);
	if (rc == KAIRN_ECONFLICT) {
		diag_error(diag, "%s:%d: duplicate object %s/%s %s%s%s: also defined at %s:%d", name,
			   line, k->api_version, k->kind, k->namespace, *k->namespace ? "/" : "",
			   *k->name ? k->name : k->key, prev->file, prev->line);
		kobj_free(k);
		return 1;
	}
	if (rc) {
		kobj_free(k);
		return KAIRN_ENOMEM;
	}
	return 0;
}

/* kubectl expands "kind: List" (and any kind ending in List with items). */
static int is_list(const cJSON *obj)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(obj, "kind");

	return cJSON_IsString(kind) && ends_with(kind->valuestring, "List") &&
	       cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(obj, "items"));
}

static int load_document(struct ydoc *doc, int index, const char *name, struct kobj_set *set,
			 struct manifest_diag *diag)
{
	cJSON *items, *item;
	int errors = 0, rc;

	if (!doc->root || cJSON_IsNull(doc->root))
		return 0; /* empty document */
	if (!cJSON_IsObject(doc->root) || !is_list(doc->root)) {
		if (manifest_validate(doc->root, doc, name, diag))
			return 1;
		rc = add_object(doc->root, doc, index, name, set, diag);
		doc->root = NULL; /* the kobj (or the failure path) owns it now */
		return rc;
	}
	items = cJSON_GetObjectItemCaseSensitive(doc->root, "items");
	for (const cJSON *c = items->child; c; c = c->next)
		errors += manifest_validate(c, doc, name, diag);
	if (errors)
		return errors;
	while ((item = cJSON_DetachItemFromArray(items, 0)) != NULL) {
		rc = add_object(item, doc, index, name, set, diag);
		if (rc < 0)
			return rc;
		errors += rc;
	}
	return errors;
}

int manifest_load_buf(const char *name, const char *buf, size_t len, struct kobj_set *set,
		      struct manifest_diag *diag)
{
	struct ydoc_list docs;
	struct kerr e;
	int errors = 0;

	kerr_clear(&e);
	if (yaml_decode_all(buf, len, name, &docs, &e)) {
		diag_error(diag, "%s", e.msg);
		return e.code == KAIRN_ENOMEM ? KAIRN_ENOMEM : 1;
	}
	for (size_t i = 0; i < docs.nwarnings; i++) {
		diag_add(&diag->warnings, &diag->nwarnings, docs.warnings[i]);
		docs.warnings[i] = NULL;
	}
	for (size_t i = 0; i < docs.n; i++) {
		int rc = load_document(&docs.docs[i], (int)i, name, set, diag);

		if (rc < 0) {
			errors = rc;
			break;
		}
		errors += rc;
	}
	ydoc_list_free(&docs);
	return errors;
}

/* ------------------------------------------------------------------ */
/* The directory walk.                                                  */

struct path_list {
	char **p;
	size_t n;
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int is_kustomization(const char *base)
{
	return strcmp(base, "kustomization.yaml") == 0 || strcmp(base, "kustomization.yml") == 0 ||
	       strcmp(base, "Kustomization") == 0;
}

static const char *const kustomization_names[] = { "kustomization.yaml", "kustomization.yml",
						    "Kustomization" };

/* Whether dir holds a kustomization file; *name = which. */
static int kustomization_in(const char *dir, const char **name)
{
	char p[PATH_MAX];
	struct stat st;

	for (size_t i = 0; i < sizeof(kustomization_names) / sizeof(kustomization_names[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, kustomization_names[i]);
		if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) {
			*name = kustomization_names[i];
			return 1;
		}
	}
	return 0;
}

static int is_manifest_name(const char *base)
{
	return base[0] != '.' &&
	       (ends_with(base, ".yaml") || ends_with(base, ".yml") || ends_with(base, ".json"));
}

/* A symlink is followed only when it stays inside the root. */
static int symlink_inside(const char *path, const char *root_real)
{
	char real[PATH_MAX];
	size_t n = strlen(root_real);

	if (!realpath(path, real))
		return 0;
	return strncmp(real, root_real, n) == 0 && (real[n] == '/' || real[n] == '\0');
}

/* Path order as kubectl's filepath.Walk visits files: names sorted within
 * each directory, i.e. byte order with '/' below every other byte
 * ("a/x.yaml" before "a.yaml"). */
static int cmp_path(const void *pa, const void *pb)
{
	const unsigned char *a = *(const unsigned char *const *)pa;
	const unsigned char *b = *(const unsigned char *const *)pb;

	for (; *a && *a == *b; a++, b++)
		;
	if (*a == '/' || *b == '/')
		return *a == '/' ? (*b ? -1 : 1) : (*a ? 1 : -1);
	return (int)*a - (int)*b;
}

struct walk {
	const char *root_real;
	size_t root_len;                 /* strlen of the directory as given */
	const struct manifest_ignore *ig; /* its .kairnignore, or NULL */
};

/* The entry's path relative to the walk's root. */
static const char *rel_path(const struct walk *w, const FTSENT *ent)
{
	const char *p = ent->fts_path + w->root_len;

	while (*p == '/')
		p++;
	return p;
}

/* What one walk entry means: 1 = load it, 0 = ignore, and errors in diag. */
static int classify(FTSENT *ent, const struct walk *w, const struct manifest_opts *opts,
		    FTS *fts, struct manifest_diag *diag, const char **kname)
{
	const char *base = ent->fts_name, *root_real = w->root_real;
	struct stat st;

	switch (ent->fts_info) {
	case FTS_D:
		if (ent->fts_level > 0 && (base[0] == '.' || !opts->recursive ||
					   manifest_ignore_match(w->ig, rel_path(w, ent), 1))) {
			fts_set(fts, ent, FTS_SKIP);
			return 0;
		}
		/* a kustomization is one unit: rendered, never walked */
		if (kustomization_in(ent->fts_path, kname)) {
			fts_set(fts, ent, FTS_SKIP);
			return 2;
		}
		return 0;
	case FTS_DNR:
	case FTS_ERR:
	case FTS_NS:
		diag_error(diag, "%s: %s", ent->fts_path, strerror(ent->fts_errno));
		return 0;
	case FTS_SL:
	case FTS_SLNONE:
		if (!is_manifest_name(base))
			return 0;
		if (ent->fts_info == FTS_SLNONE || !symlink_inside(ent->fts_path, root_real)) {
			diag_error(diag, "%s: symbolic link to a file outside %s (or to nothing): refused",
				   ent->fts_path, root_real);
			return 0;
		}
		if (stat(ent->fts_path, &st) || !S_ISREG(st.st_mode))
			return 0; /* a link to a directory: not followed (no loops) */
		break;
	case FTS_F:
		break;
	default:
		return 0;
	}
	if (base[0] == '.')
		return 0;
	if (ent->fts_level > 0 && manifest_ignore_match(w->ig, rel_path(w, ent), 0))
		return 0;
	if (is_kustomization(base) && ent->fts_level > 0)
		return 0; /* its directory was rendered instead */
	return is_manifest_name(base) || ent->fts_level == 0;
}

static int collect_files(const char *dir, const struct manifest_opts *opts, struct path_list *out,
			 struct manifest_diag *diag, struct kerr *e)
{
	char *argv[2] = { (char *)dir, NULL };
	char root_real[PATH_MAX];
	struct manifest_ignore *ig = NULL;
	struct walk w = { root_real, strlen(dir), NULL };
	struct stat st;
	struct kbuf ign = { 0 };
	FTS *fts;
	FTSENT *ent;
	int rc = 0;

	if (!realpath(dir, root_real))
		return kerr_set(e, errno == ENOENT ? KAIRN_ENOTFOUND : KAIRN_EIO, "%s: %s", dir,
				strerror(errno));
	if (stat(root_real, &st) == 0 && S_ISDIR(st.st_mode)) {
		if (kbuf_printf(&ign, "%s/.kairnignore", dir))
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		rc = manifest_ignore_load(ign.data, &ig, e);
		kbuf_free(&ign);
		if (rc)
			return rc;
		w.ig = ig;
	}
	fts = fts_open(argv, FTS_PHYSICAL | FTS_NOCHDIR | FTS_COMFOLLOW, NULL);
	if (!fts) {
		manifest_ignore_free(ig);
		return kerr_set(e, KAIRN_EIO, "%s: %s", dir, strerror(errno));
	}
	errno = 0;
	while ((ent = fts_read(fts)) != NULL) {
		const char *kname = NULL;
		char *copy, **np;
		struct kbuf kp = { 0 };
		int what = classify(ent, &w, opts, fts, diag, &kname);

		if (!what)
			continue;
		/* a kustomization directory is listed as its kustomization file */
		copy = what == 2 ? (kbuf_printf(&kp, "%s/%s", ent->fts_path, kname) ? NULL : kbuf_steal(&kp))
				 : strdup(ent->fts_path);
		np = copy ? realloc(out->p, (out->n + 1) * sizeof(*np)) : NULL;
		if (!np) {
			free(copy);
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			break;
		}
		out->p = np;
		out->p[out->n++] = copy;
	}
	if (!rc && errno)
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", dir, strerror(errno));
	fts_close(fts);
	manifest_ignore_free(ig);
	if (out->n)
		qsort(out->p, out->n, sizeof(*out->p), cmp_path);
	return rc;
}

/* Puts as many errors as fit in e, then "... and N more". */
static int errors_to_kerr(const struct manifest_diag *d, const char *dir, struct kerr *e)
{
	struct kbuf b = { 0 };
	size_t shown = 0;

	kbuf_printf(&b, "%zu error%s in %s:", d->nerrors, d->nerrors == 1 ? "" : "s", dir);
	for (; shown < d->nerrors; shown++) {
		if (b.len + strlen(d->errors[shown]) + 64 >= KERR_MSG_MAX)
			break;
		kbuf_printf(&b, "\n  %s", d->errors[shown]);
	}
	if (shown < d->nerrors)
		kbuf_printf(&b, "\n  ... and %zu more", d->nerrors - shown);
	kerr_set(e, b.data ? KAIRN_EINVAL : KAIRN_ENOMEM, "%s", b.data ? b.data : "out of memory");
	kbuf_free(&b);
	return e ? e->code : KAIRN_EINVAL;
}

int manifest_load_dir(const char *dir, const struct manifest_opts *opts, struct kobj_set **out,
		      struct kerr *e)
{
	static const struct manifest_opts defaults = { 0 };
	struct manifest_diag local = { 0 }, *diag;
	struct path_list files = { 0 };
	struct kobj_set *set = NULL;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &defaults;
	diag = opts->diag ? opts->diag : &local;
	if (kobj_set_new(&set)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = collect_files(dir, opts, &files, diag, e)))
		goto out;
	for (size_t i = 0; i < files.n; i++) {
		char *buf = NULL;
		size_t len = 0;
		struct kerr fe;

		kerr_clear(&fe);
		if (is_kustomization(base_name(files.p[i]))) {
			const char *b = base_name(files.p[i]);
			char *kdir = b == files.p[i] ? strdup(".") : strndup(files.p[i], (size_t)(b - files.p[i] - 1));

			if (!kdir) {
				rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
				goto out;
			}
			rc = manifest_kustomize(kdir, &buf, &len, &fe);
			free(kdir);
			if (rc == KAIRN_ENOMEM) {
				rc = kerr_set(e, rc, "%s", fe.msg);
				goto out;
			}
			if (rc) {
				diag_error(diag, "%s", fe.msg);
				continue;
			}
		} else if (fs_read_all(files.p[i], &buf, &len, &fe)) {
			diag_error(diag, "%s", fe.msg);
			continue;
		}
		if (opts->display_dir) {
			/* files.p[i] is dir + "/" + relative (or dir itself) */
			const char *rel = files.p[i] + strlen(dir);
			struct kbuf shown = { 0 };

			while (*rel == '/')
				rel++;
			if (!*rel)
				rel = base_name(files.p[i]);
			if (*opts->display_dir ? kbuf_printf(&shown, "%s/%s", opts->display_dir, rel)
					       : kbuf_puts(&shown, rel)) {
				free(buf);
				rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
				goto out;
			}
			rc = manifest_load_buf(shown.data, buf, len, set, diag);
			kbuf_free(&shown);
		} else {
			rc = manifest_load_buf(files.p[i], buf, len, set, diag);
		}
		free(buf);
		if (rc < 0) {
			rc = kerr_set(e, rc, "%s: out of memory", files.p[i]);
			goto out;
		}
	}
	rc = 0;
	if (diag->lost) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory while recording errors");
		goto out;
	}
	if (!opts->diag)
		for (size_t i = 0; i < diag->nwarnings; i++)
			log_warn("%s", diag->warnings[i]);
	if (diag->nerrors) {
		rc = errors_to_kerr(diag, dir, e);
		goto out;
	}
	*out = set;
	set = NULL;
out:
	kobj_set_free(set);
	for (size_t i = 0; i < files.n; i++)
		free(files.p[i]);
	free(files.p);
	manifest_diag_free(&local);
	return rc;
}
