/*
 * textdiff.h — a line-based unified diff ("--- a", "+++ b", "@@ -l,n +l,n @@"
 * hunks with three lines of context), for showing people what a sync would
 * change. Longest-common-subsequence over lines; inputs beyond
 * TEXTDIFF_MAX_CELLS line pairs are shown whole (before, then after).
 */
#ifndef KAIRN_UTIL_TEXTDIFF_H
#define KAIRN_UTIL_TEXTDIFF_H

#include "util/buf.h"

#define TEXTDIFF_MAX_CELLS (16u * 1024u * 1024u)

/* Appends the diff of a (labelled la) against b (lb) to out. Nothing is
 * appended when the texts are equal. */
int text_diff_unified(const char *a, const char *b, const char *la, const char *lb,
		      struct kbuf *out);

#endif
