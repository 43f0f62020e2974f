/*
 * objects.c — what the API server does to an object on its way into the
 * store: identity and server fields (uid, creationTimestamp, generation,
 * managedFields), per-kind defaults (Service clusterIP, Namespace phase,
 * Secret stringData, CRD conditions), the status-subresource rules, and the
 * create and update commits with their preconditions and no-op detection.
 * Runs under srv->mu. Answers through struct ks_resp.
 */
#include <stdlib.h>
#include <string.h>
#include "api.h"
#include "objects.h"
#include "patch/patch.h"
#include "util/codec.h"
#include "util/jsonx.h"
#include "util/yamljson.h"

void ks_field_manager(const struct ks_req *r, char *out, size_t n)
{
	const char *fm = ks_q(r, "fieldManager");
	if (fm && *fm) {
		snprintf(out, n, "%s", fm);
		return;
	}
	const char *ua = ks_hdr(r, "User-Agent");
	if (!ua || !*ua)
		ua = "unknown";
	size_t len = strcspn(ua, "/");
	snprintf(out, n, "%.*s", (int)len, ua);
}

int ks_dry_run(const struct ks_req *r)
{
	const char *d = ks_q(r, "dryRun");
	return d && !strcmp(d, "All");
}

void ks_api_version(const struct ks_res *res, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s", res->group, *res->group ? "/" : "", res->version);
}

static int has_spec_like(const cJSON *obj)
{
	const cJSON *it;
	cJSON_ArrayForEach(it, obj) {
		if (strcmp(it->string, "apiVersion") && strcmp(it->string, "kind") &&
		    strcmp(it->string, "metadata") && strcmp(it->string, "status"))
			return 1;
	}
	return 0;
}

/* 1 when obj and old differ outside metadata and status. */
static int spec_changed(const cJSON *a, const cJSON *b)
{
	cJSON *x = cJSON_Duplicate(a, 1), *y = cJSON_Duplicate(b, 1);
	static const char *const skip[] = { "metadata", "status", "apiVersion", "kind" };
	for (size_t i = 0; i < 4; i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(x, skip[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(y, skip[i]);
	}
	int changed = !kjson_equal(x, y);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return changed;
}

static int is_res(const struct ks_res *res, const char *group, const char *resource)
{
	return !strcmp(res->group, group) && !strcmp(res->resource, resource);
}

static void default_service(struct ks_server *s, cJSON *obj)
{
	cJSON *spec = jsonx_ensure_obj(obj, "spec");
	if (!spec)
		return;
	if (!jsonx_str(spec, "type"))
		cJSON_AddStringToObject(spec, "type", "ClusterIP");
	if (!jsonx_str(spec, "sessionAffinity"))
		cJSON_AddStringToObject(spec, "sessionAffinity", "None");
	const char *type = jsonx_str(spec, "type");
	const char *cip = jsonx_str(spec, "clusterIP");
	if (strcmp(type, "ExternalName") != 0 && (!cip || !*cip)) {
		char ip[32];
		uint32_t n = s->next_ip++;
		snprintf(ip, sizeof(ip), "10.96.%u.%u", (n >> 8) & 255, n & 255);
		jsonx_set(spec, "clusterIP", cJSON_CreateString(ip));
		cip = jsonx_str(spec, "clusterIP");
	}
	if (cip && !cJSON_GetObjectItemCaseSensitive(spec, "clusterIPs")) {
		cJSON *a = cJSON_AddArrayToObject(spec, "clusterIPs");
		cJSON_AddItemToArray(a, cJSON_CreateString(cip));
	}
	if (strcmp(type, "ExternalName") != 0) {
		if (!cJSON_GetObjectItemCaseSensitive(spec, "ipFamilies"))
			cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "ipFamilies"), cJSON_CreateString("IPv4"));
		if (!jsonx_str(spec, "ipFamilyPolicy"))
			cJSON_AddStringToObject(spec, "ipFamilyPolicy", "SingleStack");
		if (!jsonx_str(spec, "internalTrafficPolicy"))
			cJSON_AddStringToObject(spec, "internalTrafficPolicy", "Cluster");
	}
	cJSON *port;
	cJSON_ArrayForEach(port, cJSON_GetObjectItemCaseSensitive(spec, "ports")) {
		if (!cJSON_IsObject(port))
			continue;
		if (!cJSON_GetObjectItemCaseSensitive(port, "protocol"))
			cJSON_AddStringToObject(port, "protocol", "TCP");
		cJSON *p = cJSON_GetObjectItemCaseSensitive(port, "port");
		if (cJSON_IsNumber(p) && !cJSON_GetObjectItemCaseSensitive(port, "targetPort"))
			cJSON_AddNumberToObject(port, "targetPort", p->valuedouble);
	}
	jsonx_ensure_obj(obj, "status.loadBalancer");
}

static void default_secret(cJSON *obj)
{
	if (!jsonx_str(obj, "type"))
		cJSON_AddStringToObject(obj, "type", "Opaque");
	cJSON *sd = cJSON_GetObjectItemCaseSensitive(obj, "stringData");
	if (!cJSON_IsObject(sd))
		return;
	cJSON *data = jsonx_ensure_obj(obj, "data");
	cJSON *it;
	cJSON_ArrayForEach(it, sd) {
		if (!cJSON_IsString(it) || !data)
			continue;
		char *b = b64_encode(it->valuestring, strlen(it->valuestring));
		if (b)
			jsonx_set(data, it->string, cJSON_CreateString(b));
		free(b);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "stringData");
}

static void default_namespace(cJSON *obj)
{
	const char *name = jsonx_str(obj, "metadata.name");
	cJSON *labels = jsonx_ensure_obj(obj, "metadata.labels");
	if (labels && name)
		jsonx_set(labels, "kubernetes.io/metadata.name", cJSON_CreateString(name));
	cJSON *spec = jsonx_ensure_obj(obj, "spec");
	if (spec && !cJSON_GetObjectItemCaseSensitive(spec, "finalizers"))
		cJSON_AddItemToArray(cJSON_AddArrayToObject(spec, "finalizers"), cJSON_CreateString("kubernetes"));
	cJSON *status = jsonx_ensure_obj(obj, "status");
	if (status && !jsonx_str(status, "phase"))
		cJSON_AddStringToObject(status, "phase", "Active");
}

cJSON *ks_condition_true(const char *type, const char *reason, const char *msg, const char *now, int with_update)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", "True");
	if (with_update)
		cJSON_AddStringToObject(c, "lastUpdateTime", now);
	cJSON_AddStringToObject(c, "lastTransitionTime", now);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg);
	return c;
}

static void crd_status(cJSON *obj, const char *now)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	cJSON *st = cJSON_AddObjectToObject(obj, "status");
	cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
	cJSON_AddItemToArray(conds, ks_condition_true("NamesAccepted", "NoConflicts", "no conflicts found", now, 0));
	cJSON_AddItemToArray(conds, ks_condition_true("Established", "InitialNamesAccepted",
						      "the initial names have been accepted", now, 0));
	cJSON *names = cJSON_Duplicate(jsonx_get(obj, "spec.names"), 1);
	if (names && !cJSON_GetObjectItemCaseSensitive(names, "singular") && jsonx_str(names, "kind")) {
		char *l = strdup(jsonx_str(names, "kind"));
		for (char *p = l; p && *p; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p + 32);
		cJSON_AddStringToObject(names, "singular", l ? l : "");
		free(l);
	}
	if (names && !cJSON_GetObjectItemCaseSensitive(names, "listKind") && jsonx_str(names, "kind")) {
		char lk[300];
		snprintf(lk, sizeof(lk), "%sList", jsonx_str(names, "kind"));
		cJSON_AddStringToObject(names, "listKind", lk);
	}
	cJSON_AddItemToObject(st, "acceptedNames", names ? names : cJSON_CreateObject());
	cJSON *stored = cJSON_AddArrayToObject(st, "storedVersions");
	cJSON *v;
	cJSON_ArrayForEach(v, jsonx_get(obj, "spec.versions")) {
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(v, "storage")) && jsonx_str(v, "name"))
			cJSON_AddItemToArray(stored, cJSON_CreateString(jsonx_str(v, "name")));
	}
}

static void default_workload(const struct ks_res *res, cJSON *obj)
{
	cJSON *spec = jsonx_ensure_obj(obj, "spec");
	if (!spec)
		return;
	if ((res->has_scale && !strcmp(res->group, "apps")) && !cJSON_GetObjectItemCaseSensitive(spec, "replicas"))
		cJSON_AddNumberToObject(spec, "replicas", 1);
	if (is_res(res, "batch", "jobs")) {
		if (!cJSON_GetObjectItemCaseSensitive(spec, "backoffLimit"))
			cJSON_AddNumberToObject(spec, "backoffLimit", 6);
		if (!cJSON_GetObjectItemCaseSensitive(spec, "completions"))
			cJSON_AddNumberToObject(spec, "completions", 1);
		if (!cJSON_GetObjectItemCaseSensitive(spec, "parallelism"))
			cJSON_AddNumberToObject(spec, "parallelism", 1);
	}
}

/* Kind-specific defaults for a new object. */
static void apply_create_defaults(struct ks_server *s, const struct ks_res *res, cJSON *obj, const char *now)
{
	if (res->has_status)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	if (is_res(res, "", "services"))
		default_service(s, obj);
	else if (is_res(res, "", "secrets"))
		default_secret(obj);
	else if (is_res(res, "", "namespaces"))
		default_namespace(obj);
	else if (is_res(res, "apiextensions.k8s.io", "customresourcedefinitions"))
		crd_status(obj, now);
	else if (!strcmp(res->group, "apps") || !strcmp(res->group, "batch"))
		default_workload(res, obj);
}

static void random_suffix(struct ks_server *s, char out[6])
{
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	uint64_t x = s->rand_state ^ (++s->uid_seq * 0x9E3779B97F4A7C15ull);
	x ^= x >> 31;
	x *= 0xBF58476D1CE4E5B9ull;
	for (int i = 0; i < 5; i++) {
		out[i] = alphabet[x % 27];
		x /= 27;
	}
	out[5] = 0;
}

/* The namespace an object may be created in: 0, or an answer in o. */
static int namespace_admits(struct ks_server *s, const struct ks_res *res, const char *ns, const char *name,
			    struct ks_resp *o)
{
	if (!res->namespaced)
		return 0;
	struct ks_res *nsres = ks_registry_find(s->reg, "", "v1", "namespaces");
	struct ks_ver *nv = ks_coll_get(nsres->coll, "", ns);
	if (!nv) {
		ks_resp_status(o, 404, "NotFound", nsres, ns, "namespaces \"%s\" not found", ns);
		return -1;
	}
	if (jsonx_get(nv->obj, "metadata.deletionTimestamp")) {
		char q[300], msg[1024];
		ks_res_qualified(res, q, sizeof(q));
		snprintf(msg, sizeof(msg),
			 "%s \"%s\" is forbidden: unable to create new content in namespace %s because it is being terminated",
			 q, name, ns);
		cJSON *causes = cJSON_CreateArray();
		cJSON *c = cJSON_CreateObject();
		cJSON_AddStringToObject(c, "reason", "NamespaceTerminating");
		cJSON_AddStringToObject(c, "message", msg);
		cJSON_AddStringToObject(c, "field", "metadata.namespace");
		cJSON_AddItemToArray(causes, c);
		ks_resp_status_causes(o, 403, "Forbidden", res, name, causes, msg);
		return -1;
	}
	return 0;
}

int ks_check_fields(struct ks_req *r, const struct ks_res *res, const cJSON *obj, struct ks_resp *o)
{
	const char *fv = ks_q(r, "fieldValidation");
	if (fv && !strcmp(fv, "Ignore"))
		return 0;
	struct kbuf msg = { 0 };
	int n = ks_unknown_fields(res, obj, &msg);
	int rc = 0;
	if (n > 0 && fv && !strcmp(fv, "Strict")) {
		char av[300];
		ks_api_version(res, av, sizeof(av));
		ks_resp_status(o, 400, "BadRequest", NULL, NULL,
			       "%s in version \"%s\" cannot be handled as a %s: strict decoding error: %s", res->kind,
			       res->version, res->kind, msg.data);
		rc = -1;
	} else if (n > 0) {
		char *save = NULL;
		for (char *t = strtok_r(msg.data, ",", &save); t; t = strtok_r(NULL, ",", &save))
			ks_resp_warn(o, *t == ' ' ? t + 1 : t);
	}
	kbuf_free(&msg);
	return rc;
}

void ks_resp_invalid(struct ks_resp *o, const struct ks_res *res, const char *name, const char *field,
		     const char *reason, const char *detail)
{
	char msg[2048];
	cJSON *causes = cJSON_CreateArray();
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", detail);
	cJSON_AddStringToObject(c, "field", field);
	cJSON_AddItemToArray(causes, c);
	if (*res->group)
		snprintf(msg, sizeof(msg), "%s.%s \"%s\" is invalid: %s: %s", res->kind, res->group, name ? name : "",
			 field, detail);
	else
		snprintf(msg, sizeof(msg), "%s \"%s\" is invalid: %s: %s", res->kind, name ? name : "", field, detail);
	ks_resp_status_causes(o, 422, "Invalid", res, name, causes, msg);
}

/* Structural validation shared by create and update: 0 or answered. */
static int validate_object(const struct ks_res *res, const cJSON *obj, struct ks_resp *o)
{
	const char *name = jsonx_str(obj, "metadata.name");
	const char *why = name ? ks_name_invalid(res, name) : NULL;
	if (why) {
		char detail[1200];
		snprintf(detail, sizeof(detail), "Invalid value: \"%s\": %s", name, why);
		ks_resp_invalid(o, res, name, "metadata.name", "FieldValueInvalid", detail);
		return -1;
	}
	const cJSON *labels = jsonx_get(obj, "metadata.labels");
	if (labels && !cJSON_IsObject(labels) && !cJSON_IsNull(labels)) {
		ks_resp_invalid(o, res, name, "metadata.labels", "FieldValueInvalid", "Invalid value: not a map");
		return -1;
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, labels) {
		if (!cJSON_IsString(it)) {
			char f[600];
			snprintf(f, sizeof(f), "metadata.labels.%s", it->string);
			ks_resp_invalid(o, res, name, f, "FieldValueInvalid", "Invalid value: must be a string");
			return -1;
		}
	}
	const char *field;
	if (ks_required_missing(res, obj, &field)) {
		ks_resp_invalid(o, res, name, field, "FieldValueRequired", "Required value");
		return -1;
	}
	return 0;
}

/* Effects of a stored write on the rest of the server. */
static void after_write(struct ks_server *s, struct ks_res *res, const struct ks_ver *v)
{
	if (is_res(res, "apiextensions.k8s.io", "customresourcedefinitions")) {
		struct kerr e;
		(void)ks_registry_add_crd(s->reg, v->obj, &e);
	}
	ks_ctl_schedule_locked(s, res, v->ns, v->name, 0);
}

/* Stores obj (owned), runs the write's side effects and answers code with
 * the stored object. */
static void store_and_answer(struct ks_server *s, struct ks_res *res, cJSON *obj, enum ks_ev_type type, int code,
			     struct ks_resp *o)
{
	struct ks_ver *v = ks_store_put_locked(s, res, obj, type);
	if (!v) {
		ks_resp_status(o, 500, "InternalError", res, NULL, "out of memory");
		return;
	}
	after_write(s, res, v);
	ks_resp_ver(o, code, v);
}

void ks_commit_create(struct ks_req *r, struct ks_res *res, cJSON *obj, const char *manager, int is_apply,
		      struct ks_resp *o)
{
	struct ks_server *s = r->s;
	char uid[37], now[32], av[300];
	ks_now(now);
	ks_api_version(res, av, sizeof(av));
	cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	if (!cJSON_IsObject(md)) {
		ks_resp_invalid(o, res, NULL, "metadata.name", "FieldValueRequired",
				"Required value: name or generateName is required");
		goto out;
	}
	const char *name = jsonx_str(md, "name");
	const char *gen = jsonx_str(md, "generateName");
	if ((!name || !*name) && gen && *gen) {
		char n[300], sfx[6];
		random_suffix(s, sfx);
		snprintf(n, sizeof(n), "%.*s%s", 58, gen, sfx);
		jsonx_set(md, "name", cJSON_CreateString(n));
		name = jsonx_str(md, "name");
	}
	if (!name || !*name) {
		ks_resp_invalid(o, res, NULL, "metadata.name", "FieldValueRequired",
				"Required value: name or generateName is required");
		goto out;
	}
	if (res->namespaced)
		jsonx_set(md, "namespace", cJSON_CreateString(r->ns));
	else
		cJSON_DeleteItemFromObjectCaseSensitive(md, "namespace");
	if (namespace_admits(s, res, r->ns, name, o))
		goto out;
	if (validate_object(res, obj, o))
		goto out;
	if (ks_coll_get(res->coll, res->namespaced ? r->ns : "", name)) {
		char q[300];
		ks_res_qualified(res, q, sizeof(q));
		ks_resp_status(o, 409, "AlreadyExists", res, name, "%s \"%s\" already exists", q, name);
		goto out;
	}
	ks_uid_new(s, uid);
	jsonx_set(md, "uid", cJSON_CreateString(uid));
	jsonx_set(md, "creationTimestamp", cJSON_CreateString(now));
	cJSON_DeleteItemFromObjectCaseSensitive(md, "deletionTimestamp");
	cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
	if (has_spec_like(obj) && (cJSON_GetObjectItemCaseSensitive(obj, "spec") || res->crd_name))
		jsonx_set(md, "generation", cJSON_CreateNumber(1));
	else
		cJSON_DeleteItemFromObjectCaseSensitive(md, "generation");
	apply_create_defaults(s, res, obj, now);
	if (!is_apply) {
		struct kerr e;
		cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
		(void)kssa_track_update(NULL, obj, manager, av, NULL, now, &e);
	}
	if (ks_dry_run(r)) {
		ks_resp_obj(o, 201, obj);
		goto out;
	}
	store_and_answer(s, res, obj, KS_EV_ADDED, 201, o);
	obj = NULL;
out:
	cJSON_Delete(obj);
}

static int precondition_failed(struct ks_resp *o, const struct ks_res *res, const char *name, const char *why)
{
	char q[300];
	ks_res_qualified(res, q, sizeof(q));
	ks_resp_status(o, 409, "Conflict", res, name, "Operation cannot be fulfilled on %s \"%s\": %s", q, name, why);
	return -1;
}

/* Applies status-subresource rules: the main resource keeps the old status,
 * /status keeps everything but status. Returns the object to commit. */
static cJSON *status_rules(const struct ks_res *res, const char *sub, const cJSON *old, cJSON *neu)
{
	if (!res->has_status)
		return neu;
	if (sub && !strcmp(sub, "status")) {
		cJSON *keep = cJSON_Duplicate(old, 1);
		cJSON *st = cJSON_DetachItemFromObjectCaseSensitive(neu, "status");
		cJSON_DeleteItemFromObjectCaseSensitive(keep, "status");
		if (st)
			cJSON_AddItemToObject(keep, "status", st);
		/* managedFields travel with the write */
		cJSON *mf = cJSON_DetachItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(neu, "metadata"),
								    "managedFields");
		if (mf)
			jsonx_set(jsonx_ensure_obj(keep, "metadata"), "managedFields", mf);
		cJSON_Delete(neu);
		return keep;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(neu, "status");
	const cJSON *ost = cJSON_GetObjectItemCaseSensitive(old, "status");
	if (ost)
		cJSON_AddItemToObject(neu, "status", cJSON_Duplicate(ost, 1));
	return neu;
}

static void keep_identity(cJSON *neu, const cJSON *old, const struct ks_res *res)
{
	char av[300];
	ks_api_version(res, av, sizeof(av));
	jsonx_set(neu, "apiVersion", cJSON_CreateString(av));
	jsonx_set(neu, "kind", cJSON_CreateString(res->kind));
	cJSON *md = jsonx_ensure_obj(neu, "metadata");
	static const char *const fixed[] = { "name", "namespace", "uid", "creationTimestamp", "deletionTimestamp",
					     "deletionGracePeriodSeconds", "generation", "resourceVersion" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		const cJSON *ov = jsonx_get(jsonx_get(old, "metadata"), fixed[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(md, fixed[i]);
		if (ov)
			cJSON_AddItemToObject(md, fixed[i], cJSON_Duplicate(ov, 1));
	}
}

void ks_commit_update(struct ks_req *r, struct ks_res *res, const struct ks_ver *old, cJSON *neu,
		      const char *manager, int is_apply, struct ks_resp *o)
{
	struct ks_server *s = r->s;
	char now[32], av[300];
	ks_now(now);
	ks_api_version(res, av, sizeof(av));
	const char *name = old->name;
	if (!cJSON_IsObject(neu)) {
		ks_resp_status(o, 400, "BadRequest", res, name, "the object provided is not a JSON object");
		goto out;
	}
	const char *rv = jsonx_str(neu, "metadata.resourceVersion");
	char oldrv[32];
	snprintf(oldrv, sizeof(oldrv), "%llu", (unsigned long long)old->rv);
	if (rv && *rv && strcmp(rv, oldrv) != 0) {
		precondition_failed(o, res, name,
				    "the object has been modified; please apply your changes to the latest version and try again");
		goto out;
	}
	const char *uid = jsonx_str(neu, "metadata.uid");
	const char *ouid = jsonx_str(old->obj, "metadata.uid");
	if (uid && *uid && ouid && strcmp(uid, ouid) != 0) {
		char why[256];
		snprintf(why, sizeof(why), "Precondition failed: UID in precondition: %s, UID in object meta: %s", uid, ouid);
		precondition_failed(o, res, name, why);
		goto out;
	}
	const char *nname = jsonx_str(neu, "metadata.name");
	if (nname && strcmp(nname, name) != 0) {
		ks_resp_status(o, 400, "BadRequest", res, name,
			       "the name of the object (%s) does not match the name on the URL (%s)", nname, name);
		goto out;
	}
	if (!r->sub && ks_check_fields(r, res, neu, o))
		goto out;
	neu = status_rules(res, r->sub, old->obj, neu);
	keep_identity(neu, old->obj, res);
	if (is_res(res, "", "secrets"))
		default_secret(neu);
	if (validate_object(res, neu, o))
		goto out;
	if (kjson_equal(neu, old->obj)) {
		ks_resp_ver(o, 200, old);
		goto out;
	}
	if (spec_changed(neu, old->obj) && jsonx_get(old->obj, "metadata.generation"))
		jsonx_set(jsonx_ensure_obj(neu, "metadata"), "generation",
			  cJSON_CreateNumber((double)jsonx_long(old->obj, "metadata.generation", 0) + 1));
	if (!is_apply) {
		struct kerr e;
		(void)kssa_track_update(old->obj, neu, manager, av, r->sub, now, &e);
	}
	if (is_res(res, "apiextensions.k8s.io", "customresourcedefinitions"))
		crd_status(neu, now);
	if (ks_dry_run(r)) {
		ks_resp_obj(o, 200, neu);
		goto out;
	}
	const cJSON *fin = jsonx_get(neu, "metadata.finalizers");
	if (jsonx_get(neu, "metadata.deletionTimestamp") && cJSON_GetArraySize(fin) == 0) {
		ks_resp_obj(o, 200, neu);
		ks_delete_now_locked(s, res, neu);
		neu = NULL;
		goto out;
	}
	store_and_answer(s, res, neu, KS_EV_MODIFIED, 200, o);
	neu = NULL;
out:
	cJSON_Delete(neu);
}

cJSON *ks_parse_body(const struct ks_req *r, int allow_yaml, char *err, size_t errn)
{
	const char *end = NULL;
	cJSON *obj = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, 0);
	if (obj || !allow_yaml) {
		if (!obj)
			snprintf(err, errn, "invalid JSON at offset %zu", end ? (size_t)(end - r->body) : (size_t)0);
		return obj;
	}
	struct ydoc_list docs = { 0 };
	struct kerr e;
	kerr_clear(&e);
	if (yaml_decode_all(r->body, r->body_len, "body", &docs, &e) != 0) {
		snprintf(err, errn, "error converting YAML to JSON: %s", e.msg);
		return NULL;
	}
	if (docs.n == 1 && docs.docs[0].root) {
		obj = docs.docs[0].root;
		docs.docs[0].root = NULL;
	} else {
		snprintf(err, errn, "error converting YAML to JSON: expected one document, found %zu", docs.n);
	}
	ydoc_list_free(&docs);
	return obj;
}
