/*
 * objects.h — object-level helpers shared by the request handlers and the
 * controllers (objects.c, delete.c). All run under srv->mu.
 */
#ifndef KUBESIM_OBJECTS_H
#define KUBESIM_OBJECTS_H

#include "api.h"
#include "patch/patch.h"

void ks_api_version(const struct ks_res *res, char *out, size_t n);
/* fieldValidation: 0, or -1 after answering 400 (Strict). Warn adds headers. */
int ks_check_fields(struct ks_req *r, const struct ks_res *res, const cJSON *obj, struct ks_resp *o);
/* A 422 Invalid Status with one cause. */
void ks_resp_invalid(struct ks_resp *o, const struct ks_res *res, const char *name, const char *field,
		     const char *reason, const char *detail);
/* Removes the object now (obj_last owned: its final state), with what that
 * entails: a CRD takes its resource and objects along; dependents are left
 * to the garbage collector. */
void ks_delete_now_locked(struct ks_server *s, struct ks_res *res, cJSON *obj_last);
/* Starts deleting an object the way DELETE does (policy: Background,
 * Foreground or Orphan). Returns the object's last state (owned; it carries
 * deletionTimestamp when finalizers keep it), NULL on ENOMEM. */
cJSON *ks_delete_object_locked(struct ks_server *s, struct ks_res *res, const struct ks_ver *v,
			       const char *policy);
/* The request body as JSON, or (allow_yaml) one YAML document; NULL with a
 * message in err. */
cJSON *ks_parse_body(const struct ks_req *r, int allow_yaml, char *err, size_t errn);
/* A status condition {type, status: "True", times, reason, message}. */
cJSON *ks_condition_true(const char *type, const char *reason, const char *msg, const char *now, int with_update);
/* The resource entry holding a collection (any version). */
struct ks_res *ks_res_of_coll(struct ks_server *s, struct ks_coll *c);

#endif
