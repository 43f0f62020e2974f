/*
 * ignore.h — .kairnignore, gitignore-style: which files and directories of a
 * manifest directory the loader skips.
 *
 * Syntax (a subset of gitignore): one pattern per line; blank lines and
 * lines starting '#' are ignored ("\#" for a literal '#'); trailing spaces
 * are dropped; "!pattern" re-includes what an earlier pattern excluded (but
 * nothing inside an excluded directory: it is not entered); "pattern/"
 * matches directories only; a pattern with a '/' anywhere but at its end is
 * relative to the directory holding the .kairnignore, one without matches a
 * name at any depth; '*', '?' and "[a-z]" never match '/'; a "**" component
 * matches any number of directories (leading, trailing or in the middle of a
 * pattern). The last matching pattern decides.
 * Only the .kairnignore at the root of the loaded directory is read.
 */
#ifndef KAIRN_MANIFEST_IGNORE_H
#define KAIRN_MANIFEST_IGNORE_H

struct kerr;
struct manifest_ignore;

/* Reads the patterns of path. A missing file is no error: *out = NULL
 * (which matches nothing). */
int manifest_ignore_load(const char *path, struct manifest_ignore **out, struct kerr *e);
/* 1 if rel (relative to the .kairnignore's directory, '/' separated, no
 * leading '/') is ignored; is_dir says whether it names a directory. */
int manifest_ignore_match(const struct manifest_ignore *ig, const char *rel, int is_dir);
void manifest_ignore_free(struct manifest_ignore *ig);

#endif
