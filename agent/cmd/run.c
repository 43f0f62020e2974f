/*
 * cmd/run.c — `kairn run`: the in-cluster agent. Parses flags (the source
 * flags are the shared ones of sync and diff, cmd/common.h), installs the
 * signal handlers and hands over to agent/daemon.
 *
 * Signals: SIGTERM and SIGINT write one byte to a self-pipe whose read end is
 * daemon_opts.stop_fd; the daemon finishes its current step, releases the
 * Lease and returns. The write end's descriptor is the only global the
 * handler needs (a handler cannot be given a context), it is set before the
 * handlers are installed and reset after they are restored; write(2) is
 * async-signal-safe. SIGPIPE is ignored (a peer closing a socket is an error
 * return, not a death).
 *
 * Memory: `kairn run` tunes glibc's malloc (mallopt, a process setting made
 * before any thread starts; see tune_malloc).
 */
#include "cli.h"
#include "common.h"
#include "daemon/config.h"
#include "daemon/daemon.h"
#include "util/fsutil.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char cmd_run_usage[] =
	"Usage: kairn run [source flags] [--interval 3m] [--listen :8080] [flags]\n"
	"\n"
	"Runs the agent: syncs on start, every interval and on each verified webhook push\n"
	"to the branch or tag a source follows;\n"
	"watches every managed type and re-applies a drifted object within a second\n"
	"(self-heal, with per-object backoff against a fighting writer); serves /healthz,\n"
	"/readyz, /metrics and POST /webhook. SIGTERM finishes the current step, releases\n"
	"the Lease and exits 0.\n"
	"\n"
	"      --interval DUR             time between syncs (default 3m)\n"
	"      --listen ADDR              HTTP address (default :8080)\n"
	"      --port-file F              write the bound HTTP port to F (with --listen :0)\n"
	"      --webhook-secret-file F    GitHub HMAC secret / GitLab token (no file: webhooks refused)\n"
	"      --no-self-heal             only sync on interval and webhook\n"
	"      --leader-elect             only the holder of a Lease writes\n"
	"      --lease-name NAME          Lease name (default kairn-leader)\n"
	"      --lease-namespace NS       Lease namespace (default kairn-system)\n"
	"      --lease-duration DUR       Lease duration (default 15s; renewed every third of it)\n"
	"      --identity ID              this replica in the Lease (default $POD_NAME, else host-pid)\n"
	"      --config F                 several sources from a YAML file instead of --repo/--dir:\n"
	"                                 sources: [{name, repo|dir, ref, path, recurse, namespace,\n"
	"                                 prune, selfHeal, interval}]; the Git credential, cache and\n"
	"                                 prune-limit flags below apply to every source\n"
	"\n" SOURCE_FLAGS_HELP;

enum { O_INTERVAL = 1, O_LISTEN, O_PORT_FILE, O_SECRET, O_NO_HEAL, O_LEADER, O_LEASE_NAME,
       O_LEASE_NS, O_LEASE_DUR, O_IDENTITY, O_CONFIG };

static int signal_pipe_wr = -1; /* the signal handler's only state; see the header comment */

static void on_signal(int sig)
{
	int saved = errno;
	ssize_t w = write(signal_pipe_wr, "s", 1);

	(void)sig;
	(void)w;
	errno = saved;
}

static int parse_duration(const char *flag, const char *v, int64_t *ms)
{
	if (time_parse_duration_ms(v, ms) || *ms <= 0)
		return cli_usage_error("run", "--%s: \"%s\" is not a duration like 30s or 3m", flag, v);
	return 0;
}

struct run_flags {
	struct daemon_opts d;
	struct daemon_source src;
	const char *secret_file, *config;
	struct daemon_source *many; /* from --config */
	int64_t lease_ms;
	char identity[HOST_NAME_MAX + 32];
};

static int parse(int argc, char **argv, struct run_flags *r, struct source_flags *f)
{
	static const struct option own[] = {
		{ "interval", required_argument, NULL, O_INTERVAL },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "port-file", required_argument, NULL, O_PORT_FILE },
		{ "webhook-secret-file", required_argument, NULL, O_SECRET },
		{ "no-self-heal", no_argument, NULL, O_NO_HEAL },
		{ "leader-elect", no_argument, NULL, O_LEADER },
		{ "lease-name", required_argument, NULL, O_LEASE_NAME },
		{ "lease-namespace", required_argument, NULL, O_LEASE_NS },
		{ "lease-duration", required_argument, NULL, O_LEASE_DUR },
		{ "identity", required_argument, NULL, O_IDENTITY },
		{ "config", required_argument, NULL, O_CONFIG },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct option *opts = source_flags_options(own);
	int c, rc = 0;

	if (!opts)
		return KAIRN_EXIT_ERROR;
	optind = 1;
	while (!rc && (c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case O_INTERVAL: rc = parse_duration("interval", optarg, &r->d.interval_ms); break;
		case O_LISTEN: r->d.listen = optarg; break;
		case O_PORT_FILE: r->d.port_file = optarg; break;
		case O_SECRET: r->secret_file = optarg; break;
		case O_NO_HEAL: r->src.self_heal = 0; break;
		case O_LEADER: r->d.leader_elect = 1; break;
		case O_LEASE_NAME: r->d.lease.name = optarg; break;
		case O_LEASE_NS: r->d.lease.namespace = optarg; break;
		case O_LEASE_DUR: rc = parse_duration("lease-duration", optarg, &r->lease_ms); break;
		case O_IDENTITY: r->d.lease.identity = optarg; break;
		case O_CONFIG: r->config = optarg; break;
		case 'h': rc = -1; break;
		default:
			rc = source_flags_handle(f, c, optarg, "run");
			if (rc == 1)
				rc = 0;
			else if (rc == 0)
				rc = cli_usage_error("run", "unknown flag");
		}
	}
	free(opts);
	if (rc == -1)
		return cli_print_help("run") == 0 ? -1 : KAIRN_EXIT_USAGE;
	if (!rc && optind < argc)
		rc = cli_usage_error("run", "unexpected argument \"%s\"", argv[optind]);
	return rc;
}

static void default_identity(struct run_flags *r)
{
	const char *pod = getenv("POD_NAME");
	char host[HOST_NAME_MAX + 1] = "kairn";

	if (r->d.lease.identity)
		return;
	if (pod && *pod) {
		r->d.lease.identity = pod;
		return;
	}
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	snprintf(r->identity, sizeof(r->identity), "%s-%ld", host, (long)getpid());
	r->d.lease.identity = r->identity;
}

/* One daemon_source per config entry: the command line's credentials, cache
 * and prune limits, the entry's location and settings. */
static int config_sources(struct run_flags *r, const struct source_flags *f,
			  const struct daemon_config *cfg, struct kerr *e)
{
	r->many = calloc(cfg->n, sizeof(*r->many));
	if (!r->many)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < cfg->n; i++) {
		const struct daemon_config_source *c = &cfg->sources[i];
		struct daemon_source *d = &r->many[i];

		d->src = f->src;
		d->sync = f->sync;
		d->src.name = c->name;
		d->src.git.url = c->repo;
		d->src.git.ref = c->ref;
		d->src.git.path = c->path;
		d->src.dir = c->dir;
		d->src.recurse = c->recurse;
		d->sync.source = c->name;
		d->sync.hooks.source = c->name;
		if (c->ns)
			d->sync.default_ns = c->ns;
		d->sync.prune = c->prune;
		d->interval_ms = c->interval_ms;
		d->self_heal = c->self_heal && r->src.self_heal;
	}
	r->d.sources = r->many;
	r->d.n_sources = cfg->n;
	return 0;
}

/* An agent idles for minutes between syncs; what malloc keeps then is RSS.
 * - glibc raises its mmap threshold to the largest block freed (up to 32 MB)
 *   and its trim threshold to twice that, so after one sync freed a multi-MB
 *   LIST, later syncs' buffers came from the heap and a free top below the
 *   raised threshold stayed resident (~2 MB more after every later sync).
 *   Setting them fixes them: big buffers are mapped and unmapped on their
 *   own, and a free top over 128 KB goes back at once.
 * - One arena: a thread's own arena gets its top trimmed only when a large
 *   free happens to merge into it, never by malloc_trim, so a watch relist
 *   sometimes left ~2 MB resident in the watch thread's arena. The agent's
 *   threads mostly sleep; sharing one arena costs nothing measurable.
 * A process setting, made here before any thread starts because only this
 * command runs for days. */
static void tune_malloc(void)
{
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	mallopt(M_TRIM_THRESHOLD, 128 * 1024);
	mallopt(M_ARENA_MAX, 1);
}

/* daemon_opts.sync_client: every sync gets a fresh client, as kairn sync would. */
static int open_sync_client(const void *ctx, struct kube_client **out, struct kerr *e)
{
	return cli_kube_connect(ctx, out, e);
}

static int install_signals(int wr, struct sigaction old[2])
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sigaction ign = { .sa_handler = SIG_IGN };

	signal_pipe_wr = wr;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&ign.sa_mask);
	sigaction(SIGPIPE, &ign, NULL);
	if (sigaction(SIGTERM, &sa, &old[0]) || sigaction(SIGINT, &sa, &old[1]))
		return -1;
	return 0;
}

static void restore_signals(struct sigaction old[2])
{
	sigaction(SIGTERM, &old[0], NULL);
	sigaction(SIGINT, &old[1], NULL);
	signal_pipe_wr = -1;
}

int cmd_run(int argc, char **argv, const struct kairn_globals *g)
{
	struct run_flags r = { 0 };
	struct source_flags f;
	struct daemon_config *cfg = NULL;
	struct kube_client *kc = NULL;
	struct sigaction old[2];
	char *secret = NULL;
	size_t secret_len;
	struct kerr e = { 0 };
	int sp[2] = { -1, -1 }, rc, installed = 0;

	tune_malloc();
	r.d.interval_ms = 180000;
	r.d.listen = ":8080";
	r.d.lease.name = "kairn-leader";
	r.d.lease.namespace = "kairn-system";
	r.lease_ms = 15000;
	r.src.self_heal = 1;
	source_flags_init(&f);
	rc = parse(argc, argv, &r, &f);
	if (rc)
		return rc == -1 ? KAIRN_EXIT_OK : rc;
	if (r.config && (f.src.git.url || f.src.dir)) {
		source_flags_free(&f);
		return cli_usage_error("run", "--config and --repo/--dir exclude each other");
	}
	rc = KAIRN_EXIT_ERROR;
	if (cli_kube_connect(g, &kc, &e))
		goto fail;
	/* With --config, source_flags_finish still reads the shared secrets and
	 * derives the shared cache dir; it needs a Git source to do so. This
	 * placeholder is replaced by each entry's repo/dir and never fetched. */
	if (r.config)
		f.src.git.url = "file:///kairn-config-placeholder";
	if ((rc = source_flags_finish(&f, g, kc, "run")))
		goto out;
	rc = KAIRN_EXIT_ERROR;
	if (r.secret_file && fs_read_all(r.secret_file, &secret, &secret_len, &e))
		goto fail;
	while (secret && secret_len && (secret[secret_len - 1] == '\n' || secret[secret_len - 1] == '\r'))
		secret[--secret_len] = '\0';
	r.src.src = f.src;
	r.src.sync = f.sync;
	r.d.sources = &r.src;
	r.d.n_sources = 1;
	if (r.config && (daemon_config_load(r.config, &cfg, &e) || config_sources(&r, &f, cfg, &e)))
		goto fail;
	r.d.webhook_secret = secret;
	r.d.lease.duration_s = (int)((r.lease_ms + 999) / 1000);
	default_identity(&r);
	if (pipe2(sp, O_NONBLOCK | O_CLOEXEC)) {
		kerr_set(&e, KAIRN_EIO, "pipe: %s", strerror(errno));
		goto fail;
	}
	if (install_signals(sp[1], old)) {
		kerr_set(&e, KAIRN_EIO, "sigaction: %s", strerror(errno));
		goto fail;
	}
	installed = 1;
	r.d.stop_fd = sp[0];
	r.d.sync_client = open_sync_client;
	r.d.sync_client_ctx = g;
	if (daemon_run(kc, &r.d, &e))
		goto fail;
	rc = KAIRN_EXIT_OK;
	goto out;
fail:
	fprintf(stderr, "kairn run: %s\n", e.msg);
	rc = KAIRN_EXIT_ERROR;
out:
	if (installed)
		restore_signals(old);
	if (sp[0] >= 0) {
		close(sp[0]);
		close(sp[1]);
	}
	if (secret) {
		explicit_bzero(secret, secret_len);
		free(secret);
	}
	free(r.many);
	daemon_config_free(cfg);
	kube_client_free(kc);
	source_flags_free(&f);
	return rc;
}
