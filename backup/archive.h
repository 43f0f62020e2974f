/*
 * archive.h — the Velero 1.1.0 backup tarball (design/backup-format.md §3–§5).
 *
 * Owns: writing `<name>.tar.gz` item by item, and reading one back into a
 * verified index. Plain data in and out (cJSON objects plus their
 * group/resource/version); collecting from and restoring to a cluster is
 * layered on top by the caller. Never talks to Kubernetes or a store.
 *
 * Writer: streams to disk as items arrive (memory: one item plus the list of
 * names for the resource-list sidecar), into "<path>.tmp-<pid>", renamed to
 * <path> only by backup_writer_finish. Entries: `metadata/version` ("1.1.0\n")
 * first, then for every item its legacy copy and its `<v>-preferredversion`
 * copy, same bytes (Go json.Marshal of the object). Regular files only,
 * mode 0755, uid/gid 0, empty uname/gname, USTAR with the prefix split or a
 * PAX header (libarchive pax_restricted) for paths USTAR cannot hold, no
 * padding after the two zero blocks; gzip framing as Go writes it (gz.h).
 *
 * Reader: checks the whole archive before returning anything — gzip CRC and
 * length, tar structure, the version file, every item parses as a JSON object
 * whose metadata matches its path, paths are relative with no `..`, only
 * regular files and directories, size limits. Item bytes are spooled to an
 * anonymous temp file, so memory holds only the index, and any item can be
 * fetched afterwards in any order. Entry order in the archive does not matter.
 */
#ifndef KAIRN_BACKUP_ARCHIVE_H
#define KAIRN_BACKUP_ARCHIVE_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cjson/cJSON.h>

struct kerr;
struct kbuf;

#define BACKUP_FORMAT_VERSION "1.1.0"

/* ---- writer ---- */

struct backup_writer;

/* Opens a writer that will produce path. mtime is stamped on every entry
 * (0 = now, whole seconds, as Velero does). */
int backup_writer_open(const char *path, time_t mtime, struct backup_writer **out, struct kerr *e);

/* Adds one object as listed by the API server. group is "" for the core
 * group, resource the plural ("deployments"), version the server-preferred
 * version of that group-resource ("v1"). Namespace and name come from
 * obj.metadata; obj must carry apiVersion and kind. Writes two entries. */
int backup_writer_add(struct backup_writer *w, const char *group, const char *resource,
		      const char *version, const cJSON *obj, struct kerr *e);

/* Items added so far. */
size_t backup_writer_count(const struct backup_writer *w);

/* Writes the tar trailer and gzip trailer, fsyncs and renames into place. */
int backup_writer_finish(struct backup_writer *w, struct kerr *e);

/* The N-resource-list.json content for what was added: Go json.Encoder form,
 * {"<apiVersion>/<Kind>": ["ns/name" | "name", ... sorted]} plus "\n". */
int backup_writer_resource_list(const struct backup_writer *w, struct kbuf *out, struct kerr *e);

/* Frees; if finish was not reached, removes the partial temp file. */
void backup_writer_free(struct backup_writer *w);

/* The tar entry name of an item ("resources/deployments.apps/namespaces/shop/web.json",
 * or with version != NULL the "<v>-preferredversion" copy). Malloc'd. */
char *backup_entry_name(const char *group, const char *resource, const char *version,
			const char *ns, const char *name);

/* ---- reader ---- */

struct backup_read_limits {
	size_t max_entry_bytes;   /* one item JSON (default 16 MiB) */
	uint64_t max_total_bytes; /* all of the uncompressed tar (default 16 GiB) */
	size_t max_entries;       /* default 2,000,000 */
};

/* One object of the backup, merged from its copies. */
struct backup_index_item {
	char *group_resource;    /* "deployments.apps", "pods" */
	char *group;             /* "apps", "" for core */
	char *resource;          /* "deployments" */
	char *ns;                /* NULL for cluster-scoped */
	char *name;
	char *api_version;       /* from the JSON: "apps/v1" */
	char *kind;              /* from the JSON */
	char *preferred_version; /* "v1" when a <v>-preferredversion copy exists, else NULL */
	int has_legacy;          /* the unversioned copy a default Velero restore reads */
	/* private to archive.c */
	uint64_t off_legacy, len_legacy, off_pref, len_pref;
};

struct backup_reader;

/* Reads and verifies path completely. lim may be NULL for the defaults. */
int backup_reader_open(const char *path, const struct backup_read_limits *lim,
		       struct backup_reader **out, struct kerr *e);
/* The metadata/version content without its newline ("1.1.0"). */
const char *backup_reader_version(const struct backup_reader *r);
/* Items, sorted by group-resource, namespace, name. */
size_t backup_reader_count(const struct backup_reader *r);
const struct backup_index_item *backup_reader_item(const struct backup_reader *r, size_t i);
/* Copies skipped: non-preferred version dirs and stray files (warned about). */
size_t backup_reader_skipped(const struct backup_reader *r);
/* The exact bytes of item i: the legacy copy, or with preferred != 0 the
 * preferred-version copy (falls back to the other when one is missing).
 * *out is malloc'd and NUL-terminated. */
int backup_reader_item_bytes(struct backup_reader *r, size_t i, int preferred,
			     char **out, size_t *len, struct kerr *e);
/* Item i parsed (legacy copy first). */
int backup_reader_item_object(struct backup_reader *r, size_t i, cJSON **out, struct kerr *e);
void backup_reader_free(struct backup_reader *r);

#endif
