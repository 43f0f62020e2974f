/*
 * bench/manifest_load.c — how fast and how small the manifest loader is:
 * the titan-commerce seed folder with its cells generated (cell-1.yaml
 * copied as generate-cells.sh does) up to OBJECTS objects (default 10,000;
 * 500 cells = 1,015), loaded, validated and namespace-defaulted like
 * `kairn render -R`. Each round runs in a fresh child process so that its
 * peak RSS (wait4 ru_maxrss) is the loader's alone; prints the best time,
 * objects/s, MB/s of YAML and the peak RSS, and exits 1 when the issue's
 * targets (10,000 objects in < 1 s and < 40 MB peak RSS) are missed and
 * KAIRN_BENCH_STRICT=1 (meaningful in a build without sanitizers only).
 * Usage: bench_manifest_load [SEEDS_DIR] [ROUNDS] [OBJECTS]
 * (SEEDS_DIR defaults to $KAIRN_SHARED_DIR/fixtures/seeds, else the
 * shared/ folder beside the source tree.)
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
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

/* Child: one load; exit status 0, or 1 after printing why. Writes the
 * object count and bytes of YAML to fd. */
static int load_once(const char *dir, int fd)
{
	struct manifest_opts o = { .recursive = 1 };
	struct kobj_set *set = NULL;
	struct kerr e;
	unsigned long long out[2] = { 0, 0 };
	int rc = 1;

	kerr_clear(&e);
	if (manifest_load_dir(dir, &o, &set, &e) || manifest_default_namespace(set, "default", NULL, &e)) {
		fprintf(stderr, "bench_manifest_load: %s\n", e.msg);
		goto out;
	}
	out[0] = kobj_set_count(set);
	for (size_t i = 0; i < out[0]; i++) {
		struct stat st;

		if (kobj_set_at(set, i)->doc_index == 0 && stat(kobj_set_at(set, i)->file, &st) == 0)
			out[1] += (unsigned long long)st.st_size;
	}
	rc = write(fd, out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1;
out:
	kobj_set_free(set);
	return rc;
}

int main(int argc, char **argv)
{
	char *seeds, *dir = NULL, *tmpl = NULL, src[PATH_MAX + 64];
	int rounds = argc > 2 ? atoi(argv[2]) : 5, want = argc > 3 ? atoi(argv[3]) : 10000, rc = 1;
	double best = 1e9;
	long peak_kb = 0;
	unsigned long long got[2] = { 0, 0 };
	const char *strict = getenv("KAIRN_BENCH_STRICT");
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

		/* 15 objects outside cells/, 2 per cell */
		if (fs_read_all(src, &tmpl, &len, &e) ||
		    tms_generate_cells(dir, tmpl, want > 17 ? (want - 15 + 1) / 2 : 1))
			goto out;
	}
	for (int r = 0; r < (rounds > 0 ? rounds : 1); r++) {
		struct rusage ru;
		int fds[2], status = 0;
		double t0 = now(), t;
		pid_t pid;

		if (pipe(fds) != 0 || (pid = fork()) < 0) {
			perror("bench_manifest_load");
			goto out;
		}
		if (pid == 0) {
			close(fds[0]);
			_exit(load_once(dir, fds[1]));
		}
		close(fds[1]);
		if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
		    read(fds[0], got, sizeof(got)) != (ssize_t)sizeof(got)) {
			close(fds[0]);
			fprintf(stderr, "bench_manifest_load: the loading child failed\n");
			goto out;
		}
		close(fds[0]);
		t = now() - t0;
		if (t < best)
			best = t;
		if (ru.ru_maxrss > peak_kb)
			peak_kb = ru.ru_maxrss;
	}
	printf("manifest_load: %llu objects, %.2f MB of YAML, best of %d: %.3f s -> %.0f objects/s, "
	       "%.1f MB/s; peak RSS %.1f MB\n",
	       got[0], (double)got[1] / 1e6, rounds, best, (double)got[0] / best,
	       (double)got[1] / 1e6 / best, (double)peak_kb / 1024.0);
	rc = 0;
	if (got[0] >= 10000 && (best >= 1.0 || peak_kb >= 40 * 1024)) {
		printf("manifest_load: target missed (10,000 objects in < 1 s, < 40 MB)\n");
		rc = strict && *strict == '1';
	}
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
