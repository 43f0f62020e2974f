/*
 * kustomize.c — a directory with a kustomization file, rendered by
 * `kubectl kustomize DIR` into one YAML stream for the loader.
 *
 * Owns running kubectl (KAIRN_KUBECTL, else "kubectl" on PATH) with its
 * output captured, under a deadline. Never runs a shell, never passes
 * anything but the directory as an argument, never waits without bound:
 * a kubectl still running at the deadline is killed.
 */
#include "kustomize.h"

#include "util/buf.h"
#include "util/err.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define KUSTOMIZE_TIMEOUT_MS 120000
#define KUSTOMIZE_MAX_OUTPUT (256u << 20)
#define KUSTOMIZE_MAX_STDERR 4096

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads what is ready on fd into b (up to cap); 1 = EOF. */
static int drain(int fd, struct kbuf *b, size_t cap, int *oom)
{
	char chunk[16384];
	ssize_t n = read(fd, chunk, sizeof(chunk));

	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 0 : 1;
	if (n == 0)
		return 1;
	if (b->len < cap && kbuf_append(b, chunk, (size_t)n))
		*oom = 1;
	return 0;
}

/* The first line of kubectl's complaint, for the message. */
static const char *first_line(struct kbuf *b)
{
	char *nl;

	if (!b->data)
		return "no message";
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == ' '))
		b->data[--b->len] = '\0';
	nl = strrchr(b->data, '\n');
	/* kubectl ends with the line that matters ("error: ...") */
	return nl ? nl + 1 : b->data;
}

int manifest_kustomize(const char *dir, char **out, size_t *out_len, struct kerr *e)
{
	const char *env = getenv("KAIRN_KUBECTL");
	const char *kubectl = env && *env ? env : "kubectl";
	char *argv[] = { (char *)kubectl, "kustomize", (char *)dir, NULL };
	posix_spawn_file_actions_t fa;
	struct kbuf o = { 0 }, er = { 0 };
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 }, open_fds = 2, oom = 0, status = 0, rc = 0;
	long long deadline = now_ms() + KUSTOMIZE_TIMEOUT_MS;
	pid_t pid = -1;

	*out = NULL;
	*out_len = 0;
	if (pipe(outp) || pipe(errp)) {
		rc = kerr_set(e, KAIRN_EIO, "%s: kubectl kustomize: pipe: %s", dir, strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	posix_spawn_file_actions_addclose(&fa, outp[0]);
	posix_spawn_file_actions_addclose(&fa, errp[0]);
	errno = posix_spawnp(&pid, kubectl, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(outp[1]);
	close(errp[1]);
	outp[1] = errp[1] = -1;
	if (errno) {
		pid = -1;
		rc = kerr_set(e, errno == ENOENT ? KAIRN_ENOTFOUND : KAIRN_EIO,
			      "%s: has a kustomization file; kairn renders it with `kubectl kustomize`, "
			      "but %s cannot be run: %s (install kubectl or set KAIRN_KUBECTL)",
			      dir, kubectl, strerror(errno));
		goto out;
	}
	while (open_fds > 0) {
		struct pollfd p[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
		long long left = deadline - now_ms();
		int pr;

		if (left <= 0) {
			kill(pid, SIGKILL);
			rc = kerr_set(e, KAIRN_ETIMEOUT, "%s: kubectl kustomize did not finish within %d s",
				      dir, KUSTOMIZE_TIMEOUT_MS / 1000);
			goto out;
		}
		pr = poll(p, 2, (int)(left > 1000 ? 1000 : left));
		if (pr < 0 && errno != EINTR) {
			rc = kerr_set(e, KAIRN_EIO, "%s: kubectl kustomize: poll: %s", dir, strerror(errno));
			goto out;
		}
		for (int i = 0; i < 2 && pr > 0; i++) {
			int *fd = i == 0 ? &outp[0] : &errp[0];

			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			if (drain(*fd, i == 0 ? &o : &er,
				  i == 0 ? KUSTOMIZE_MAX_OUTPUT : KUSTOMIZE_MAX_STDERR, &oom)) {
				close(*fd);
				*fd = -1;
				open_fds--;
			}
		}
		if (oom) {
			kill(pid, SIGKILL);
			rc = kerr_set(e, KAIRN_ENOMEM, "%s: kubectl kustomize: out of memory", dir);
			goto out;
		}
		if (o.len >= KUSTOMIZE_MAX_OUTPUT) {
			kill(pid, SIGKILL);
			rc = kerr_set(e, KAIRN_EINVAL, "%s: kubectl kustomize printed more than %u MB", dir,
				      KUSTOMIZE_MAX_OUTPUT >> 20);
			goto out;
		}
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && er.len == 0) {
		/* the exec failed in the child (seen where spawn cannot report it) */
		rc = kerr_set(e, KAIRN_ENOTFOUND,
			      "%s: has a kustomization file; kairn renders it with `kubectl kustomize`, "
			      "but %s cannot be run (install kubectl or set KAIRN_KUBECTL)", dir, kubectl);
		goto out;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		rc = kerr_set(e, KAIRN_EINVAL, "%s: kubectl kustomize failed (%s %d): %s", dir,
			      WIFEXITED(status) ? "exit" : "signal",
			      WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), first_line(&er));
		goto out;
	}
	*out_len = o.len;
	*out = o.data ? kbuf_steal(&o) : strdup("");
	if (!*out)
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
out:
	if (pid > 0)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	for (int i = 0; i < 2; i++) {
		if (outp[i] >= 0)
			close(outp[i]);
		if (errp[i] >= 0)
			close(errp[i]);
	}
	kbuf_free(&o);
	kbuf_free(&er);
	return rc;
}
