/*
 * gitsrc.c — git_source: the cache directory, ref resolution and checkouts
 * (see gitsrc.h for the contract and the cache layout). The network part is
 * in fetch.c, host key checking in known_hosts.c.
 *
 * Invariants: checkouts/<sha> only ever appears by rename of a complete
 * temporary directory, so a directory with that name is the whole tree of
 * that commit; `current` only changes by rename of a new symlink; everything
 * is done under the cache's lock file.
 */
#define _XOPEN_SOURCE 700
#include "git/git_internal.h"
#include "util/buf.h"
#include "util/codec.h"
#include "util/err.h"
#include "util/fsutil.h"
#include "util/log.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define GIT_SOURCE_DEFAULT_TIMEOUT 120

struct git_source {
	char *url, *ref, *path;
	char *user, *password, *ssh_key, *passphrase, *known_hosts, *ca_file;
	struct git_source_auth auth; /* points into the copies above */
	struct git_url_info where;
	char shown[512];             /* the URL without credentials */
	char *dir;                   /* <cache_dir>/<hash> */
	char *repo_path;             /* dir/repo.git */
	int timeout_sec;
	int libgit2_initialised;
};

static char *dup_or_null(const char *s, int *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*oom = 1;
	return d;
}

/* Overwrites a secret before freeing it, so it does not linger in the heap. */
void git_secret_free(char *secret)
{
	if (!secret)
		return;
	explicit_bzero(secret, strlen(secret));
	free(secret);
}

int git_secret_read_file(const char *path, char **out, struct kerr *e)
{
	char *s = NULL;
	size_t n = 0;
	int rc = fs_read_all(path, &s, &n, e);

	*out = NULL;
	if (rc)
		return kerr_prefix(e, "reading secret");
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	if (n == 0 || memchr(s, '\n', n)) {
		git_secret_free(s);
		return kerr_set(e, KAIRN_EINVAL, "secret file %s: expected one non-empty line", path);
	}
	*out = s;
	return 0;
}

/* A path inside the repository: relative, no "." or ".." components. */
static int check_repo_path(const char *p, struct kerr *e)
{
	const char *s = p;

	if (!p || !*p)
		return 0;
	if (*p == '/')
		return kerr_set(e, KAIRN_EINVAL, "path '%s': must be relative to the repository root", p);
	while (*s) {
		size_t n = strcspn(s, "/");

		if ((n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
			return kerr_set(e, KAIRN_EINVAL, "path '%s': '.' and '..' are not allowed", p);
		s += n;
		s += *s == '/';
	}
	return 0;
}

static int rm_rf(const char *path);

static int init_cache_repo(struct git_source *s, struct kerr *e)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	int rc = 0;

	if (git_repository_init(&repo, s->repo_path, 1) < 0) {
		rc = kerr_set(e, KAIRN_EIO, "cache %s: %s", s->repo_path, git_error_last()->message);
		goto out;
	}
	/* Symlinks from the repository become plain files in checkouts: a
	 * manifest loader must never be led outside the tree. kairn.url marks
	 * the cache as kairn's, for this URL (credentials redacted). */
	if (git_repository_config(&cfg, repo) < 0 || git_config_set_bool(cfg, "core.symlinks", 0) < 0 ||
	    git_config_set_string(cfg, "kairn.url", s->shown) < 0)
		rc = kerr_set(e, KAIRN_EIO, "cache %s: %s", s->repo_path, git_error_last()->message);
out:
	git_config_free(cfg);
	git_repository_free(repo);
	return rc;
}

/* Every ref of repo reads and points at an object the cache has; else
 * writes why into why. */
static int refs_sound(git_repository *repo, char *why, size_t n)
{
	git_reference_iterator *it = NULL;
	git_reference *ref = NULL;
	git_odb *odb = NULL;
	int g, ok = 0;

	if (git_repository_odb(&odb, repo) < 0 || git_reference_iterator_new(&it, repo) < 0)
		goto fail;
	while ((g = git_reference_next(&ref, it)) == 0) {
		const git_oid *id = git_reference_target(ref);

		if (id && !git_odb_exists(odb, id)) {
			snprintf(why, n, "has ref %s pointing at a missing object", git_reference_name(ref));
			git_reference_free(ref);
			goto out;
		}
		git_reference_free(ref);
	}
	if (g == GIT_ITEROVER) {
		ok = 1;
		goto out;
	}
fail:
	snprintf(why, n, "has unreadable refs or objects (%s)",
		 git_error_last() ? git_error_last()->message : "unknown error");
out:
	git_reference_iterator_free(it);
	git_odb_free(odb);
	return ok;
}

/* Whether the cache repository can be used: 1 = yes, 0 = missing, -1 = no
 * (why says what is wrong with it: not a bare repository, not made by
 * kairn, made for another URL, broken refs). */
static int cache_usable(struct git_source *s, char *why, size_t n)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf url = { 0 };
	struct stat st;
	int ok = -1;

	if (lstat(s->repo_path, &st) != 0 && errno == ENOENT)
		return 0;
	if (!S_ISDIR(st.st_mode) || git_repository_open_bare(&repo, s->repo_path) < 0 ||
	    !git_repository_is_bare(repo))
		snprintf(why, n, "is not a bare Git repository");
	else if (git_repository_config_snapshot(&cfg, repo) < 0 ||
		 git_config_get_string_buf(&url, cfg, "kairn.url") < 0)
		snprintf(why, n, "was not made by kairn (no kairn.url)");
	else if (strcmp(url.ptr, s->shown) != 0)
		snprintf(why, n, "belongs to %s", url.ptr);
	else if (refs_sound(repo, why, n))
		ok = 1;
	git_buf_dispose(&url);
	git_config_free(cfg);
	git_repository_free(repo);
	return ok;
}

/* Makes sure repo.git is a sound cache of this URL: creates it when
 * missing, replaces (re-clones) a foreign or corrupt one. Under the lock. */
static int cache_ensure(struct git_source *s, const char *damage, struct kerr *e)
{
	char why[KERR_MSG_MAX];
	int usable = damage ? -1 : cache_usable(s, why, sizeof(why));

	if (usable == 1)
		return 0;
	if (usable < 0) {
		log_warn("git: cache %s %s: cloning %s again", s->repo_path,
			 damage ? damage : why, s->shown);
		if (rm_rf(s->repo_path) != 0)
			return kerr_set(e, KAIRN_EIO, "cache %s %s, and removing it failed: %s",
					s->repo_path, damage ? damage : why, strerror(errno));
	}
	return init_cache_repo(s, e);
}

int git_source_open(struct git_source **out, const struct git_source_opts *o, struct kerr *e)
{
	struct git_source *s;
	char hash[65];
	struct kbuf b = { 0 };
	char *cache = NULL;
	int oom = 0, rc;

	*out = NULL;
	if (!o->cache_dir || !*o->cache_dir)
		return kerr_set(e, KAIRN_EINVAL, "git source: a cache directory is required");
	s = calloc(1, sizeof(*s));
	if (!s)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	git_libgit2_init();
	s->libgit2_initialised = 1;
	git_url_redact(o->url, s->shown, sizeof(s->shown));
	if ((rc = git_url_parse(o->url, &s->where, e)) || (rc = check_repo_path(o->path, e)))
		goto fail;
	if (o->ref && !*o->ref) {
		rc = kerr_set(e, KAIRN_EINVAL, "ref: empty (use a branch, tag, commit SHA or HEAD)");
		goto fail;
	}
	if (o->auth.ssh_key_path && access(o->auth.ssh_key_path, R_OK) != 0) {
		rc = kerr_set(e, KAIRN_EINVAL, "ssh key %s: %s", o->auth.ssh_key_path, strerror(errno));
		goto fail;
	}
	if (o->auth.ca_file && access(o->auth.ca_file, R_OK) != 0) {
		rc = kerr_set(e, KAIRN_EINVAL, "CA file %s: %s", o->auth.ca_file, strerror(errno));
		goto fail;
	}
	s->url = dup_or_null(o->url, &oom);
	s->ref = dup_or_null(o->ref ? o->ref : "HEAD", &oom);
	s->path = dup_or_null(o->path ? o->path : "", &oom);
	s->user = dup_or_null(o->auth.username, &oom);
	s->password = dup_or_null(o->auth.password, &oom);
	s->ssh_key = dup_or_null(o->auth.ssh_key_path, &oom);
	s->passphrase = dup_or_null(o->auth.ssh_passphrase, &oom);
	s->known_hosts = dup_or_null(o->auth.known_hosts_path, &oom);
	s->ca_file = dup_or_null(o->auth.ca_file, &oom);
	sha256_hex(o->url, strlen(o->url), hash);
	/* Absolute, because libgit2 takes a relative checkout target as
	 * relative to the repository, not to our working directory. */
	if ((rc = fs_mkdir_p(o->cache_dir, 0700, e)))
		goto fail;
	if (!(cache = realpath(o->cache_dir, NULL))) {
		rc = kerr_set(e, KAIRN_EIO, "cache %s: %s", o->cache_dir, strerror(errno));
		goto fail;
	}
	if (kbuf_printf(&b, "%s/%.16s", cache, hash) || !(s->dir = kbuf_steal(&b)) ||
	    kbuf_printf(&b, "%s/repo.git", s->dir) || !(s->repo_path = kbuf_steal(&b)) || oom) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto fail;
	}
	s->auth = (struct git_source_auth){ s->user, s->password, s->ssh_key, s->passphrase,
					    s->known_hosts, o->auth.insecure_ignore_host_key, s->ca_file };
	s->timeout_sec = o->timeout_sec > 0 ? o->timeout_sec : GIT_SOURCE_DEFAULT_TIMEOUT;
	if ((rc = fs_mkdir_p(s->dir, 0700, e)))
		goto fail;
	free(cache);
	*out = s;
	return 0;
fail:
	free(cache);
	kbuf_free(&b);
	git_source_free(s);
	return rc;
}

void git_source_free(struct git_source *s)
{
	if (!s)
		return;
	free(s->url);
	free(s->ref);
	free(s->path);
	free(s->user);
	git_secret_free(s->password);
	free(s->ssh_key);
	git_secret_free(s->passphrase);
	free(s->known_hosts);
	free(s->ca_file);
	free(s->dir);
	free(s->repo_path);
	if (s->libgit2_initialised)
		git_libgit2_shutdown();
	free(s);
}

void git_revision_free(struct git_revision *rev)
{
	if (!rev)
		return;
	free(rev->summary);
	free(rev->author);
	free(rev->checkout_root);
	free(rev->worktree_path);
	memset(rev, 0, sizeof(*rev));
}

static int is_hex(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Peels a reference name to a commit; GIT_ENOTFOUND if there is no such ref. */
static int peel_ref(git_repository *repo, const char *name, git_oid *oid)
{
	git_reference *r = NULL;
	git_object *obj = NULL;
	int g = git_reference_lookup(&r, repo, name);

	if (g == 0)
		g = git_reference_peel(&obj, r, GIT_OBJECT_COMMIT);
	if (g == 0)
		git_oid_cpy(oid, git_object_id(obj));
	git_object_free(obj);
	git_reference_free(r);
	return g;
}

static int resolve_ref(struct git_source *s, git_repository *repo, git_oid *oid, struct kerr *e)
{
	const char *ref = s->ref;
	struct kbuf name = { 0 };
	int rc = 0, g;

	if (strcmp(ref, "HEAD") == 0 || strncmp(ref, "refs/", 5) == 0) {
		g = peel_ref(repo, ref, oid);
		goto done;
	}
	if (kbuf_printf(&name, "refs/tags/%s", ref)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	g = peel_ref(repo, name.data, oid);
	if (g == GIT_ENOTFOUND) {
		kbuf_reset(&name);
		if (kbuf_printf(&name, "refs/heads/%s", ref)) {
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		g = peel_ref(repo, name.data, oid);
	}
	if (g == GIT_ENOTFOUND && is_hex(ref, 4, GIT_OID_HEXSZ)) {
		git_oid prefix;
		git_object *obj = NULL;
		size_t n = strlen(ref);

		g = git_oid_fromstrn(&prefix, ref, n);
		if (g == 0)
			g = git_object_lookup_prefix(&obj, repo, &prefix, n, GIT_OBJECT_COMMIT);
		if (g == GIT_EAMBIGUOUS) {
			rc = kerr_set(e, KAIRN_EINVAL, "ref '%s' is an ambiguous commit prefix in %s", ref,
				      s->shown);
			goto out;
		}
		if (g == 0)
			git_oid_cpy(oid, git_object_id(obj));
		git_object_free(obj);
	}
done:
	if (g == GIT_ENOTFOUND || g == GIT_EINVALIDSPEC || g == GIT_EPEEL)
		rc = kerr_set(e, KAIRN_ENOTFOUND, "ref '%s' not found in %s", ref, s->shown);
	else if (g < 0)
		rc = kerr_set(e, KAIRN_EIO, "ref '%s' in %s: %s", ref, s->shown, git_error_last()->message);
out:
	kbuf_free(&name);
	return rc;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	(void)st;
	(void)flag;
	(void)f;
	return remove(p) == 0 || errno == ENOENT ? 0 : -1;
}

static int rm_rf(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) == 0 || errno == ENOENT ? 0 : -1;
}

/* Writes the tree of commit into <dir>/checkouts/<sha> unless it exists. */
static int materialise(struct git_source *s, git_repository *repo, git_commit *commit,
		       const char *sha, const char *root, struct kerr *e)
{
	git_checkout_options co;
	git_tree *tree = NULL;
	struct kbuf tmp = { 0 };
	struct stat st;
	int rc = 0;

	if (stat(root, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (kbuf_printf(&tmp, "%s/checkouts/.tmp-%s-%ld", s->dir, sha, (long)getpid()))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	rm_rf(tmp.data);
	if ((rc = fs_mkdir_p(tmp.data, 0700, e)))
		goto out;
	git_checkout_options_init(&co, GIT_CHECKOUT_OPTIONS_VERSION);
	co.checkout_strategy = GIT_CHECKOUT_FORCE | GIT_CHECKOUT_DONT_UPDATE_INDEX;
	co.target_directory = tmp.data;
	if (git_commit_tree(&tree, commit) < 0 ||
	    git_checkout_tree(repo, (const git_object *)tree, &co) < 0) {
		rc = kerr_set(e, KAIRN_EIO, "checkout of %.12s from %s: %s", sha, s->shown,
			      git_error_last()->message);
		goto out;
	}
	if (rename(tmp.data, root) != 0)
		rc = kerr_set(e, KAIRN_EIO, "checkout %s: %s", root, strerror(errno));
out:
	if (rc)
		rm_rf(tmp.data);
	git_tree_free(tree);
	kbuf_free(&tmp);
	return rc;
}

/* Points <dir>/current at checkouts/<sha> (rename of a fresh symlink), then
 * deletes every checkout but the new one and the one `current` named before. */
static int swap_current(struct git_source *s, const char *sha, struct kerr *e)
{
	struct kbuf cur = { 0 }, tmp = { 0 }, target = { 0 }, p = { 0 };
	char prev[128] = "";
	ssize_t n;
	DIR *d = NULL;
	struct dirent *de;
	int rc = 0;

	if (kbuf_printf(&cur, "%s/current", s->dir) ||
	    kbuf_printf(&tmp, "%s/.current-%ld", s->dir, (long)getpid()) ||
	    kbuf_printf(&target, "checkouts/%s", sha)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	n = readlink(cur.data, prev, sizeof(prev) - 1);
	prev[n > 0 ? n : 0] = '\0';
	unlink(tmp.data);
	if (symlink(target.data, tmp.data) != 0 || rename(tmp.data, cur.data) != 0) {
		rc = kerr_set(e, KAIRN_EIO, "%s: %s", cur.data, strerror(errno));
		unlink(tmp.data);
		goto out;
	}
	kbuf_reset(&p);
	if (kbuf_printf(&p, "%s/checkouts", s->dir) || !(d = opendir(p.data)))
		goto out; /* cleaning is best effort */
	while ((de = readdir(d))) {
		const char *nm = de->d_name;

		if (!strcmp(nm, ".") || !strcmp(nm, "..") || !strcmp(nm, sha) ||
		    (strncmp(prev, "checkouts/", 10) == 0 && !strcmp(nm, prev + 10)))
			continue;
		kbuf_reset(&p);
		if (kbuf_printf(&p, "%s/checkouts/%s", s->dir, nm) == 0 && rm_rf(p.data) != 0)
			log_warn("git: cannot remove old checkout %s: %s", p.data, strerror(errno));
	}
out:
	if (d)
		closedir(d);
	kbuf_free(&cur);
	kbuf_free(&tmp);
	kbuf_free(&target);
	kbuf_free(&p);
	return rc;
}

/* Fills rev from commit and checks opts.path is a directory in its tree. */
static int describe(struct git_source *s, git_commit *commit, const char *sha,
		    struct git_revision *rev, struct kerr *e)
{
	const char *summary = git_commit_summary(commit);
	const git_signature *who = git_commit_author(commit);
	git_tree *tree = NULL;
	git_tree_entry *ent = NULL;
	struct kbuf b = { 0 };
	int rc = 0;

	memcpy(rev->sha, sha, sizeof(rev->sha));
	rev->time = (int64_t)who->when.time;
	if (kbuf_printf(&b, "%s/checkouts/%s", s->dir, sha) || !(rev->checkout_root = kbuf_steal(&b)) ||
	    kbuf_printf(&b, "%s%s%s", rev->checkout_root, *s->path ? "/" : "", s->path) ||
	    !(rev->worktree_path = kbuf_steal(&b)) || !(rev->summary = strdup(summary ? summary : "")) ||
	    kbuf_printf(&b, "%s <%s>", who->name ? who->name : "", who->email ? who->email : "") ||
	    !(rev->author = kbuf_steal(&b))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (!*s->path)
		goto out;
	if (git_commit_tree(&tree, commit) < 0) {
		rc = kerr_set(e, KAIRN_EIO, "commit %.12s: %s", sha, git_error_last()->message);
		goto out;
	}
	if (git_tree_entry_bypath(&ent, tree, s->path) < 0)
		rc = kerr_set(e, KAIRN_ENOTFOUND, "path '%s' not found at commit %.12s of %s", s->path,
			      sha, s->shown);
	else if (git_tree_entry_type(ent) != GIT_OBJECT_TREE)
		rc = kerr_set(e, KAIRN_EINVAL, "path '%s' at commit %.12s of %s is not a directory",
			      s->path, sha, s->shown);
out:
	git_tree_entry_free(ent);
	git_tree_free(tree);
	kbuf_free(&b);
	return rc;
}

static int lock_cache(struct git_source *s, int *fd, struct kerr *e)
{
	struct kbuf p = { 0 };
	int rc = 0;

	if (kbuf_printf(&p, "%s/lock", s->dir))
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	*fd = open(p.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (*fd < 0 || flock(*fd, LOCK_EX) != 0)
		rc = kerr_set(e, KAIRN_EIO, "lock %s: %s", p.data, strerror(errno));
	kbuf_free(&p);
	return rc;
}

/* A full SHA we already have needs no fetch: commits never change. */
static int have_commit(struct git_source *s)
{
	git_repository *repo = NULL;
	git_commit *c = NULL;
	git_oid oid;
	int have = 0;

	if (is_hex(s->ref, GIT_OID_HEXSZ, GIT_OID_HEXSZ) && git_oid_fromstr(&oid, s->ref) == 0 &&
	    git_repository_open_bare(&repo, s->repo_path) == 0)
		have = git_commit_lookup(&c, repo, &oid) == 0;
	git_commit_free(c);
	git_repository_free(repo);
	return have;
}

/* One sync attempt, under the lock. */
static int sync_locked(struct git_source *s, struct git_revision *rev, struct kerr *e)
{
	struct git_fetch_job job = { s->url, s->shown, s->repo_path, &s->auth, &s->where,
				     s->timeout_sec };
	git_repository *repo = NULL;
	git_commit *commit = NULL;
	git_oid oid;
	char sha[GIT_OID_HEXSZ + 1];
	int rc;

	if (!have_commit(s)) {
		if ((rc = git_fetch_run(&job, e)))
			goto out;
		rev->fetched = 1;
	}
	if (git_repository_open_bare(&repo, s->repo_path) < 0) {
		rc = kerr_set(e, KAIRN_EIO, "cache %s: %s", s->repo_path, git_error_last()->message);
		goto out;
	}
	if ((rc = resolve_ref(s, repo, &oid, e)))
		goto out;
	git_oid_tostr(sha, sizeof(sha), &oid);
	if (git_commit_lookup(&commit, repo, &oid) < 0) {
		rc = kerr_set(e, KAIRN_EIO, "commit %s: %s", sha, git_error_last()->message);
		goto out;
	}
	if ((rc = describe(s, commit, sha, rev, e)) ||
	    (rc = materialise(s, repo, commit, sha, rev->checkout_root, e)) ||
	    (rc = swap_current(s, sha, e)))
		goto out;
	log_debug("git: %s %s -> %.12s (%s)", s->shown, s->ref, sha, rev->fetched ? "fetched" : "cached");
out:
	git_commit_free(commit);
	git_repository_free(repo);
	return rc;
}

int git_source_sync(struct git_source *s, struct git_revision *rev, struct kerr *e)
{
	char damage[KERR_MSG_MAX + 32];
	int lockfd = -1, rc;

	memset(rev, 0, sizeof(*rev));
	if ((rc = lock_cache(s, &lockfd, e)) || (rc = cache_ensure(s, NULL, e)))
		goto out;
	rc = sync_locked(s, rev, e);
	/* KAIRN_EIO is the cache itself failing (a damaged object, pack or
	 * ref that the checks above cannot see without reading everything):
	 * clone again, once. Remote errors have their own codes. */
	if (rc == KAIRN_EIO) {
		snprintf(damage, sizeof(damage), "is damaged (%s)", e->msg);
		git_revision_free(rev);
		kerr_clear(e);
		if ((rc = cache_ensure(s, damage, e)) == 0)
			rc = sync_locked(s, rev, e);
	}
out:
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}
