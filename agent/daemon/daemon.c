/*
 * daemon.c — see daemon.h. Threads: the main loop (schedule, syncs) runs on
 * the caller's thread; the Lease is renewed by its own thread so that a long
 * sync (hooks may wait minutes) never lets it expire under us; the HTTP
 * server and self-heal have theirs. Shared state: the metrics registry
 * (locked), `synced`, `standby` and `leader` (atomics), and the pending
 * triggers (trig_mu): a webhook records its ref, a change of leadership asks
 * for every source, and either writes one byte to wake[1].
 */
#include "daemon.h"
#include "daemon/http.h"
#include "daemon/metrics.h"
#include "daemon/selfheal.h"
#include "util/fsutil.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct source_state {
	const struct daemon_source *cfg;
	struct sync_source *src;
	struct selfheal *heal;
	int64_t next_ms;    /* next sync due (monotonic) */
	int64_t backoff_ms; /* after a failure */
	char last_commit[41];
	int synced_once;
};

struct daemon {
	struct kube_client *kc;
	const struct daemon_opts *o;
	struct metrics *m;
	struct metric_family *syncs, *duration, *objects, *corrections, *backoffs, *hook_runs,
		*api_requests, *api_retries, *api_errors, *last_success, *last_commit, *leader_g, *webhooks,
		*managed;
	struct kube_client_stats seen; /* kube stats already added to the counters */
	struct daemon_http *http;
	int wake[2];
	pthread_mutex_t trig_mu;  /* guards the pending triggers below */
	char *trig_refs[DAEMON_MAX_PENDING_REFS]; /* pushed refs not yet handled */
	size_t n_trig;
	int trig_all;             /* sync every source (leadership, overflow) */
	int synced;         /* atomic: sources that synced successfully at least once */
	int standby;        /* atomic: a follower that read the Lease (it is someone else's) */
	int leader;         /* atomic: written by the lease thread */
	pthread_mutex_t lease_mu; /* lease thread's sleep */
	pthread_cond_t lease_cv;
	int lease_stop;     /* under lease_mu */
	struct kube_resource lease_res;
	int have_lease_res;
	struct source_state *st;
};

/* ---- metrics ------------------------------------------------------------- */

static int register_metrics(struct daemon *d)
{
	static const char *const src[] = { "source", NULL };
	static const char *const src_result[] = { "source", "result", NULL };
	static const char *const src_state[] = { "source", "state", NULL };
	static const char *const src_kind_result[] = { "source", "kind", "result", NULL };
	static const char *const src_commit[] = { "source", "commit", NULL };
	static const char *const result[] = { "result", NULL };
	static const char *const none[] = { NULL };
	static const double buckets[] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300 };
	struct metrics *m = d->m;

	d->syncs = metrics_register(m, "kairn_syncs_total", "Syncs by source and result.",
				    METRIC_COUNTER, src_result, NULL, 0);
	d->duration = metrics_register(m, "kairn_sync_duration_seconds", "Duration of a sync.",
				       METRIC_HISTOGRAM, src, buckets, sizeof(buckets) / sizeof(*buckets));
	d->objects = metrics_register(m, "kairn_objects", "Objects of the last sync plan by state.",
				      METRIC_GAUGE, src_state, NULL, 0);
	d->managed = metrics_register(m, "kairn_selfheal_objects", "Objects watched for drift.",
				      METRIC_GAUGE, src, NULL, 0);
	d->corrections = metrics_register(m, "kairn_drift_corrections_total",
					  "Drifted objects re-applied by self-heal.", METRIC_COUNTER,
					  src_kind_result, NULL, 0);
	d->backoffs = metrics_register(m, "kairn_drift_backoffs_total",
				       "Corrections delayed because another writer keeps changing an object.",
				       METRIC_COUNTER, src, NULL, 0);
	d->hook_runs = metrics_register(m, "kairn_hook_runs_total", "Hook runs by result.",
					METRIC_COUNTER, src_result, NULL, 0);
	d->api_requests = metrics_register(m, "kairn_kube_requests_total",
					   "Kubernetes API requests sent, retries included.",
					   METRIC_COUNTER, none, NULL, 0);
	d->api_retries = metrics_register(m, "kairn_kube_retries_total",
					  "Kubernetes API requests retried.", METRIC_COUNTER, none, NULL, 0);
	d->api_errors = metrics_register(m, "kairn_kube_errors_total",
					 "Kubernetes API requests that finally failed.", METRIC_COUNTER,
					 none, NULL, 0);
	d->last_success = metrics_register(m, "kairn_last_sync_success_timestamp_seconds",
					   "Unix time of the last successful sync.", METRIC_GAUGE, src,
					   NULL, 0);
	d->last_commit = metrics_register(m, "kairn_last_sync_commit_info",
					  "1 for the commit of the last successful sync.", METRIC_GAUGE,
					  src_commit, NULL, 0);
	d->leader_g = metrics_register(m, "kairn_leader", "1 while this replica holds the Lease.",
				     METRIC_GAUGE, none, NULL, 0);
	d->webhooks = metrics_register(m, "kairn_webhook_pushes_total",
				       "Authentic webhook pushes received.", METRIC_COUNTER, result, NULL, 0);
	if (!d->syncs || !d->duration || !d->objects || !d->managed || !d->corrections ||
	    !d->backoffs || !d->hook_runs || !d->api_requests || !d->api_retries || !d->api_errors ||
	    !d->last_success || !d->last_commit || !d->leader_g || !d->webhooks)
		return KAIRN_ENOMEM;
	return 0;
}

static void add_api_metrics(struct daemon *d, const struct kube_client_stats *now,
			    const struct kube_client_stats *before)
{
	metrics_add(d->api_requests, NULL, (double)(now->requests - before->requests));
	metrics_add(d->api_retries, NULL, (double)(now->retries - before->retries));
	metrics_add(d->api_errors, NULL, (double)(now->errors - before->errors));
}

static void update_api_metrics(struct daemon *d)
{
	struct kube_client_stats s;

	kube_client_stats(d->kc, &s);
	add_api_metrics(d, &s, &d->seen);
	d->seen = s;
}

/* ---- HTTP callbacks (server thread) -------------------------------------- */

/* Ready: every source synced once. A follower is ready as a standby once it
 * has read the Lease, or a Deployment's rollout would wait forever for it. */
static int is_ready(void *ctx)
{
	struct daemon *d = ctx;

	if (d->o->leader_elect && !__atomic_load_n(&d->leader, __ATOMIC_ACQUIRE))
		return __atomic_load_n(&d->standby, __ATOMIC_ACQUIRE);
	return (size_t)__atomic_load_n(&d->synced, __ATOMIC_ACQUIRE) == d->o->n_sources;
}

/* Records a trigger and wakes the main loop. ref NULL: every source. */
static void trigger(struct daemon *d, const char *ref)
{
	char *copy = ref ? strdup(ref) : NULL;
	ssize_t w;

	pthread_mutex_lock(&d->trig_mu);
	if (!copy || d->n_trig == DAEMON_MAX_PENDING_REFS) {
		d->trig_all = 1;
		free(copy);
	} else {
		d->trig_refs[d->n_trig++] = copy;
	}
	pthread_mutex_unlock(&d->trig_mu);
	w = write(d->wake[1], "w", 1); /* non-blocking: a full pipe already means "wake up" */
	(void)w;
}

static void on_push(const char *ref, void *ctx)
{
	struct daemon *d = ctx;
	const char *lv[] = { "accepted", NULL };

	metrics_add(d->webhooks, lv, 1);
	trigger(d, ref);
}

int daemon_push_matches(const struct daemon_source *s, const char *ref)
{
	const char *want = s->src.git.ref;

	if (!s->src.git.url || !want || !*want || strcmp(want, "HEAD") == 0)
		return 1; /* a directory, or the default branch: any push may concern it */
	if (strncmp(want, "refs/", 5) == 0)
		return strcmp(want, ref) == 0;
	if ((strncmp(ref, "refs/heads/", 11) == 0 && strcmp(ref + 11, want) == 0) ||
	    (strncmp(ref, "refs/tags/", 10) == 0 && strcmp(ref + 10, want) == 0))
		return 1;
	return 0; /* another branch or tag; a commit SHA never moves */
}

/* ---- leader election ----------------------------------------------------- */

static int lease_path(const struct daemon *d, char *out, size_t n)
{
	return snprintf(out, n, "/apis/coordination.k8s.io/v1/namespaces/%s/leases/%s",
			d->o->lease.namespace, d->o->lease.name) >= (int)n ? KAIRN_EINVAL : 0;
}

/* PUT with the resourceVersion the object carries: 409 if someone wrote first. */
static int lease_put(struct daemon *d, const cJSON *lease, struct kerr *e)
{
	char path[512];
	struct kube_op op = { .kind = KUBE_OP_RAW, .raw_method = "PUT", .raw_path = path, .body = lease };
	int rc;

	if (lease_path(d, path, sizeof(path)))
		return kerr_set(e, KAIRN_EINVAL, "lease name too long");
	rc = kube_run(d->kc, &op, 1, e);
	kube_ops_clear(&op, 1);
	return rc;
}

static int lease_read(struct daemon *d, cJSON **live, struct kerr *e)
{
	int rc;

	*live = NULL;
	if (!d->have_lease_res) {
		if ((rc = kube_resolve(d->kc, "coordination.k8s.io/v1", "Lease", &d->lease_res, e)))
			return rc;
		d->have_lease_res = 1;
	}
	rc = kube_get(d->kc, &d->lease_res, d->o->lease.namespace, d->o->lease.name, live, e);
	return rc == KAIRN_ENOTFOUND ? 0 : rc;
}

/* One election round: read, decide, write. Sets d->leader. */
static void lease_step(struct daemon *d)
{
	cJSON *live = NULL, *want = NULL;
	enum lease_action act;
	struct kerr e = { 0 };
	int was = __atomic_load_n(&d->leader, __ATOMIC_ACQUIRE), now_leader, rc;
	struct kube_write_opts wo = { 0 };

	rc = lease_read(d, &live, &e);
	if (!rc)
		rc = lease_decide(live, &d->o->lease, time(NULL), &act, &want, &e);
	if (!rc && act == LEASE_CREATE)
		rc = kube_create(d->kc, &d->lease_res, d->o->lease.namespace, want, &wo, NULL, &e);
	else if (!rc && (act == LEASE_RENEW || act == LEASE_TAKEOVER))
		rc = lease_put(d, want, &e);
	if (rc == KAIRN_ECONFLICT)
		log_info("leader election: another replica wrote the Lease first; following");
	else if (rc)
		log_warn("leader election: %s", e.msg);
	now_leader = !rc && act != LEASE_FOLLOW;
	__atomic_store_n(&d->standby, !rc && act == LEASE_FOLLOW, __ATOMIC_RELEASE);
	__atomic_store_n(&d->leader, now_leader, __ATOMIC_RELEASE);
	metrics_set(d->leader_g, NULL, now_leader);
	for (size_t i = 0; i < d->o->n_sources; i++)
		if (d->st[i].heal)
			selfheal_set_active(d->st[i].heal, now_leader);
	if (now_leader != was) {
		log_info("leader election: %s (Lease %s/%s, identity %s)",
			 now_leader ? "became the leader" : "not the leader", d->o->lease.namespace,
			 d->o->lease.name, d->o->lease.identity);
		trigger(d, NULL); /* a new leader syncs at once */
	}
	cJSON_Delete(live);
	cJSON_Delete(want);
}

/* Gives the Lease up so that a successor need not wait for it to expire. */
static void lease_release(struct daemon *d)
{
	cJSON *live = NULL, *spec;
	struct kerr e = { 0 };

	if (!__atomic_load_n(&d->leader, __ATOMIC_ACQUIRE) || lease_read(d, &live, &e) || !live)
		goto out;
	if (!lease_is_held_by(live, d->o->lease.identity, time(NULL)))
		goto out;
	spec = cJSON_GetObjectItemCaseSensitive(live, "spec");
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "holderIdentity");
	if (lease_put(d, live, &e))
		log_warn("leader election: releasing the Lease: %s", e.msg);
	else
		log_info("leader election: Lease released");
out:
	__atomic_store_n(&d->leader, 0, __ATOMIC_RELEASE);
	cJSON_Delete(live);
}

/* Renews every duration/3 until told to stop. */
static void *lease_main(void *arg)
{
	struct daemon *d = arg;
	int64_t renew = (d->o->lease.duration_s > 0 ? d->o->lease.duration_s : 15) * 1000 / 3;

	pthread_mutex_lock(&d->lease_mu);
	while (!d->lease_stop) {
		struct timespec ts;

		pthread_mutex_unlock(&d->lease_mu);
		lease_step(d);
		pthread_mutex_lock(&d->lease_mu);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += renew / 1000;
		ts.tv_nsec += (renew % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		while (!d->lease_stop && pthread_cond_timedwait(&d->lease_cv, &d->lease_mu, &ts) == 0)
			;
	}
	pthread_mutex_unlock(&d->lease_mu);
	return NULL;
}

static void lease_thread_stop(struct daemon *d, pthread_t tid)
{
	pthread_mutex_lock(&d->lease_mu);
	d->lease_stop = 1;
	pthread_cond_signal(&d->lease_cv);
	pthread_mutex_unlock(&d->lease_mu);
	pthread_join(tid, NULL);
}

static int may_write(struct daemon *d)
{
	return !d->o->leader_elect || __atomic_load_n(&d->leader, __ATOMIC_ACQUIRE);
}

/* ---- syncing ------------------------------------------------------------- */

static const char *sync_result(int rc)
{
	switch (rc) {
	case 0: return "success";
	case KAIRN_EHOOK: return "hook_failed";
	case KAIRN_EGUARD: return "prune_refused";
	default: return "error";
	}
}

static void record_plan(struct daemon *d, const char *name, const struct sync_plan *p,
			const struct sync_outcome *out)
{
	for (int a = 0; a < SYNC_ACTION_COUNT; a++) {
		const char *lv[] = { name, sync_action_name((enum sync_action)a), NULL };

		metrics_set(d->objects, lv, (double)p->counts[a]);
	}
	for (size_t i = 0; out && i < out->hooks.n; i++) {
		const char *lv[] = { name, out->hooks.runs[i].state == HOOK_SUCCEEDED ? "succeeded" : "failed",
				     NULL };

		metrics_add(d->hook_runs, lv, 1);
	}
}

static void record_success(struct daemon *d, struct source_state *s, const char *commit)
{
	const char *name = s->cfg->src.name;
	const char *lv[] = { name, NULL };

	metrics_set(d->last_success, lv, (double)time(NULL));
	if (strcmp(s->last_commit, commit) != 0) {
		const char *old[] = { name, s->last_commit, NULL }, *cur[] = { name, commit, NULL };

		if (s->last_commit[0] || metrics_get(d->last_commit, old) != 0)
			metrics_set(d->last_commit, old, 0);
		metrics_set(d->last_commit, cur, 1);
		snprintf(s->last_commit, sizeof(s->last_commit), "%s", commit);
	}
	if (!s->synced_once) {
		s->synced_once = 1;
		__atomic_add_fetch(&d->synced, 1, __ATOMIC_RELEASE);
	}
}

/* One sync of one source: load, plan, execute, hand the result to self-heal. */
static int sync_one(struct daemon *d, struct source_state *s, struct kerr *e)
{
	const struct daemon_source *c = s->cfg;
	struct sync_desired *des = NULL;
	struct sync_plan *plan = NULL;
	struct sync_outcome out = { 0 };
	struct sync_opts so = c->sync;
	struct kube_client *kc = d->kc, *own = NULL;
	int rc, executed = 0;

	if (d->o->sync_client && (rc = d->o->sync_client(d->o->sync_client_ctx, &own, e)))
		goto out;
	if (own)
		kc = own;
	if (!s->src && (rc = sync_source_open(&c->src, &s->src, e)))
		goto out;
	if ((rc = sync_source_load(s->src, &des, e)))
		goto out;
	for (size_t i = 0; i < des->n_warnings; i++)
		log_warn("source %s: %s", c->src.name, des->warnings[i]);
	so.commit = des->commit;
	if ((rc = sync_plan_build(kc, des->items, des->n, &so, &plan, e)))
		goto out;
	rc = sync_execute(kc, plan, &so, &out, e);
	executed = 1;
	record_plan(d, c->src.name, plan, &out);
	log_info("sync %s%s%.12s%s%.80s%s%s%s: %zu created, %zu updated, %zu unchanged, %zu pruned in %lld ms%s%s",
		 c->src.name, des->commit[0] ? " at " : "", des->commit, des->summary ? " \"" : "",
		 des->summary ? des->summary : "", des->summary ? "\"" : "", des->author ? " by " : "",
		 des->author ? des->author : "", plan->counts[SYNC_CREATE],
		 plan->counts[SYNC_UPDATE], plan->counts[SYNC_UNCHANGED], plan->counts[SYNC_PRUNE],
		 (long long)out.duration_ms, rc ? ": " : "", rc ? e->msg : "");
	if (rc == 0 || rc == KAIRN_EGUARD) {
		struct kerr he = { 0 };

		record_success(d, s, des->commit);
		if (s->heal && selfheal_update(s->heal, plan, &he))
			log_warn("self-heal %s: %s", c->src.name, he.msg);
	}
out:
	if (executed)
		sync_outcome_free(&out);
	sync_plan_free(plan);
	sync_desired_free(des);
	if (own) {
		struct kube_client_stats st, zero = { 0 };

		kube_client_stats(own, &st);
		add_api_metrics(d, &st, &zero);
		kube_client_free(own);
	}
	return rc;
}

struct sync_job {
	struct daemon *d;
	struct source_state *s;
	struct kerr e;
	int rc;
};

static void *sync_job_main(void *arg)
{
	struct sync_job *j = arg;

	j->rc = sync_one(j->d, j->s, &j->e);
	return NULL;
}

/* Runs sync_one on a thread of its own and waits for it. A sync allocates
 * and frees a great many small blocks; glibc keeps some freed blocks of
 * each size in a cache per thread that malloc_trim does not empty, and
 * they lie all over the heap the sync grew, pinning ~1 MB of pages an idle
 * agent never touches again. The cache goes away with its thread. */
static int sync_isolated(struct daemon *d, struct source_state *s, struct kerr *e)
{
	struct sync_job j = { .d = d, .s = s };
	pthread_t tid;

	if (pthread_create(&tid, NULL, sync_job_main, &j) != 0)
		return sync_one(d, s, e); /* no thread to spare: run it here */
	pthread_join(tid, NULL);
	*e = j.e;
	return j.rc;
}

static void run_sync(struct daemon *d, struct source_state *s)
{
	const char *name = s->cfg->src.name;
	int64_t interval = s->cfg->interval_ms ? s->cfg->interval_ms : d->o->interval_ms;
	int64_t t0 = time_mono_ms();
	struct kerr e = { 0 };
	int rc;

	if (s->heal)
		selfheal_pause(s->heal, 1); /* a prune must not be undone mid-sync */
	rc = sync_isolated(d, s, &e);
	{
		const char *lr[] = { name, sync_result(rc), NULL }, *ls[] = { name, NULL };

		metrics_add(d->syncs, lr, 1);
		metrics_observe(d->duration, ls, (double)(time_mono_ms() - t0) / 1000.0);
	}
	if (rc == 0 || rc == KAIRN_EGUARD) {
		s->backoff_ms = 0;
		s->next_ms = time_mono_ms() + interval;
	} else {
		s->backoff_ms = s->backoff_ms ? s->backoff_ms * 2 : 5000;
		if (s->backoff_ms > interval)
			s->backoff_ms = interval;
		s->next_ms = time_mono_ms() + s->backoff_ms;
		log_error("sync %s failed: %s; retrying in %lld s", name, e.msg,
			  (long long)(s->backoff_ms / 1000));
	}
	if (s->heal)
		selfheal_pause(s->heal, 0);
	update_api_metrics(d);
}

/* ---- main loop ----------------------------------------------------------- */

static int64_t next_wakeup(struct daemon *d, int writer)
{
	int64_t t = time_mono_ms() + 5000; /* refresh API metrics at least this often */

	for (size_t i = 0; writer && i < d->o->n_sources; i++)
		if (d->st[i].next_ms < t)
			t = d->st[i].next_ms;
	return t;
}

static int wait_events(struct daemon *d, int64_t until)
{
	struct pollfd p[2] = { { .fd = d->o->stop_fd, .events = POLLIN }, { .fd = d->wake[0], .events = POLLIN } };
	int64_t ms = until - time_mono_ms();
	char drain[64];

	if (ms < 0)
		ms = 0;
	if (poll(p, 2, (int)ms) < 0 && errno != EINTR)
		log_warn("poll: %s", strerror(errno));
	if (p[0].revents)
		return 1;
	if (p[1].revents & POLLIN) {
		while (read(d->wake[0], drain, sizeof(drain)) > 0)
			;
		pthread_mutex_lock(&d->trig_mu);
		for (size_t i = 0; i < d->o->n_sources; i++) {
			int hit = d->trig_all;

			for (size_t j = 0; j < d->n_trig && !hit; j++)
				hit = daemon_push_matches(&d->o->sources[i], d->trig_refs[j]);
			if (hit)
				d->st[i].next_ms = 0;
		}
		for (size_t j = 0; j < d->n_trig; j++)
			free(d->trig_refs[j]);
		d->n_trig = 0;
		d->trig_all = 0;
		pthread_mutex_unlock(&d->trig_mu);
	}
	return 0;
}

static void loop(struct daemon *d)
{
	for (;;) {
		int writer = may_write(d);

		for (size_t i = 0; writer && i < d->o->n_sources; i++) {
			if (time_mono_ms() < d->st[i].next_ms)
				continue;
			run_sync(d, &d->st[i]);
			if (d->st[i].heal) {
				const char *lv[] = { d->st[i].cfg->src.name, NULL };

				metrics_set(d->managed, lv, (double)selfheal_size(d->st[i].heal));
			}
		}
		update_api_metrics(d);
		/* A sync's plan and the watches' relists are large and short-lived:
		 * give their freed pages back (glibc keeps them per thread arena
		 * otherwise), so an idle agent's memory is its desired set. */
		malloc_trim(0);
		if (wait_events(d, next_wakeup(d, writer)))
			break;
	}
}

static int write_port_file(const char *path, uint16_t port, struct kerr *e)
{
	char buf[16];
	int n = snprintf(buf, sizeof(buf), "%u\n", port);

	return fs_write_atomic(path, buf, (size_t)n, 0644, e);
}

int daemon_run(struct kube_client *kc, const struct daemon_opts *o, struct kerr *e)
{
	struct daemon d = { .kc = kc, .o = o, .wake = { -1, -1 } };
	pthread_t lease_tid;
	int lease_started = 0;
	pthread_condattr_t ca;
	struct daemon_http_opts ho = { .listen = o->listen, .webhook_secret = o->webhook_secret,
				       .ready = is_ready, .on_push = on_push, .ctx = &d };
	int rc = 0;

	if (o->n_sources == 0)
		return kerr_set(e, KAIRN_EINVAL, "no source to sync");
	pthread_mutex_init(&d.lease_mu, NULL);
	pthread_mutex_init(&d.trig_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d.lease_cv, &ca);
	pthread_condattr_destroy(&ca);
	d.st = calloc(o->n_sources, sizeof(*d.st));
	if (!d.st || metrics_new(&d.m) || register_metrics(&d)) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if (pipe2(d.wake, O_NONBLOCK | O_CLOEXEC)) {
		rc = kerr_set(e, KAIRN_EIO, "pipe: %s", strerror(errno));
		goto out;
	}
	for (size_t i = 0; i < o->n_sources; i++) {
		struct selfheal_opts so = {
			.source = o->sources[i].src.name, .corrections = d.corrections, .backoffs = d.backoffs,
			.fight_window_ms = o->heal_fight_window_ms, .backoff_base_ms = o->heal_backoff_base_ms,
			.backoff_max_ms = o->heal_backoff_max_ms,
		};

		d.st[i].cfg = &o->sources[i];
		if (o->sources[i].self_heal && (rc = selfheal_new(kc, &so, &d.st[i].heal, e)))
			goto out;
		if (d.st[i].heal)
			selfheal_set_active(d.st[i].heal, !o->leader_elect);
	}
	ho.metrics = d.m;
	if ((rc = daemon_http_start(&ho, &d.http, e)))
		goto out;
	log_info("kairn run: serving /healthz /readyz /metrics /webhook on port %u; %zu source(s)%s",
		 daemon_http_port(d.http), o->n_sources, o->leader_elect ? "; leader election on" : "");
	if (o->port_file && (rc = write_port_file(o->port_file, daemon_http_port(d.http), e)))
		goto out;
	if (o->leader_elect) {
		if (pthread_create(&lease_tid, NULL, lease_main, &d) != 0) {
			rc = kerr_set(e, KAIRN_ENOMEM, "cannot start the leader election thread");
			goto out;
		}
		lease_started = 1;
	}
	loop(&d);
	log_info("kairn run: stopping");
out:
	/* Renewal stops first (it touches self-heal), then self-heal (no write
	 * after the release), then the Lease is given up. */
	if (lease_started)
		lease_thread_stop(&d, lease_tid);
	for (size_t i = 0; d.st && i < o->n_sources; i++) {
		selfheal_free(d.st[i].heal);
		sync_source_free(d.st[i].src);
	}
	if (lease_started)
		lease_release(&d);
	pthread_cond_destroy(&d.lease_cv);
	pthread_mutex_destroy(&d.lease_mu);
	for (size_t j = 0; j < d.n_trig; j++)
		free(d.trig_refs[j]);
	pthread_mutex_destroy(&d.trig_mu);
	daemon_http_stop(d.http);
	metrics_free(d.m);
	if (d.wake[0] >= 0) {
		close(d.wake[0]);
		close(d.wake[1]);
	}
	free(d.st);
	return rc;
}
