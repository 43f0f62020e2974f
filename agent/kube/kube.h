/*
 * kube.h — kairn's Kubernetes API client: the one way any module talks to a
 * cluster. Sync, backup, hooks and the daemon are written against this file.
 *
 * What it owns: connection config (kubeconfig.h), authentication (tokens,
 * token files re-read, exec plugins cached until expiry, client certs,
 * in-cluster service account), HTTP transport over libcurl multi (keep-alive,
 * HTTP/2 over TLS when offered, TLS verified unless the config says otherwise),
 * a QPS/burst limiter, bounded concurrency, retries with backoff, discovery
 * and REST mapping, and typed errors decoded from Status objects.
 * What it must never do: log a token, a client key or an object's body
 * (Secrets); exit; keep global mutable state; retry a request that is not
 * idempotent after the server may have acted on it.
 *
 * Threads: a struct kube_client is safe to use from many threads at once.
 * Each call (or batch) borrows one curl multi handle from the client's pool,
 * so connections are reused across calls without sharing a connection
 * between threads. The limiter and the concurrency bound are per client,
 * across all threads. Watches do not count against the concurrency bound.
 *
 * Errors: every function returns 0 or a negative KAIRN_E* code and fills e.
 * A failed request reads "<METHOD> <path>: <code> <Reason>: <message>", e.g.
 * "GET /api/v1/namespaces/x: 500 InternalError: etcd is down (after 5 attempts)".
 * Codes: 401/403 → KAIRN_EAUTH, 404 → ENOTFOUND, 409 (AlreadyExists,
 * Conflict) → ECONFLICT, 410 → EGONE, 400/422 → EINVAL, 415 → EUNSUPPORTED,
 * other HTTP errors → EAPI, TLS failures → ETLS, connection failures → ENET,
 * timeouts → ETIMEOUT. The Status reason is kept in struct kube_op.reason.
 *
 * Objects are cJSON trees; a result handed to the caller is the caller's to
 * cJSON_Delete.
 */
#ifndef KAIRN_KUBE_KUBE_H
#define KAIRN_KUBE_KUBE_H

#include <cjson/cJSON.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kube/kubeconfig.h"
#include "util/err.h"

struct kube_client; /* opaque, thread-safe */

/* Tuning. Zeroed fields take the defaults shown. */
struct kube_client_opts {
	double qps;             /* requests per second; 1000; < 0 = unlimited */
	int burst;              /* token bucket size; 20000 */
	int concurrency;        /* requests in flight per client; 32 */
	int64_t timeout_ms;     /* per attempt (not watches); 60000 */
	int max_attempts;       /* per request, first try included; 8 */
	int64_t backoff_base_ms;/* first retry delay; 200 */
	int64_t backoff_max_ms; /* cap on a retry delay (and on Retry-After); 30000 */
	const char *user_agent; /* "kairn/<version>" */
};

/* Creates a client for cfg (copied; cfg may be freed afterwards). Does no
 * network I/O: the first request finds out whether the server answers. */
int kube_client_new(const struct kube_config *cfg, const struct kube_client_opts *opts,
		    struct kube_client **out, struct kerr *e);
void kube_client_free(struct kube_client *c);

/* The default namespace of the config ("default" when it names none). */
const char *kube_client_namespace(const struct kube_client *c);
/* How the client authenticates: "token", "token-file", "exec", "client-cert",
 * "basic", "in-cluster" or "anonymous". */
const char *kube_client_auth_method(const struct kube_client *c);
/* The server URL ("https://host:port"). */
const char *kube_client_server(const struct kube_client *c);
/* The kubeconfig context in use ("" in-cluster). */
const char *kube_client_context(const struct kube_client *c);

/* Counters since kube_client_new (for /metrics and tests). */
struct kube_client_stats {
	uint64_t requests; /* attempts sent, retries included */
	uint64_t retries;
	uint64_t errors;   /* requests that finally failed */
};
void kube_client_stats(struct kube_client *c, struct kube_client_stats *out);

/* ---- REST mapping -------------------------------------------------------- */

enum kube_verb_bits {
	KUBE_VERB_GET = 1 << 0, KUBE_VERB_LIST = 1 << 1, KUBE_VERB_WATCH = 1 << 2,
	KUBE_VERB_CREATE = 1 << 3, KUBE_VERB_UPDATE = 1 << 4, KUBE_VERB_PATCH = 1 << 5,
	KUBE_VERB_DELETE = 1 << 6, KUBE_VERB_DELETECOLLECTION = 1 << 7,
};

/* A resource type. Strings belong to the client and live as long as it. */
struct kube_resource {
	const char *group;    /* "" for the core group */
	const char *version;  /* "v1" */
	const char *kind;     /* "Deployment" */
	const char *resource; /* "deployments" (plural, as in URLs) */
	int namespaced;
	unsigned verbs;       /* enum kube_verb_bits */
};

/* Maps apiVersion ("v1", "apps/v1") + kind to its resource. Discovery of that
 * group-version is cached per client and fetched again on a miss, so a CRD
 * created a moment ago resolves. Unknown → KAIRN_ENOTFOUND
 * ("no kind Widget in example.com/v1"). */
int kube_resolve(struct kube_client *c, const char *api_version, const char *kind,
		 struct kube_resource *out, struct kerr *e);

/* Full discovery: every resource (no subresources) of the preferred version
 * of every group. *out is malloc'd (free() it; the strings stay the client's).
 * Fills the same cache kube_resolve uses. */
int kube_discover_all(struct kube_client *c, struct kube_resource **out, size_t *n,
		      struct kerr *e);

/* GET /version → the JSON object (caller frees). */
int kube_server_version(struct kube_client *c, cJSON **out, struct kerr *e);

/* ---- Requests ------------------------------------------------------------ */

enum kube_op_kind {
	KUBE_OP_GET,
	KUBE_OP_LIST,        /* every page; result is {"items":[...],"resourceVersion":RV} */
	KUBE_OP_CREATE,      /* POST; retried only on 429 or when the connection failed before sending */
	KUBE_OP_APPLY,       /* server-side apply (PATCH application/apply-patch+yaml) */
	KUBE_OP_MERGE_PATCH, /* application/merge-patch+json */
	KUBE_OP_JSON_PATCH,  /* application/json-patch+json (not retried) */
	KUBE_OP_DELETE,
	KUBE_OP_RAW,         /* method + path given literally (raw_method/raw_path) */
};

enum kube_propagation { KUBE_PROPAGATION_DEFAULT = 0, KUBE_PROPAGATION_BACKGROUND,
			KUBE_PROPAGATION_FOREGROUND, KUBE_PROPAGATION_ORPHAN };

/* One request. The caller fills the inputs; kube_run fills the outputs.
 * Pointers are borrowed for the duration of kube_run. */
struct kube_op {
	enum kube_op_kind kind;
	const struct kube_resource *res; /* not for KUBE_OP_RAW */
	const char *namespace;           /* namespaced resources; NULL for LIST = all namespaces */
	const char *name;                /* GET, APPLY, PATCH, DELETE */
	const char *subresource;         /* "status", "scale" or NULL */
	const cJSON *body;               /* CREATE/APPLY: the object; PATCH: the patch */
	const char *body_json;           /* CREATE/APPLY, instead of body: the object as
					  * JSON text (namespace and name then given above) */

	/* writes */
	const char *field_manager; /* APPLY requires one; default "kairn" */
	int force;                 /* APPLY: take ownership of conflicting fields */
	int dry_run;               /* dryRun=All */
	/* DELETE */
	enum kube_propagation propagation;
	const char *precondition_uid;
	const char *precondition_rv;
	/* LIST */
	const char *label_selector;
	const char *field_selector;
	int limit;                 /* page size; default 500 */
	const char *resource_version; /* LIST: resourceVersion= (e.g. "0"); NULL = most recent */
	/* LIST: when set, each page's items (apiVersion and kind filled in) go
	 * to on_page as they arrive instead of piling up in result, whose
	 * "items" is then empty: memory holds one page, not the whole list.
	 * The callback may detach items it keeps; a non-zero return fails the
	 * op with that code (its message in err). When an expired continue
	 * token restarts the list (410), items already seen may come again. */
	int (*on_page)(void *ud, struct kube_op *op, cJSON *items, struct kerr *err);
	void *on_page_ud;
	/* Every kind but LIST: the caller does not want the response object;
	 * it is not even parsed (result stays NULL). */
	int no_result;
	/* RAW */
	const char *raw_method;    /* "GET", "POST", ... */
	const char *raw_path;      /* "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews" */
	int raw_idempotent;

	/* outputs */
	int rc;           /* 0 or KAIRN_E* */
	int http_status;  /* last HTTP status (0: no response) */
	char reason[64];  /* Status reason ("AlreadyExists", "Conflict", ...) or "" */
	struct kerr err;  /* when rc != 0 */
	cJSON *result;    /* the response object (caller frees); NULL for 404 on DELETE */
	int attempts;
};

/* Runs n requests with the client's concurrency, QPS and retry rules, on one
 * multi handle. Returns 0 when every op succeeded; otherwise the first failed
 * op's code, with e saying how many failed and the first failure. Every op's
 * own rc/err/result is filled either way. */
int kube_run(struct kube_client *c, struct kube_op *ops, size_t n, struct kerr *e);

/* Releases the results held by ops (leaves the inputs alone). */
void kube_ops_clear(struct kube_op *ops, size_t n);

/* Blocking conveniences over kube_run (one op each). ns is ignored for
 * cluster-scoped resources. *out is the caller's. */
int kube_get(struct kube_client *c, const struct kube_resource *res, const char *ns,
	     const char *name, cJSON **out, struct kerr *e);

/* Polls the CustomResourceDefinition name (res: its kube_resource) every
 * 100 ms until its Established condition is True; KAIRN_ETIMEOUT after
 * wait_ms (<= 0: 60 s). Not finding it yet is not an error until then. */
int kube_wait_crd_established(struct kube_client *c, const struct kube_resource *res,
			      const char *name, int64_t wait_ms, struct kerr *e);

struct kube_list_opts {
	const char *label_selector;
	const char *field_selector;
	int limit;                    /* page size (default 500) */
	const char *resource_version; /* e.g. "0": any cached version will do */
};
/* Every page of a LIST. *items is a cJSON array of objects (apiVersion and
 * kind filled in); *list_rv (may be NULL) the list's resourceVersion (free()). */
int kube_list(struct kube_client *c, const struct kube_resource *res, const char *ns,
	      const struct kube_list_opts *opts, cJSON **items, char **list_rv, struct kerr *e);

struct kube_write_opts {
	const char *field_manager; /* default "kairn" */
	int force;
	int dry_run;
};
/* Server-side apply of obj (its metadata.name/namespace locate it; ns
 * overrides an empty namespace). *out (may be NULL) gets the stored object. */
int kube_apply(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const cJSON *obj, const struct kube_write_opts *opts, cJSON **out, struct kerr *e);
int kube_create(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const cJSON *obj, const struct kube_write_opts *opts, cJSON **out, struct kerr *e);
/* json_patch != 0: patch is a JSON Patch array; otherwise a merge patch. */
int kube_patch(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const char *name, const cJSON *patch, int json_patch,
	       const struct kube_write_opts *opts, cJSON **out, struct kerr *e);

struct kube_delete_opts {
	enum kube_propagation propagation;
	const char *precondition_uid;
	const char *precondition_rv;
	int dry_run;
};
/* Deleting what is already gone returns KAIRN_ENOTFOUND. */
int kube_delete(struct kube_client *c, const struct kube_resource *res, const char *ns,
		const char *name, const struct kube_delete_opts *opts, struct kerr *e);

/* ---- Watch --------------------------------------------------------------- */

enum kube_event_type {
	KUBE_EVENT_ADDED,
	KUBE_EVENT_MODIFIED,
	KUBE_EVENT_DELETED,
	KUBE_EVENT_BOOKMARK, /* obj carries only metadata.resourceVersion */
	/* The full current state: obj is a JSON array of every object. Sent first
	 * (unless opts.resource_version was given) and again after a 410 Gone;
	 * the receiver replaces what it knew with it. */
	KUBE_EVENT_RELIST,
};

/* Returns 0 to go on, anything else to stop the watch (kube_watch returns 0). */
typedef int (*kube_watch_fn)(void *ud, enum kube_event_type type, const cJSON *obj);

struct kube_watch_opts {
	const char *label_selector;
	const char *field_selector;
	const char *resource_version; /* start after this RV; NULL = LIST first (RELIST event) */
	int timeout_seconds;          /* server-side length of one stream; default 300 */
	int64_t duration_ms;          /* stop after this long (0 = until stopped) */
	atomic_int *stop;             /* atomic_store non-zero from another thread to stop */
	int max_failures;             /* consecutive failed (re)connects before giving up; 10 */
};

/* Watches res in ns (NULL = all namespaces), calling fn for every event.
 * A dropped or ended stream resumes from the last resourceVersion seen
 * (bookmarks requested); 410 Gone relists. Returns 0 when stopped by fn,
 * opts.stop or duration_ms; an error when reconnecting keeps failing. */
int kube_watch(struct kube_client *c, const struct kube_resource *res, const char *ns,
	       const struct kube_watch_opts *opts, kube_watch_fn fn, void *ud, struct kerr *e);

#endif
