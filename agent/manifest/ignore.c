/*
 * ignore.c — .kairnignore: gitignore-style patterns that keep files and
 * directories of a manifest directory out of the load.
 *
 * Owns parsing the file and matching relative paths against it. Never reads
 * anything but the one .kairnignore it is given, never touches the files it
 * matches. Matching is per path component with fnmatch(3) ('*', '?', '[...]'
 * never cross a '/'); "**" as a whole component matches any number of
 * directories.
 */
#include "ignore.h"

#include "util/buf.h"
#include "util/err.h"
#include "util/fsutil.h"

#include <errno.h>
#include <fnmatch.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct ignore_rule {
	char **comp;   /* pattern split at '/' */
	size_t ncomp;
	int negate;    /* "!pattern": re-include */
	int dir_only;  /* "pattern/": directories only */
};

struct manifest_ignore {
	struct ignore_rule *rules;
	size_t n;
};

static void rule_free(struct ignore_rule *r)
{
	for (size_t i = 0; i < r->ncomp; i++)
		free(r->comp[i]);
	free(r->comp);
}

void manifest_ignore_free(struct manifest_ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		rule_free(&ig->rules[i]);
	free(ig->rules);
	free(ig);
}

/* Splits p at '/' into r->comp (empty components dropped). */
static int split_components(const char *p, struct ignore_rule *r)
{
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n) {
			char **nc = realloc(r->comp, (r->ncomp + 1) * sizeof(*nc));

			if (!nc)
				return KAIRN_ENOMEM;
			r->comp = nc;
			if (!(r->comp[r->ncomp] = strndup(p, n)))
				return KAIRN_ENOMEM;
			r->ncomp++;
		}
		p += n;
		p += *p == '/';
	}
	return 0;
}

/* One line of the file into a rule; *skip = 1 for blank lines and comments. */
static int parse_line(char *line, struct ignore_rule *r, int *skip)
{
	size_t n = strlen(line);
	const char *p = line;
	int anchored;

	memset(r, 0, sizeof(*r));
	*skip = 0;
	if (n && line[n - 1] == '\r')
		line[--n] = '\0';
	while (n && (line[n - 1] == ' ' || line[n - 1] == '\t') && !(n >= 2 && line[n - 2] == '\\'))
		line[--n] = '\0';
	if (!n || line[0] == '#') {
		*skip = 1;
		return 0;
	}
	if (*p == '!') {
		r->negate = 1;
		p++;
	} else if (*p == '\\' && (p[1] == '#' || p[1] == '!')) {
		p++;
	}
	n = strlen(p);
	if (n && p[n - 1] == '/') {
		r->dir_only = 1;
		line[p - line + (ptrdiff_t)n - 1] = '\0';
	}
	if (!*p || strspn(p, "/") == strlen(p)) {
		*skip = 1; /* "!", "/" alone: nothing to match */
		return 0;
	}
	/* A '/' anywhere but at the end anchors the pattern at the directory
	 * of the .kairnignore; otherwise it matches a name at any depth. */
	anchored = strchr(p, '/') != NULL;
	if (!anchored) {
		char **nc = malloc(sizeof(*nc));

		if (!nc || !(nc[0] = strdup("**"))) {
			free(nc);
			return KAIRN_ENOMEM;
		}
		r->comp = nc;
		r->ncomp = 1;
	}
	return split_components(p, r);
}

int manifest_ignore_load(const char *path, struct manifest_ignore **out, struct kerr *e)
{
	struct manifest_ignore *ig = NULL;
	char *text = NULL, *line, *save = NULL;
	size_t len = 0;
	int rc = 0;

	*out = NULL;
	if (fs_read_all(path, &text, &len, e)) {
		if (e->code == KAIRN_ENOTFOUND || errno == ENOENT) {
			kerr_clear(e);
			return 0;
		}
		return e->code;
	}
	if (!(ig = calloc(1, sizeof(*ig)))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct ignore_rule r, *nr;
		int skip;

		if (parse_line(line, &r, &skip) ||
		    (!skip && !(nr = realloc(ig->rules, (ig->n + 1) * sizeof(*nr))))) {
			rule_free(&r);
			rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
			goto out;
		}
		if (skip) {
			rule_free(&r);
			continue;
		}
		ig->rules = nr;
		ig->rules[ig->n++] = r;
	}
	*out = ig;
	ig = NULL;
out:
	manifest_ignore_free(ig);
	free(text);
	return rc;
}

/* Pattern components pc[0..np) against path components of rel (a '/'
 * separated string, no leading '/'). */
static int match_from(char *const *pc, size_t np, const char *rel)
{
	if (np == 0)
		return *rel == '\0';
	if (strcmp(pc[0], "**") == 0) {
		/* zero or more whole components */
		for (const char *p = rel;; p++) {
			if (match_from(pc + 1, np - 1, p))
				return 1;
			p = strchr(p, '/');
			if (!p)
				return np == 1; /* trailing "**": everything below */
		}
	}
	{
		size_t n = strcspn(rel, "/");
		char comp[1024];

		if (!*rel || n >= sizeof(comp))
			return 0;
		memcpy(comp, rel, n);
		comp[n] = '\0';
		if (fnmatch(pc[0], comp, 0) != 0)
			return 0;
		rel += n;
		rel += *rel == '/';
		return match_from(pc + 1, np - 1, rel);
	}
}

int manifest_ignore_match(const struct manifest_ignore *ig, const char *rel, int is_dir)
{
	int ignored = 0;

	if (!ig)
		return 0;
	for (size_t i = 0; i < ig->n; i++) {
		const struct ignore_rule *r = &ig->rules[i];

		if (r->dir_only && !is_dir)
			continue;
		if (match_from(r->comp, r->ncomp, rel))
			ignored = !r->negate;
	}
	return ignored;
}
