/*
 * api.h — one HTTP request as kubesim's handlers see it, and the answer they
 * build. http.c owns the libmicrohttpd side and turns a struct ks_resp into a
 * response; handlers (discovery.c, resources.c, patch_req.c, watch.c,
 * testapi.c) never call libmicrohttpd themselves, except through ks_q/ks_hdr.
 */
#ifndef KUBESIM_API_H
#define KUBESIM_API_H

#include <sys/types.h>
#include "ks.h"

struct ks_req {
	struct ks_server *s;
	void *conn;                /* struct MHD_Connection */
	const char *method, *url;
	char *body;                /* NUL-terminated */
	size_t body_len;
	/* set by the resource router */
	char *group, *version, *resource, *ns, *name, *sub;
	/* for the counters */
	const char *verb;
	char counted_resource[128];
};

/* A streamed body: fn fills buf like an MHD content reader (returns bytes,
 * 0 is not allowed, -1 ends the stream). */
typedef ssize_t (*ks_stream_fn)(void *cls, char *buf, size_t max);

struct ks_resp {
	int code;
	char *body;          /* malloc'd */
	size_t len;
	const char *ctype;
	struct kbuf warnings; /* "Warning" header values, joined by '\n' */
	long retry_after;
	int drop;            /* close the connection without answering */
	ks_stream_fn stream;
	void *stream_cls;
	void (*stream_free)(void *cls);
};

/* Query parameter or header value (NULL when absent). */
const char *ks_q(const struct ks_req *r, const char *key);
const char *ks_hdr(const struct ks_req *r, const char *key);

/* Answer helpers (resp.c). */
void ks_resp_json(struct ks_resp *o, int code, char *json_owned);
void ks_resp_obj(struct ks_resp *o, int code, const cJSON *obj);
void ks_resp_ver(struct ks_resp *o, int code, const struct ks_ver *v);
/* A v1 Status failure. res may be NULL; name may be NULL. */
void ks_resp_status(struct ks_resp *o, int code, const char *reason, const struct ks_res *res,
		    const char *name, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Same, taking ownership of a causes array (may be NULL). */
void ks_resp_status_causes(struct ks_resp *o, int code, const char *reason, const struct ks_res *res,
			   const char *name, cJSON *causes, const char *msg);
void ks_resp_warn(struct ks_resp *o, const char *msg);
/* "deployments.apps" or "configmaps": how messages name a resource. */
void ks_res_qualified(const struct ks_res *res, char *out, size_t n);

/* Handlers: each returns 1 when it answered, 0 when the path is not its own. */
int ks_handle_test(struct ks_req *r, struct ks_resp *o);
int ks_handle_discovery(struct ks_req *r, struct ks_resp *o);
int ks_handle_resource(struct ks_req *r, struct ks_resp *o);

/* resources.c internals shared with patch_req.c and watch.c */
void ks_handle_patch(struct ks_req *r, struct ks_res *res, struct ks_resp *o);
void ks_handle_watch(struct ks_req *r, struct ks_res *res, struct ks_resp *o);
/* Commits new_obj (owned) as an update of old; applies status-subresource
 * rules, no-op detection, generation and managedFields (unless apply). On
 * success answers 200 with the stored (or, for a no-op, the old) object. */
void ks_commit_update(struct ks_req *r, struct ks_res *res, const struct ks_ver *old, cJSON *new_obj,
		      const char *manager, int is_apply, struct ks_resp *o);
/* Creates obj (owned) in res; answers 201 or a Status. */
void ks_commit_create(struct ks_req *r, struct ks_res *res, cJSON *obj, const char *manager,
		      int is_apply, struct ks_resp *o);
/* The field manager for a write: ?fieldManager or the User-Agent prefix. */
void ks_field_manager(const struct ks_req *r, char *out, size_t n);
int ks_dry_run(const struct ks_req *r);

/* Scale subresource (scale.c). */
cJSON *ks_scale_from(const struct ks_res *res, const cJSON *obj);

/* Counters (testapi.c). */
void ks_count(struct ks_server *s, const char *verb, const char *resource);
/* Applies fault injection to a request: 1 when it answered (or drops). */
int ks_fault_apply(struct ks_server *s, struct ks_req *r, struct ks_resp *o);

#endif
