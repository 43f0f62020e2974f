/*
 * bench/peak_rss.c — runs a command and reports what it cost: wall time,
 * CPU time, and peak memory split the way the kernel accounts it. Used by
 * sync_bench.sh for kairn, kubectl and kpt alike.
 *
 *   bench_peak_rss OUTFILE CMD [ARGS...]
 *
 * Runs CMD (stdin, stdout, stderr inherited), samples /proc/PID/status every
 * millisecond while it runs, and writes one line to OUTFILE:
 *
 *   exit wall_s cpu_s maxrss_kb anon_peak_kb file_peak_kb
 *
 * maxrss_kb is the kernel's high-water mark (getrusage ru_maxrss, what
 * /usr/bin/time %M prints): RssAnon + RssFile + RssShmem at their common
 * peak. anon_peak_kb and file_peak_kb are the highest RssAnon (heap, stacks:
 * the process's own memory) and RssFile (mapped files: the executable and
 * shared libraries, shared with every other process using them) seen by
 * sampling, so a peak shorter than a millisecond may be missed; maxrss is
 * exact. Exit status: CMD's (128+signal if killed), 127 if it could not run.
 * Never kills anything; never a ctest test.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads RssAnon and RssFile (kB) of pid; 0 when it has gone. */
static void sample(pid_t pid, long *anon, long *file)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		long v;

		if (sscanf(line, "RssAnon: %ld", &v) == 1 && v > *anon)
			*anon = v;
		else if (sscanf(line, "RssFile: %ld", &v) == 1 && v > *file)
			*file = v;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct timespec tick = { 0, 1000000 };
	struct rusage ru;
	long anon = 0, file = 0;
	double t0, wall;
	int status = 0, code;
	pid_t pid, r;
	FILE *out;

	if (argc < 3) {
		fprintf(stderr, "usage: bench_peak_rss OUTFILE CMD [ARGS...]\n");
		return 2;
	}
	t0 = now_s();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		fprintf(stderr, "bench_peak_rss: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	for (;;) {
		r = wait4(pid, &status, WNOHANG, &ru);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			perror("wait4");
			return 127;
		}
		sample(pid, &anon, &file);
		nanosleep(&tick, NULL);
	}
	wall = now_s() - t0;
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 127;
	}
	fprintf(out, "%d %.3f %.3f %ld %ld %ld\n", code, wall,
		(double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
			(double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6,
		ru.ru_maxrss, anon, file);
	fclose(out);
	return code;
}
