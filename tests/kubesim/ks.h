/*
 * ks.h — kubesim's internal interfaces, shared by the server's source files
 * (never included by kairn). One struct ks_server holds all state: there is
 * no global mutable state. The store (objects, resourceVersion, event ring,
 * resource registry) is protected by srv->mu; functions named *_locked expect
 * the caller to hold it. Objects stored are immutable versions (struct
 * ks_ver, reference counted) so readers and watch streams can keep one after
 * the lock is released.
 */
#ifndef KUBESIM_KS_H
#define KUBESIM_KS_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "util/buf.h"
#include "util/err.h"

/* Hash maps: util/strmap.h (string keys, borrowed values). */
#include "util/strmap.h"

/* ---- an immutable stored object version ---- */
struct ks_ver {
	int refs;          /* atomic */
	cJSON *obj;
	char *json;        /* compact serialisation of obj */
	size_t len;
	uint64_t rv;
	const char *ns;    /* "" for cluster-scoped; points into obj */
	const char *name;  /* points into obj */
};
struct ks_ver *ks_ver_new(cJSON *obj_owned, uint64_t rv); /* NULL on ENOMEM (obj freed) */
struct ks_ver *ks_ver_ref(struct ks_ver *v);
void ks_ver_unref(struct ks_ver *v);

/* ---- resource registry (registry.c) ---- */
struct ks_coll; /* the objects of one group/resource, shared by its versions */

struct ks_res {
	char *group, *version, *resource, *kind, *singular, *list_kind;
	int namespaced;
	int has_status, has_scale;
	int builtin;             /* strategic merge patch allowed */
	int creatable;           /* 0: only "create" (reviews) */
	cJSON *short_names;      /* array or NULL */
	cJSON *categories;       /* array or NULL */
	const char *const *fields;      /* known top-level fields, NULL: unchecked */
	const char *const *spec_fields; /* known spec fields, NULL: unchecked */
	char *crd_name;          /* owning CRD, NULL for built-ins */
	struct ks_coll *coll;
};

struct ks_registry;
int ks_registry_new(struct ks_registry **out);
void ks_registry_free(struct ks_registry *r);
/* Resource by group ("" core), version, plural. */
struct ks_res *ks_registry_find(struct ks_registry *r, const char *group, const char *version,
				const char *resource);
struct ks_res *ks_registry_find_kind(struct ks_registry *r, const char *group, const char *kind);
size_t ks_registry_count(struct ks_registry *r);
struct ks_res *ks_registry_at(struct ks_registry *r, size_t i);
/* Bumped on every registration change (discovery hash). */
uint64_t ks_registry_generation(struct ks_registry *r);
/* Registers the served versions of a CRD object; replaces earlier ones. */
int ks_registry_add_crd(struct ks_registry *r, const cJSON *crd, struct kerr *e);
/* Removes the CRD's resources; returns their collection (caller empties and
 * frees it) or NULL. */
struct ks_coll *ks_registry_remove_crd(struct ks_registry *r, const char *crd_name);

/* ---- collections (store.c) ---- */
struct ks_coll *ks_coll_new(const char *group, const char *resource);
void ks_coll_free(struct ks_coll *c);
const char *ks_coll_group(const struct ks_coll *c);
const char *ks_coll_resource(const struct ks_coll *c);
struct ks_ver *ks_coll_get(struct ks_coll *c, const char *ns, const char *name); /* borrowed */
size_t ks_coll_len(struct ks_coll *c);
/* Borrowed versions of every object in ns (NULL or "" = all), sorted by ns/name. */
int ks_coll_snapshot(struct ks_coll *c, const char *ns, struct ks_ver ***out, size_t *n);

/* ---- events ---- */
enum ks_ev_type { KS_EV_ADDED, KS_EV_MODIFIED, KS_EV_DELETED };
struct ks_event {
	uint64_t rv;
	enum ks_ev_type type;
	struct ks_ver *ver; /* watches match it by apiVersion group and kind */
};

/* ---- test-endpoint state (testapi.c) ---- */
struct ks_fault {
	char *type;        /* latency | 429 | 500 | drop */
	char *path;        /* prefix or NULL */
	char *method;      /* NULL: any */
	long ms;           /* latency */
	long retry_after;  /* 429 */
	long count;        /* remaining, -1 unlimited */
	double fraction;   /* probability 0..1 */
	long hits;
};

struct ks_options {
	const char *listen;
	const char *port_file;
	const char *kubeconfig_out;
	int tls;
	const char *token;
	long latency_ms;
	long job_duration_ms;
	long event_history;  /* ring size */
	int quiet;
};

struct ks_server {
	struct ks_options opt;
	pthread_mutex_t mu;
	pthread_cond_t changed;      /* broadcast on every event and on shutdown */
	int stopping;
	uint64_t rv;                 /* the global resourceVersion */
	struct ks_registry *reg;
	struct ks_event *ring;       /* event history */
	size_t ring_cap, ring_start, ring_len;
	uint64_t ring_floor;         /* watches from an RV below this get 410 */
	uint64_t uid_seq;
	uint32_t next_ip;
	/* controllers */
	pthread_t ctl_thread;
	int ctl_started;
	struct strmap *ctl_due;      /* "group/resource/ns/name" -> due ms (boxed) */
	int gc_dirty;
	/* test endpoints */
	pthread_mutex_t tmu;
	struct strmap *counters;     /* "verb resource" -> long* */
	long n_requests, n_writes;
	struct ks_fault *faults;
	size_t n_faults;
	uint64_t rand_state;
	/* http */
	void *daemon;
	char *cert_pem, *key_pem, *ca_pem;
	int port;
};

/* ---- store.c ---- */
int ks_store_init(struct ks_server *s, struct kerr *e);
void ks_store_fini(struct ks_server *s);
/* Seeds the default namespaces. */
int ks_store_seed(struct ks_server *s, struct kerr *e);
/* Empties every collection and the event ring, drops CRDs, reseeds. */
int ks_store_reset(struct ks_server *s, struct kerr *e);
/* Stores obj (owned) as the new version of its object, stamping a fresh RV,
 * and records an event. Returns the version (borrowed) or NULL on ENOMEM. */
struct ks_ver *ks_store_put_locked(struct ks_server *s, struct ks_res *res, cJSON *obj,
				   enum ks_ev_type type);
/* Removes an object, recording DELETED with obj_last (owned) as its final state. */
int ks_store_remove_locked(struct ks_server *s, struct ks_coll *c, const char *ns,
			   const char *name, cJSON *obj_last);
/* Events with rv > after, for watches: copies refs into out (max n). Returns
 * count, or -1 when `after` is older than the history (410). */
long ks_store_events_locked(struct ks_server *s, uint64_t after, struct ks_event *out, size_t n);
void ks_uid_new(struct ks_server *s, char out[37]);
/* Waits up to ms for srv->changed (an event, a schedule or shutdown). */
void ks_wait_changed_locked(struct ks_server *s, int64_t ms);
void ks_now(char out[32]);

/* ---- validate.c ---- */
/* 0 or a message (static) describing why name is invalid for the resource. */
const char *ks_name_invalid(const struct ks_res *res, const char *name);
/* Appends unknown-field paths of obj (per res's known fields) to out as
 * "unknown field \"x\"", comma separated. Returns the count. */
int ks_unknown_fields(const struct ks_res *res, const cJSON *obj, struct kbuf *out);
/* Required-field checks: 0, or fills field/msg for a 422. */
int ks_required_missing(const struct ks_res *res, const cJSON *obj, const char **field);

/* ---- select.c ---- */
struct ks_selector;
/* Parses a label selector ("" or NULL matches all). */
int ks_label_selector_parse(const char *s, struct ks_selector **out, struct kerr *e);
int ks_field_selector_parse(const char *s, struct ks_selector **out, struct kerr *e);
int ks_selector_match(const struct ks_selector *sel, const cJSON *obj);
void ks_selector_free(struct ks_selector *sel);

/* ---- protobuf.c ---- */
/* Decodes a k8s\0 protobuf envelope of a Namespace, ConfigMap or Secret. */
int ks_protobuf_decode(const unsigned char *buf, size_t len, cJSON **out, struct kerr *e);

/* ---- tls.c ---- */
/* Generates a CA and a server certificate for host (an IP or name). */
int ks_tls_generate(const char *host, char **ca_pem, char **cert_pem, char **key_pem, struct kerr *e);

/* ---- controllers.c ---- */
int ks_controllers_start(struct ks_server *s, struct kerr *e);
void ks_controllers_stop(struct ks_server *s);
/* Schedules a reconcile of an object in delay_ms. */
void ks_ctl_schedule_locked(struct ks_server *s, const struct ks_res *res, const char *ns,
			    const char *name, long delay_ms);

/* ---- testapi.c ---- */
int ks_testapi_init(struct ks_server *s);
void ks_testapi_fini(struct ks_server *s);

/* ---- http.c ---- */
int ks_server_start(struct ks_server *s, struct kerr *e);
void ks_server_stop(struct ks_server *s);

#endif
