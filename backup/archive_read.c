/*
 * archive_read.c — reads and verifies a Velero tarball into an index (see
 * archive.h). zlib does the gunzip (so the CRC, the length and the stream end
 * are checked), libarchive parses the tar. Item bytes go to an anonymous temp
 * file; memory holds the index only.
 * Never: extracts anything to the file system, follows links, or returns an
 * index of an archive that failed any check.
 */
#include "backup/archive.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/vec.h"

#define IN_CHUNK 65536
#define OUT_CHUNK 65536

struct backup_reader {
	FILE *spool; /* item bytes, back to back */
	char *version;
	struct backup_index_item *items;
	size_t n_items;
	size_t skipped;
};

/* ---- gunzip source for libarchive ---- */

struct gunzip_src {
	FILE *fp;
	const char *path;
	z_stream zs;
	int zinit;
	int ended;          /* saw Z_STREAM_END of the last member and EOF */
	uint64_t total, max_total;
	unsigned char in[IN_CHUNK];
	unsigned char out[OUT_CHUNK];
};

static la_ssize_t gunzip_read(struct archive *a, void *ud, const void **buf)
{
	struct gunzip_src *g = ud;

	*buf = g->out;
	if (g->ended)
		return 0;
	g->zs.next_out = g->out;
	g->zs.avail_out = OUT_CHUNK;
	while (g->zs.avail_out == OUT_CHUNK) {
		int zrc;

		if (g->zs.avail_in == 0) {
			size_t n = fread(g->in, 1, IN_CHUNK, g->fp);

			if (n == 0) {
				if (ferror(g->fp)) {
					archive_set_error(a, EIO, "reading %s: %s", g->path, strerror(errno));
					return -1;
				}
				archive_set_error(a, EIO, "truncated gzip stream (no end of stream)");
				return -1;
			}
			g->zs.next_in = g->in;
			g->zs.avail_in = (uInt)n;
		}
		zrc = inflate(&g->zs, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END) {
			int c;

			/* Another gzip member may follow (Go's reader reads those too). */
			if (g->zs.avail_in == 0 && (c = fgetc(g->fp)) != EOF)
				ungetc(c, g->fp);
			else if (g->zs.avail_in == 0) {
				g->ended = 1;
				break;
			}
			inflateReset(&g->zs);
			continue;
		}
		if (zrc != Z_OK && zrc != Z_BUF_ERROR) {
			archive_set_error(a, EIO, "corrupt gzip stream: %s",
					  g->zs.msg ? g->zs.msg : "inflate error");
			return -1;
		}
	}
	g->total += OUT_CHUNK - g->zs.avail_out;
	if (g->total > g->max_total) {
		archive_set_error(a, EFBIG, "uncompressed size exceeds the limit of %llu bytes",
				  (unsigned long long)g->max_total);
		return -1;
	}
	return (la_ssize_t)(OUT_CHUNK - g->zs.avail_out);
}

/* ---- path rules ---- */

/* Splits a safe relative path into components (modifies s). Rejects absolute
 * paths, empty, "." and ".." components and backslashes. */
static int split_path(char *s, char **parts, int max, int *n, struct kerr *e)
{
	char *p = s, *slash;
	int k = 0;

	if (*s == '/')
		return kerr_set(e, KAIRN_EINVAL, "absolute path not allowed");
	if (strchr(s, '\\'))
		return kerr_set(e, KAIRN_EINVAL, "backslash in path not allowed");
	for (;;) {
		slash = strchr(p, '/');
		if (slash)
			*slash = '\0';
		if (!strcmp(p, ".."))
			return kerr_set(e, KAIRN_EINVAL, "path escapes the archive ('..')");
		if (!*p && slash)
			return kerr_set(e, KAIRN_EINVAL, "empty path component");
		if (!strcmp(p, "."))
			return kerr_set(e, KAIRN_EINVAL, "'.' path component not allowed");
		if (*p) {
			if (k < max)
				parts[k] = p;
			k++;
		}
		if (!slash)
			break;
		p = slash + 1;
	}
	*n = k;
	return 0;
}

/* ---- index building ---- */

struct raw_copy {
	char *gr, *ns, *name, *vdir, *api_version, *kind;
	int preferred; /* 0 legacy, 1 preferred */
	size_t seq;
	uint64_t off, len;
};

struct read_state {
	struct backup_reader *r;
	const struct backup_read_limits *lim;
	struct raw_copy *copies;
	size_t n, cap;
	uint64_t spool_off;
	int have_version;
};

static void raw_copy_clear(struct raw_copy *c)
{
	free(c->gr);
	free(c->ns);
	free(c->name);
	free(c->vdir);
	free(c->api_version);
	free(c->kind);
}

/* Checks that the object matches where it was found. */
static int check_item(const cJSON *obj, const char *gr, const char *ns, const char *name,
		      const char *vdir, struct kerr *e)
{
	const char *apiv = jsonx_str(obj, "apiVersion"), *kind = jsonx_str(obj, "kind");
	const char *mname = jsonx_str(obj, "metadata.name"), *mns = jsonx_str(obj, "metadata.namespace");
	const char *dot = strchr(gr, '.'), *slash;

	if (!cJSON_IsObject(obj))
		return kerr_set(e, KAIRN_EPARSE, "item is not a JSON object");
	if (!apiv || !*apiv || !kind || !*kind)
		return kerr_set(e, KAIRN_EPARSE, "item has no apiVersion or kind");
	if (!mname || strcmp(mname, name))
		return kerr_set(e, KAIRN_EINVAL, "metadata.name %s does not match the file name %s.json",
				mname ? mname : "(none)", name);
	if (ns && (!mns || strcmp(mns, ns)))
		return kerr_set(e, KAIRN_EINVAL, "metadata.namespace %s does not match the directory %s",
				mns ? mns : "(none)", ns);
	if (!ns && mns && *mns)
		return kerr_set(e, KAIRN_EINVAL, "namespaced object (namespace %s) under cluster/", mns);
	slash = strrchr(apiv, '/');
	/* The group of apiVersion must be the group of the directory. */
	if (dot ? (!slash || (size_t)(slash - apiv) != strlen(dot + 1) ||
		   strncmp(apiv, dot + 1, (size_t)(slash - apiv)))
		: slash != NULL)
		return kerr_set(e, KAIRN_EINVAL, "apiVersion %s is not in the group of %s", apiv, gr);
	if (vdir) {
		size_t vlen = strcspn(vdir, "-");
		const char *v = slash ? slash + 1 : apiv;

		if (strlen(v) != vlen || strncmp(v, vdir, vlen))
			return kerr_set(e, KAIRN_EINVAL, "apiVersion %s does not match the directory %s",
					apiv, vdir);
	}
	return 0;
}

static int read_body(struct archive *a, size_t size, char **out, struct kerr *e)
{
	char *buf = malloc(size + 1);
	size_t got = 0;

	if (!buf)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	while (got < size) {
		la_ssize_t n = archive_read_data(a, buf + got, size - got);

		if (n < 0) {
			free(buf);
			return kerr_set(e, KAIRN_EIO, "%s", archive_error_string(a));
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	if (got != size) {
		free(buf);
		return kerr_set(e, KAIRN_EIO, "entry shorter than its header says");
	}
	buf[size] = '\0';
	*out = buf;
	return 0;
}

/* Handles one item entry: parse, check, spool, remember. */
static int take_item(struct read_state *st, struct archive *a, int64_t size, const char *gr,
		     const char *vdir, const char *ns, const char *file, struct kerr *e)
{
	struct raw_copy c = { 0 };
	char *body = NULL;
	cJSON *obj = NULL;
	size_t flen = strlen(file);
	int rc = 0;

	if (flen <= 5 || strcmp(file + flen - 5, ".json"))
		return kerr_set(e, KAIRN_EINVAL, "item file name does not end in .json");
	if (size < 0 || (uint64_t)size > st->lim->max_entry_bytes)
		return kerr_set(e, KAIRN_EINVAL, "entry of %lld bytes exceeds the limit of %zu",
				(long long)size, st->lim->max_entry_bytes);
	if ((rc = read_body(a, (size_t)size, &body, e)))
		return rc;
	c.name = strndup(file, flen - 5);
	obj = cJSON_ParseWithLength(body, (size_t)size);
	if (!obj) {
		rc = kerr_set(e, KAIRN_EPARSE, "item is not valid JSON (near byte %td)",
			      cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() - body : (ptrdiff_t)0);
		goto out;
	}
	if (!c.name || (rc = check_item(obj, gr, ns, c.name, vdir, e)))
		goto out;
	c.gr = strdup(gr);
	c.ns = ns ? strdup(ns) : NULL;
	c.vdir = vdir ? strdup(vdir) : NULL;
	c.api_version = strdup(jsonx_str(obj, "apiVersion"));
	c.kind = strdup(jsonx_str(obj, "kind"));
	c.preferred = vdir != NULL;
	c.seq = st->n;
	c.off = st->spool_off;
	c.len = (uint64_t)size;
	if (!c.gr || (ns && !c.ns) || (vdir && !c.vdir) || !c.api_version || !c.kind) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (size && fwrite(body, 1, (size_t)size, st->r->spool) != (size_t)size) {
		rc = kerr_set(e, KAIRN_EIO, "spooling item: %s", strerror(errno));
		goto out;
	}
	st->spool_off += (uint64_t)size;
	if (vec_reserve(st->copies, st->n, st->cap, 256)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	st->copies[st->n++] = c;
	memset(&c, 0, sizeof(c));
out:
	raw_copy_clear(&c);
	cJSON_Delete(obj);
	free(body);
	return rc;
}

/* Classifies one regular file entry by its path (§4) and takes it. */
static int take_entry(struct read_state *st, struct archive *a, struct archive_entry *ent,
		      char **parts, int n, struct kerr *e)
{
	int64_t size = archive_entry_size(ent);

	if (n == 2 && !strcmp(parts[0], "metadata") && !strcmp(parts[1], "version")) {
		char *body = NULL;
		size_t len;
		int rc;

		if (size < 0 || size > 64)
			return kerr_set(e, KAIRN_EINVAL, "version file of %lld bytes", (long long)size);
		if ((rc = read_body(a, (size_t)size, &body, e)))
			return rc;
		len = strlen(body);
		if (len && body[len - 1] == '\n')
			body[--len] = '\0';
		if (strncmp(body, "1", 1) || (body[1] && body[1] != '.')) {
			rc = kerr_set(e, KAIRN_EUNSUPPORTED, "unsupported backup format version \"%s\"", body);
			free(body);
			return rc;
		}
		free(st->r->version);
		st->r->version = body;
		st->have_version = 1;
		return 0;
	}
	if (n >= 1 && !strcmp(parts[0], "resources") && n >= 4) {
		const char *gr = parts[1];

		if (n == 4 && !strcmp(parts[2], "cluster"))
			return take_item(st, a, size, gr, NULL, NULL, parts[3], e);
		if (n == 5 && !strcmp(parts[2], "namespaces"))
			return take_item(st, a, size, gr, NULL, parts[3], parts[4], e);
		if ((n == 5 && !strcmp(parts[3], "cluster")) || (n == 6 && !strcmp(parts[3], "namespaces"))) {
			size_t vl = strlen(parts[2]), sl = strlen("-preferredversion");

			if (vl > sl && !strcmp(parts[2] + vl - sl, "-preferredversion"))
				return take_item(st, a, size, gr, parts[2], n == 6 ? parts[4] : NULL,
						 parts[n - 1], e);
			/* another served version (EnableAPIGroupVersions): not indexed */
			st->r->skipped++;
			return 0;
		}
	}
	log_warn("backup archive: ignoring stray entry %s", archive_entry_pathname_utf8(ent));
	st->r->skipped++;
	return 0;
}

static int cmp_copies(const void *a, const void *b)
{
	const struct raw_copy *x = a, *y = b;
	int c = strcmp(x->gr, y->gr);

	if (c == 0)
		c = strcmp(x->ns ? x->ns : "", y->ns ? y->ns : "");
	if (c == 0)
		c = (x->ns != NULL) - (y->ns != NULL);
	if (c == 0)
		c = strcmp(x->name, y->name);
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static int same_item(const struct backup_index_item *x, const struct raw_copy *y)
{
	return !strcmp(x->group_resource, y->gr) && !strcmp(x->name, y->name) &&
	       (x->ns == NULL) == (y->ns == NULL) && (!x->ns || !strcmp(x->ns, y->ns));
}

/* Sorts the copies and merges legacy + preferred into one item each; a later
 * copy of the same path replaces an earlier one (as an extractor would). */
static int build_index(struct read_state *st, struct kerr *e)
{
	struct backup_reader *r = st->r;
	size_t i;

	if (st->n)
		qsort(st->copies, st->n, sizeof(*st->copies), cmp_copies);
	r->items = calloc(st->n ? st->n : 1, sizeof(*r->items));
	if (!r->items)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (i = 0; i < st->n; i++) {
		struct raw_copy *c = &st->copies[i];
		struct backup_index_item *it;

		if (r->n_items == 0 || !same_item(&r->items[r->n_items - 1], c)) {
			const char *dot = strchr(c->gr, '.');

			it = &r->items[r->n_items++];
			it->group_resource = c->gr;
			it->resource = dot ? strndup(c->gr, (size_t)(dot - c->gr)) : strdup(c->gr);
			it->group = strdup(dot ? dot + 1 : "");
			it->ns = c->ns;
			it->name = c->name;
			c->gr = c->ns = c->name = NULL;
			if (!it->resource || !it->group)
				return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		}
		it = &r->items[r->n_items - 1];
		/* api_version/kind: the legacy copy's when there is one */
		if (!it->api_version || !c->preferred) {
			free(it->api_version);
			free(it->kind);
			it->api_version = c->api_version;
			it->kind = c->kind;
			c->api_version = c->kind = NULL;
		}
		if (c->preferred) {
			free(it->preferred_version);
			it->preferred_version = strndup(c->vdir, strlen(c->vdir) - strlen("-preferredversion"));
			if (!it->preferred_version)
				return kerr_set(e, KAIRN_ENOMEM, "out of memory");
			it->off_pref = c->off;
			it->len_pref = c->len;
		} else {
			it->has_legacy = 1;
			it->off_legacy = c->off;
			it->len_legacy = c->len;
		}
	}
	return 0;
}

static const struct backup_read_limits default_limits = {
	.max_entry_bytes = 16u << 20,
	.max_total_bytes = 16ull << 30,
	.max_entries = 2000000,
};

static int scan(struct read_state *st, struct gunzip_src *g, struct kerr *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	size_t entries = 0;
	int rc = 0, arc;
	locale_t utf8 = (locale_t)0;

	if (!a)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	archive_read_support_format_tar(a);
	if (archive_read_open(a, g, NULL, gunzip_read, NULL) != ARCHIVE_OK) {
		rc = kerr_set(e, KAIRN_EINVAL, "not a tar.gz archive: %s", archive_error_string(a));
		goto out;
	}
	/* libarchive converts PAX (UTF-8) names through the thread's locale:
	 * read headers under C.UTF-8 so non-ASCII names survive in any locale. */
	utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	for (;;) {
		locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;

		arc = archive_read_next_header(a, &ent);
		if (utf8)
			uselocale(old);
		if (arc != ARCHIVE_OK)
			break;
		/* PAX paths are UTF-8: ask for them so, whatever the process locale */
		const char *path = archive_entry_pathname_utf8(ent) ? archive_entry_pathname_utf8(ent)
								     : archive_entry_pathname(ent);
		char *copy = path ? strdup(path) : NULL, *parts[8];
		int n = 0;
		mode_t type = archive_entry_filetype(ent);

		if (!copy) {
			rc = kerr_set(e, KAIRN_EINVAL, "entry %zu has no usable path", entries + 1);
			goto out;
		}
		if (++entries > st->lim->max_entries)
			rc = kerr_set(e, KAIRN_EINVAL, "more than %zu entries", st->lim->max_entries);
		else if ((rc = split_path(copy, parts, 8, &n, e)) == 0) {
			if (archive_entry_hardlink(ent) || type == AE_IFLNK)
				rc = kerr_set(e, KAIRN_EINVAL, "links are not allowed in a backup");
			else if (type == AE_IFDIR)
				rc = 0; /* Velero writes none, other tools might: nothing to do */
			else if (type != AE_IFREG)
				rc = kerr_set(e, KAIRN_EINVAL, "only regular files are allowed (type %o)",
					      (unsigned)type);
			else if (n > 8)
				rc = kerr_set(e, KAIRN_EINVAL, "path too deep for a backup entry");
			else
				rc = take_entry(st, a, ent, parts, n, e);
		}
		free(copy);
		if (rc) {
			kerr_prefix(e, "entry %s", path);
			goto out;
		}
	}
	if (arc != ARCHIVE_EOF) {
		rc = kerr_set(e, KAIRN_EINVAL, "after entry %zu: %s", entries,
			      archive_error_string(a) ? archive_error_string(a) : "read error");
		goto out;
	}
	/* libarchive may stop at the tar trailer: the gzip stream must still end cleanly. */
	while (!g->ended) {
		const void *b;
		la_ssize_t n = gunzip_read(a, g, &b);

		if (n < 0) {
			rc = kerr_set(e, KAIRN_EINVAL, "after the tar trailer: %s", archive_error_string(a));
			goto out;
		}
		if (n == 0)
			break;
	}
	if (!st->have_version)
		rc = kerr_set(e, KAIRN_EINVAL, "no metadata/version entry: not a Velero backup");
out:
	if (utf8)
		freelocale(utf8);
	archive_read_free(a);
	return rc;
}

int backup_reader_open(const char *path, const struct backup_read_limits *lim,
		       struct backup_reader **out, struct kerr *e)
{
	struct backup_reader *r = calloc(1, sizeof(*r));
	struct gunzip_src *g = calloc(1, sizeof(*g));
	struct read_state st = { .r = r, .lim = lim ? lim : &default_limits };
	int rc = 0;

	*out = NULL;
	if (!r || !g) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	g->path = path;
	g->max_total = st.lim->max_total_bytes;
	g->fp = fopen(path, "rb");
	if (!g->fp) {
		rc = kerr_set(e, errno == ENOENT ? KAIRN_ENOTFOUND : KAIRN_EIO, "%s", strerror(errno));
		goto out;
	}
	if (inflateInit2(&g->zs, 16 + 15) != Z_OK) {
		rc = kerr_set(e, KAIRN_ENOMEM, "inflateInit2 failed");
		goto out;
	}
	g->zinit = 1;
	r->spool = tmpfile();
	if (!r->spool) {
		rc = kerr_set(e, KAIRN_EIO, "creating spool file: %s", strerror(errno));
		goto out;
	}
	if ((rc = scan(&st, g, e)) || (rc = build_index(&st, e)))
		goto out;
	if (fflush(r->spool) != 0)
		rc = kerr_set(e, KAIRN_EIO, "spool file: %s", strerror(errno));
out:
	for (size_t i = 0; i < st.n; i++)
		raw_copy_clear(&st.copies[i]);
	free(st.copies);
	if (g) {
		if (g->zinit)
			inflateEnd(&g->zs);
		if (g->fp)
			fclose(g->fp);
		free(g);
	}
	if (rc) {
		kerr_prefix(e, "backup archive %s", path);
		backup_reader_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

const char *backup_reader_version(const struct backup_reader *r)
{
	return r->version;
}

size_t backup_reader_count(const struct backup_reader *r)
{
	return r->n_items;
}

size_t backup_reader_skipped(const struct backup_reader *r)
{
	return r->skipped;
}

const struct backup_index_item *backup_reader_item(const struct backup_reader *r, size_t i)
{
	return i < r->n_items ? &r->items[i] : NULL;
}

int backup_reader_item_bytes(struct backup_reader *r, size_t i, int preferred, char **out,
			     size_t *len, struct kerr *e)
{
	const struct backup_index_item *it = backup_reader_item(r, i);
	uint64_t off, n;
	char *buf;

	*out = NULL;
	if (!it)
		return kerr_set(e, KAIRN_EINVAL, "item %zu out of range", i);
	if ((preferred && it->preferred_version) || !it->has_legacy)
		off = it->off_pref, n = it->len_pref;
	else
		off = it->off_legacy, n = it->len_legacy;
	buf = malloc((size_t)n + 1);
	if (!buf)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	if (fseeko(r->spool, (off_t)off, SEEK_SET) != 0 ||
	    (n && fread(buf, 1, (size_t)n, r->spool) != (size_t)n)) {
		free(buf);
		return kerr_set(e, KAIRN_EIO, "reading spooled item %s: %s", it->name, strerror(errno));
	}
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = (size_t)n;
	return 0;
}

int backup_reader_item_object(struct backup_reader *r, size_t i, cJSON **out, struct kerr *e)
{
	char *buf = NULL;
	size_t n = 0;
	int rc = backup_reader_item_bytes(r, i, 0, &buf, &n, e);

	*out = NULL;
	if (rc)
		return rc;
	*out = cJSON_ParseWithLength(buf, n);
	free(buf);
	if (!*out)
		return kerr_set(e, KAIRN_ENOMEM, "re-parsing a verified item failed");
	return 0;
}

void backup_reader_free(struct backup_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_items; i++) {
		struct backup_index_item *it = &r->items[i];

		free(it->group_resource);
		free(it->group);
		free(it->resource);
		free(it->ns);
		free(it->name);
		free(it->api_version);
		free(it->kind);
		free(it->preferred_version);
	}
	free(r->items);
	free(r->version);
	if (r->spool)
		fclose(r->spool);
	free(r);
}
