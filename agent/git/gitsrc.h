/*
 * gitsrc.h — a Git repository as kairn's source of desired state (libgit2).
 *
 * What it owns: a cache directory per repository URL, holding a bare mirror
 * of the remote's branches and tags and immutable checkouts of commits.
 * What it must never do: log or store a credential (tokens, passwords and
 * passphrases live only in the caller's strings and in the fetch process),
 * follow a symlink out of a checkout (core.symlinks is off: a symlink in the
 * repository becomes a plain file holding the link text), or hang: every
 * fetch runs under a deadline.
 *
 * Lifecycle:
 *
 *     struct git_source_opts o = { .url = "https://host/org/repo.git",
 *                                  .ref = "main", .path = "deploy/prod",
 *                                  .cache_dir = "/var/cache/kairn/git" };
 *     o.auth.password = token;   // HTTPS: token or password
 *     struct git_source *src; struct git_revision rev = { 0 }; struct kerr e;
 *     git_source_open(&src, &o, &e);        // validates, creates the cache
 *     git_source_sync(src, &rev, &e);       // fetch + resolve + checkout
 *     manifest_load_dir(rev.worktree_path, ...);
 *     git_revision_free(&rev);
 *     ...call git_source_sync again on each period or webhook...
 *     git_source_free(src);
 *
 * Cache layout, <cache_dir>/<first 16 hex of sha256(url)>/:
 *     repo.git/            bare repository; refs/heads/... and refs/tags/... mirror
 *                          the remote (pruned), HEAD = the remote's default branch
 *     checkouts/<sha>/     the whole tree of commit <sha> (read-only by contract:
 *                          a directory for a SHA is written once, via rename)
 *     current -> checkouts/<sha>   symlink, swapped atomically after each sync
 *     lock                 flock()ed for the duration of a sync, so two kairn
 *                          processes sharing a cache never interleave
 * git_source_sync keeps the new checkout and the previous one (a caller may
 * still be reading it) and deletes older ones.
 *
 * Damage: under the lock, each sync first checks repo.git (a bare repository
 * whose config kairn.url is this URL without credentials, every ref pointing
 * at an object it has). Anything else — a foreign directory, a cache of
 * another URL, a corrupt ref, lost objects — is logged (warn) and the cache
 * cloned again. A sync that still hits the cache failing (KAIRN_EIO: a
 * damaged pack or blob) clones again once and retries.
 *
 * Ref resolution (git_source_sync): "HEAD" is the remote's default branch;
 * "refs/..." is taken literally; otherwise refs/tags/<ref> then
 * refs/heads/<ref> (git's own rev-parse order); otherwise a 4..40 hex digit
 * commit SHA (or unique prefix) that the fetched refs contain. A full 40-digit
 * SHA already in the cache skips the fetch (commits are immutable). Annotated
 * tags are peeled to their commit.
 *
 * Sources on the same URL share one cache (and its `current`); a checkout
 * returned by a sync stays on disk at least until the sync after the next
 * one on that URL, so load it before syncing that URL twice more.
 *
 * Transports: https:// and http:// (token or user/password), ssh:// and
 * scp-like user@host:path (private key file, known_hosts checked by kairn),
 * git:// (anonymous), file:// and local paths. HTTP credentials are sent
 * preemptively as Basic auth (libgit2 1.5 mis-handles its retry after a 401
 * with a body) and, so that they can never reach another host, a source with
 * HTTP credentials does not follow redirects: give the final URL. HTTPS is
 * verified against the system CAs, or auth.ca_file for a private CA.
 * Shallow clones are not
 * supported by libgit2 1.5 (depth arrived in 1.7): the first fetch downloads
 * the full history of every branch and tag.
 *
 * Concurrency: a struct git_source is used by one thread at a time. libgit2's
 * init/shutdown are reference counted by libgit2: open calls init, free
 * calls shutdown.
 */
#ifndef KAIRN_GIT_GITSRC_H
#define KAIRN_GIT_GITSRC_H

#include <stddef.h>
#include <stdint.h>

struct kerr;

struct git_source_auth {
	/* HTTPS: username for basic auth. With a token as password any
	 * non-empty name works (GitHub "x-access-token", GitLab "oauth2");
	 * NULL means "x-access-token". SSH: the login when the URL has none
	 * (default "git"). */
	const char *username;
	const char *password;         /* HTTPS password or token; NULL = anonymous */
	const char *ssh_key_path;     /* SSH private key file (PEM or OpenSSH format) */
	const char *ssh_passphrase;   /* NULL if the key is not encrypted */
	const char *known_hosts_path; /* NULL = $HOME/.ssh/known_hosts */
	int insecure_ignore_host_key; /* accept any SSH host key (tests, first use) */
	const char *ca_file;          /* HTTPS: PEM CAs trusted besides the system's */
};

struct git_source_opts {
	const char *url;       /* remote URL, never logged with its userinfo */
	const char *ref;       /* branch, tag, SHA or "HEAD"; NULL = "HEAD" */
	const char *path;      /* directory inside the repository; NULL or "" = root */
	const char *cache_dir; /* created if missing */
	struct git_source_auth auth;
	int timeout_sec;       /* deadline for one fetch; 0 = 120 s */
};

/* What git_source_sync produced: plain data owned by the caller. */
struct git_revision {
	char sha[41];        /* full commit id, lowercase hex */
	char *summary;       /* first line of the commit message */
	char *author;        /* "Name <email>" of the commit's author */
	int64_t time;        /* author time, seconds since the epoch (UTC) */
	char *checkout_root; /* <cache>/checkouts/<sha>: the whole tree */
	char *worktree_path; /* checkout_root + "/" + opts.path: load manifests here */
	int fetched;         /* 1 if this sync talked to the remote */
};

struct git_source;

/* Checks the options (URL scheme, ref, path has no "..", credentials fit the
 * transport), calls git_libgit2_init, creates the cache directory (the bare
 * repository is made by the first sync). Does not touch the network. The strings in o
 * are copied. */
int git_source_open(struct git_source **out, const struct git_source_opts *o, struct kerr *e);

/* Fetches (under the deadline), resolves opts.ref, materialises the commit's
 * tree under checkouts/<sha>, swaps `current`, and fills *rev (call
 * git_revision_free on it, also after a failure). Errors name the URL
 * without credentials and are typed: KAIRN_EAUTH (401/403, key refused),
 * KAIRN_ETLS (host key unknown or changed, certificate), KAIRN_ENOTFOUND
 * (ref or path missing), KAIRN_ETIMEOUT, KAIRN_ENET (other transport). */
int git_source_sync(struct git_source *s, struct git_revision *rev, struct kerr *e);

/* Frees what a revision holds (not rev itself) and zeroes it. */
void git_revision_free(struct git_revision *rev);

void git_source_free(struct git_source *s);

/* Reads a secret from a file (a token file, a mounted Secret): the content
 * without trailing newlines and spaces. The error names the path, never the
 * content. *out is malloc'd; wipe-and-free it with git_secret_free. */
int git_secret_read_file(const char *path, char **out, struct kerr *e);
void git_secret_free(char *secret);

/* Writes url into out (size n) with any password or token in its userinfo
 * replaced by "***", for messages and logs. */
void git_url_redact(const char *url, char *out, size_t n);

#endif
