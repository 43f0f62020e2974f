/*
 * fsutil.c — file helpers; every error names the path and the errno text.
 */
#include "fsutil.h"
#include "buf.h"
#include "err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_read_all(const char *path, char **out, size_t *out_len, struct kerr *e)
{
	struct kbuf b = { 0 };
	char chunk[65536];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return kerr_set(e, errno == ENOENT ? KAIRN_ENOTFOUND : KAIRN_EIO, "%s: %s", path,
				strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			kerr_set(e, KAIRN_EIO, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (kbuf_append(&b, chunk, (size_t)n)) {
			kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", path);
			goto fail;
		}
	}
	close(fd);
	if (out_len)
		*out_len = b.len;
	*out = kbuf_steal(&b);
	return *out ? 0 : kerr_set(e, KAIRN_ENOMEM, "%s: out of memory", path);
fail:
	close(fd);
	kbuf_free(&b);
	return e ? e->code : KAIRN_EIO;
}

int fs_write_atomic(const char *path, const void *data, size_t len, int mode, struct kerr *e)
{
	struct kbuf tmp = { 0 };
	const char *p = data;
	int fd = -1, rc = 0;

	if (kbuf_printf(&tmp, "%s.tmp-%ld", path, (long)getpid()))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp.data, strerror(errno));
		goto out;
	}
	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp.data, strerror(errno));
			goto out;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", tmp.data, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp.data, path) != 0)
		rc = kerr_set(e, KAIRN_EIO, "rename %s: %s", path, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	if (rc)
		unlink(tmp.data);
	kbuf_free(&tmp);
	return rc;
}

int fs_mkdir_p(const char *path, int mode, struct kerr *e)
{
	char *p = strdup(path);
	int rc = 0;

	if (!p)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (char *s = p + 1;; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) != 0 && errno != EEXIST) {
				rc = kerr_set(e, KAIRN_EIO, "mkdir %s: %s", p, strerror(errno));
				break;
			}
			*s = c;
			if (c == '\0')
				break;
		}
	}
	free(p);
	return rc;
}

void fs_remove_flat_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct kbuf path = { 0 };

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		kbuf_reset(&path);
		if (kbuf_printf(&path, "%s/%s", dir, de->d_name) == 0)
			unlink(path.data);
	}
	closedir(d);
	kbuf_free(&path);
	rmdir(dir);
}
