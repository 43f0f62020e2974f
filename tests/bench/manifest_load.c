/*
 * bench/manifest_load.c — how fast the manifest loader is: the
 * titan-commerce seed folder with all 500 cells generated (1015 objects),
 * loaded and validated repeatedly; prints objects/s and MB/s of YAML.
 * Usage: bench_manifest_load [SEEDS_DIR] [ROUNDS]
 * (SEEDS_DIR defaults to $KAIRN_SHARED_DIR/fixtures/seeds, else the
 * shared/ folder beside the source tree.)
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* test_manifest_support.h finds the seeds relative to the source tree. */
static char source_dir[PATH_MAX];
#define KAIRN_SOURCE_DIR source_dir
#include "../unit/test_manifest_support.h"

#include "manifest/manifest.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char *seeds, *dir = NULL, *tmpl = NULL, src[PATH_MAX + 64];
	int rounds = argc > 2 ? atoi(argv[2]) : 10, rc = 1;
	double best = 1e9, mb = 0;
	size_t objects = 0;
	struct kerr e;
	char *slash;

	snprintf(source_dir, sizeof(source_dir), "%s", __FILE__);
	for (int i = 0; i < 3 && (slash = strrchr(source_dir, '/')); i++)
		*slash = '\0';
	seeds = argc > 1 && *argv[1] ? strdup(argv[1]) : tms_seeds_dir();
	dir = tms_tmpdir();
	if (!seeds || !dir) {
		fprintf(stderr, "bench_manifest_load: seeds not found (give SEEDS_DIR)\n");
		goto out;
	}
	snprintf(src, sizeof(src), "%s/titan-commerce", seeds);
	if (tms_copy_files(src, dir, ""))
		goto copy_failed;
	snprintf(src, sizeof(src), "%s/titan-commerce/cells", seeds);
	if (tms_copy_files(src, dir, "cells"))
		goto copy_failed;
	snprintf(src, sizeof(src), "%s/titan-commerce/cells/cell-1.yaml", seeds);
	{
		size_t len;

		if (fs_read_all(src, &tmpl, &len, &e) || tms_generate_cells(dir, tmpl, 500))
			goto out;
	}
	for (int r = 0; r < (rounds > 0 ? rounds : 1); r++) {
		struct manifest_opts o = { .recursive = 1 };
		struct kobj_set *set = NULL;
		double t0 = now(), t;

		if (manifest_load_dir(dir, &o, &set, &e)) {
			fprintf(stderr, "bench_manifest_load: %s\n", e.msg);
			goto out;
		}
		t = now() - t0;
		if (t < best)
			best = t;
		objects = kobj_set_count(set);
		if (r == 0) {
			for (size_t i = 0; i < objects; i++) {
				struct stat st;

				if (stat(kobj_set_at(set, i)->file, &st) == 0 && kobj_set_at(set, i)->doc_index == 0)
					mb += (double)st.st_size / 1e6;
			}
		}
		kobj_set_free(set);
	}
	printf("manifest_load: %zu objects, %.2f MB of YAML, best of %d: %.4f s -> %.0f objects/s, %.1f MB/s\n",
	       objects, mb, rounds, best, (double)objects / best, mb / best);
	rc = 0;
	goto out;
copy_failed:
	fprintf(stderr, "bench_manifest_load: cannot copy %s into %s\n", src, dir);
out:
	if (dir)
		tms_rmtree(dir);
	free(dir);
	free(tmpl);
	free(seeds);
	return rc;
}
