/*
 * store_file.c — the directory implementation of the store vtable.
 * Never: exposes a half-written object (temp name ".<base>.tmp-*" + rename),
 * or lets a key escape the root (backup_store_check_key).
 */
#include "backup/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/vec.h"

struct file_store {
	struct backup_store base;
	char *root;
};

void backup_key_list_free(struct backup_key_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->keys[i]);
	free(l->keys);
	l->keys = NULL;
	l->n = 0;
}

void backup_store_free(struct backup_store *s)
{
	if (s)
		s->ops->free(s);
}

int backup_store_check_key(const char *key, struct kerr *e)
{
	const char *p = key;

	if (!key || !*key || *key == '/')
		return kerr_set(e, KAIRN_EINVAL, "bad store key \"%s\": empty or absolute", key ? key : "");
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.'))
			return kerr_set(e, KAIRN_EINVAL, "bad store key \"%s\": empty, '.' or '..' segment", key);
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

/* Copies src to dst through a temp name in dst's directory; rename is the commit. */
static int copy_atomic(const char *src, const char *dst, struct kerr *e)
{
	char *tmp = NULL, *slash;
	char buf[65536];
	int in = -1, out = -1, rc = 0;
	ssize_t n;

	slash = strrchr(dst, '/');
	if (asprintf(&tmp, "%.*s.%s.tmp-%d", slash ? (int)(slash - dst + 1) : 0, dst,
		     slash ? slash + 1 : dst, (int)getpid()) < 0)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0) {
		rc = kerr_set(e, errno == ENOENT ? KAIRN_ENOTFOUND : KAIRN_EIO, "%s: %s", src, strerror(errno));
		goto out;
	}
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0) {
				rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
				goto out;
			}
			off += w;
		}
	}
	if (n < 0) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", src, strerror(errno));
		goto out;
	}
	if (fsync(out) != 0 || close(out) != 0) {
		out = -1;
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	out = -1;
	if (rename(tmp, dst) != 0)
		rc = kerr_set(e, KAIRN_EIO, "rename to %s: %s", dst, strerror(errno));
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (rc)
		unlink(tmp);
	free(tmp);
	return rc;
}

static int full_path(struct file_store *fs, const char *key, char **out, struct kerr *e)
{
	int rc = backup_store_check_key(key, e);

	if (rc)
		return rc;
	if (asprintf(out, "%s/%s", fs->root, key) < 0)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	return 0;
}

static int file_put(struct backup_store *s, const char *key, const char *src, struct kerr *e)
{
	struct file_store *fs = (struct file_store *)s;
	char *path = NULL, *slash;
	int rc = full_path(fs, key, &path, e);

	if (rc)
		return rc;
	slash = strrchr(path, '/');
	*slash = '\0';
	rc = fs_mkdir_p(path, 0755, e);
	*slash = '/';
	if (rc == 0)
		rc = copy_atomic(src, path, e);
	free(path);
	return rc ? kerr_prefix(e, "file store put %s", key) : 0;
}

static int file_get(struct backup_store *s, const char *key, const char *dst, struct kerr *e)
{
	struct file_store *fs = (struct file_store *)s;
	char *path = NULL;
	int rc = full_path(fs, key, &path, e);

	if (rc == 0)
		rc = copy_atomic(path, dst, e);
	free(path);
	return rc ? kerr_prefix(e, "file store get %s", key) : 0;
}

static int file_del(struct backup_store *s, const char *key, struct kerr *e)
{
	struct file_store *fs = (struct file_store *)s;
	char *path = NULL;
	int rc = full_path(fs, key, &path, e);

	if (rc == 0 && unlink(path) != 0 && errno != ENOENT)
		rc = kerr_set(e, KAIRN_EIO, "file store delete %s: %s", key, strerror(errno));
	/* drop directories left empty, up to the root (S3 has none) */
	while (rc == 0) {
		char *slash = strrchr(path, '/');

		if (!slash || (size_t)(slash - path) <= strlen(fs->root))
			break;
		*slash = '\0';
		if (rmdir(path) != 0)
			break;
	}
	free(path);
	return rc;
}

int backup_key_list_add(struct backup_key_list *l, size_t *cap, const char *k)
{
	if (vec_reserve(l->keys, l->n, *cap, 64))
		return KAIRN_ENOMEM;
	if (!(l->keys[l->n] = strdup(k)))
		return KAIRN_ENOMEM;
	l->n++;
	return 0;
}

/* Recursive walk of dir (key prefix rel, "" or ending in '/'). */
static int walk(const char *dir, const char *rel, const char *prefix, int delim,
		struct backup_key_list *out, size_t *cap, struct kerr *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	if (!d)
		return errno == ENOENT || errno == ENOTDIR ? 0 : kerr_set(e, KAIRN_EIO, "%s: %s", dir, strerror(errno));
	while (rc == 0 && (de = readdir(d))) {
		char *sub = NULL, *key = NULL;
		struct stat st;
		size_t plen = strlen(prefix), klen;

		if (de->d_name[0] == '.')
			continue; /* ., .., and temp files */
		if (asprintf(&sub, "%s/%s", dir, de->d_name) < 0 ||
		    asprintf(&key, "%s%s", rel, de->d_name) < 0) {
			free(sub);
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			break;
		}
		klen = strlen(key);
		if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode)) {
			/* descend only where the prefix can still match */
			if (!strncmp(key, prefix, klen < plen ? klen : plen)) {
				if (delim && klen >= plen) {
					char *p = NULL;

					if (asprintf(&p, "%s/", key) < 0 || backup_key_list_add(out, cap, p))
						rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
					free(p);
				} else {
					char *r2 = NULL;

					if (asprintf(&r2, "%s/", key) < 0)
						rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
					else
						rc = walk(sub, r2, prefix, delim, out, cap, e);
					free(r2);
				}
			}
		} else if (S_ISREG(st.st_mode) && !strncmp(key, prefix, plen)) {
			if (backup_key_list_add(out, cap, key))
				rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		}
		free(sub);
		free(key);
	}
	closedir(d);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void backup_key_list_sort(struct backup_key_list *l)
{
	if (l->n)
		qsort(l->keys, l->n, sizeof(*l->keys), cmp_str);
}

static int file_list(struct backup_store *s, const char *prefix, int delim,
		     struct backup_key_list *out, struct kerr *e)
{
	struct file_store *fs = (struct file_store *)s;
	size_t cap = 0;
	int rc;

	out->keys = NULL;
	out->n = 0;
	if (strstr(prefix, ".."))
		return kerr_set(e, KAIRN_EINVAL, "bad list prefix \"%s\"", prefix);
	rc = walk(fs->root, "", prefix, delim, out, &cap, e);
	if (rc) {
		backup_key_list_free(out);
		return rc;
	}
	backup_key_list_sort(out);
	return 0;
}

static void file_free(struct backup_store *s)
{
	struct file_store *fs = (struct file_store *)s;

	free(fs->root);
	free(fs);
}

static const struct backup_store_ops file_ops = {
	.put = file_put, .get = file_get, .list = file_list, .del = file_del, .free = file_free,
};

int backup_store_file_new(const char *root, struct backup_store **out, struct kerr *e)
{
	struct file_store *fs;
	int rc;

	*out = NULL;
	if ((rc = fs_mkdir_p(root, 0755, e)))
		return kerr_prefix(e, "file store %s", root);
	fs = calloc(1, sizeof(*fs));
	if (!fs || !(fs->root = strdup(root))) {
		free(fs);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	/* keys are joined with '/': drop trailing slashes of the root */
	for (size_t n = strlen(fs->root); n > 1 && fs->root[n - 1] == '/'; n--)
		fs->root[n - 1] = '\0';
	fs->base.ops = &file_ops;
	*out = &fs->base;
	return 0;
}
