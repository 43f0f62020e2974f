/*
 * resources.c — the resource endpoints: routing /api/v1/... and
 * /apis/G/V/... to a registered resource, then GET, LIST (selectors,
 * limit/continue), POST, PUT and DELETE (deletecollection too). PATCH lives
 * in patch_req.c, WATCH in watch.c. Holds srv->mu for the whole operation,
 * except while a watch streams.
 */
#include <stdlib.h>
#include <string.h>
#include "objects.h"
#include "util/codec.h"
#include "util/jsonx.h"

/* Fills r->group.. from the URL; 0 when the URL is not a resource path. */
static int route(struct ks_req *r)
{
	char buf[2048];
	char *seg[10];
	int n = 0;
	snprintf(buf, sizeof(buf), "%s", r->url);
	char *save = NULL;
	for (char *t = strtok_r(buf, "/", &save); t && n < 10; t = strtok_r(NULL, "/", &save))
		seg[n++] = t;
	int i;
	if (n >= 3 && !strcmp(seg[0], "api")) {
		r->group = strdup("");
		r->version = strdup(seg[1]);
		i = 2;
	} else if (n >= 4 && !strcmp(seg[0], "apis")) {
		r->group = strdup(seg[1]);
		r->version = strdup(seg[2]);
		i = 3;
	} else {
		return 0;
	}
	int rest = n - i;
	char **s = seg + i;
	if (rest >= 3 && !strcmp(s[0], "namespaces") && strcmp(s[2], "status") && strcmp(s[2], "finalize")) {
		r->ns = strdup(s[1]);
		s += 2;
		rest -= 2;
	}
	if (rest < 1 || rest > 3)
		return 0;
	r->resource = strdup(s[0]);
	if (rest >= 2)
		r->name = strdup(s[1]);
	if (rest == 3)
		r->sub = strdup(s[2]);
	return 1;
}

static void not_found(struct ks_resp *o, const struct ks_res *res, const char *name)
{
	char q[300];
	ks_res_qualified(res, q, sizeof(q));
	ks_resp_status(o, 404, "NotFound", res, name, "%s \"%s\" not found", q, name);
}

/* The object JSON as the requested version (items may be stored under
 * another version of the same group/resource). */
static char *ver_json(const struct ks_res *res, const struct ks_ver *v, size_t *len, int *alloced)
{
	char av[300];
	ks_api_version(res, av, sizeof(av));
	const char *have = jsonx_str(v->obj, "apiVersion");
	if (have && !strcmp(have, av)) {
		*alloced = 0;
		*len = v->len;
		return v->json;
	}
	cJSON *c = cJSON_Duplicate(v->obj, 1);
	jsonx_set(c, "apiVersion", cJSON_CreateString(av));
	char *j = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	*alloced = 1;
	*len = j ? strlen(j) : 0;
	return j;
}

static void answer_ver(struct ks_resp *o, int code, const struct ks_res *res, const struct ks_ver *v)
{
	size_t len;
	int alloced;
	char *j = ver_json(res, v, &len, &alloced);
	if (alloced)
		ks_resp_json(o, code, j);
	else
		ks_resp_ver(o, code, v);
}

static void handle_get(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	struct ks_ver *v = ks_coll_get(res->coll, r->ns ? r->ns : "", r->name);
	if (!v) {
		not_found(o, res, r->name);
		return;
	}
	if (r->sub && !strcmp(r->sub, "scale") && res->has_scale) {
		cJSON *sc = ks_scale_from(res, v->obj);
		ks_resp_obj(o, 200, sc);
		cJSON_Delete(sc);
		return;
	}
	answer_ver(o, 200, res, v);
}

static int parse_selectors(struct ks_req *r, struct ks_selector **ls, struct ks_selector **fs, struct ks_resp *o)
{
	struct kerr e;
	kerr_clear(&e);
	if (ks_label_selector_parse(ks_q(r, "labelSelector"), ls, &e) ||
	    ks_field_selector_parse(ks_q(r, "fieldSelector"), fs, &e)) {
		ks_resp_status(o, 400, "BadRequest", NULL, NULL, "%s", e.msg);
		return -1;
	}
	return 0;
}

static void handle_list(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	struct ks_selector *ls = NULL, *fs = NULL;
	struct ks_ver **vs = NULL;
	size_t n = 0;
	struct kbuf b = { 0 };
	char *start = NULL;
	if (parse_selectors(r, &ls, &fs, o))
		goto out;
	long limit = ks_q(r, "limit") ? atol(ks_q(r, "limit")) : 0;
	const char *cont = ks_q(r, "continue");
	if (cont && *cont) {
		size_t sl;
		start = (char *)b64_decode(cont, &sl);
		if (!start) {
			ks_resp_status(o, 400, "BadRequest", NULL, NULL, "invalid continue token");
			goto out;
		}
	}
	if (ks_coll_snapshot(res->coll, r->ns, &vs, &n)) {
		ks_resp_status(o, 500, "InternalError", res, NULL, "out of memory");
		goto out;
	}
	char av[300];
	ks_api_version(res, av, sizeof(av));
	kbuf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%llu\"",
		    res->list_kind, av, (unsigned long long)r->s->rv);
	size_t meta_end = b.len;
	kbuf_puts(&b, "},\"items\":[");
	long count = 0;
	const struct ks_ver *last = NULL;
	int more = 0;
	for (size_t i = 0; i < n; i++) {
		if (start) {
			char key[700];
			snprintf(key, sizeof(key), "%s/%s", vs[i]->ns, vs[i]->name);
			if (strcmp(key, start) <= 0)
				continue;
		}
		if (!ks_selector_match(ls, vs[i]->obj) || !ks_selector_match(fs, vs[i]->obj))
			continue;
		if (limit > 0 && count == limit) {
			more = 1;
			break;
		}
		size_t len;
		int alloced;
		char *j = ver_json(res, vs[i], &len, &alloced);
		if (count)
			kbuf_putc(&b, ',');
		kbuf_append(&b, j, len);
		if (alloced)
			free(j);
		last = vs[i];
		count++;
	}
	kbuf_puts(&b, "]}");
	if (more && last) {
		char key[700];
		snprintf(key, sizeof(key), "%s/%s", last->ns, last->name);
		char *tok = b64_encode(key, strlen(key));
		struct kbuf m = { 0 };
		kbuf_append(&m, b.data, meta_end);
		kbuf_printf(&m, ",\"continue\":\"%s\"", tok ? tok : "");
		kbuf_append(&m, b.data + meta_end, b.len - meta_end);
		free(tok);
		kbuf_free(&b);
		b = m;
	}
	ks_resp_json(o, 200, kbuf_steal(&b));
out:
	free(vs);
	free(start);
	kbuf_free(&b);
	ks_selector_free(ls);
	ks_selector_free(fs);
}

/* Decodes a POST/PUT body; NULL after answering. */
static cJSON *decode_body(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	const char *ct = ks_hdr(r, "Content-Type");
	if (ct && !strncmp(ct, "application/vnd.kubernetes.protobuf", 35)) {
		struct kerr e;
		cJSON *obj = NULL;
		kerr_clear(&e);
		int rc = ks_protobuf_decode((const unsigned char *)r->body, r->body_len, &obj, &e);
		if (rc == KAIRN_EUNSUPPORTED)
			ks_resp_status(o, 415, "UnsupportedMediaType", res, r->name, "%s", e.msg);
		else if (rc)
			ks_resp_status(o, 400, "BadRequest", res, r->name, "%s", e.msg);
		return rc ? NULL : obj;
	}
	if (ct && *ct && strncmp(ct, "application/json", 16) && strncmp(ct, "application/yaml", 16) &&
	    strncmp(ct, "*/*", 3)) {
		ks_resp_status(o, 415, "UnsupportedMediaType", res, r->name,
			       "the body of the request was in an unknown format - accepted media types include: "
			       "application/json, application/yaml, application/vnd.kubernetes.protobuf");
		return NULL;
	}
	char err[1024];
	cJSON *obj = ks_parse_body(r, ct && !strncmp(ct, "application/yaml", 16), err, sizeof(err));
	if (!obj) {
		ks_resp_status(o, 400, "BadRequest", res, r->name, "the object provided is unrecognized (%s)", err);
		return NULL;
	}
	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		ks_resp_status(o, 400, "BadRequest", res, r->name, "the object provided is unrecognized (not an object)");
		return NULL;
	}
	return obj;
}

/* Checks apiVersion/kind of a body against the endpoint and fills them. */
static int check_type(struct ks_req *r, struct ks_res *res, cJSON *obj, struct ks_resp *o)
{
	char av[300];
	ks_api_version(res, av, sizeof(av));
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(obj, "kind");
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, "apiVersion");
	if ((k && !cJSON_IsString(k)) || (a && !cJSON_IsString(a))) {
		ks_resp_status(o, 400, "BadRequest", res, r->name, "apiVersion and kind must be strings");
		return -1;
	}
	if (k && *k->valuestring && strcmp(k->valuestring, res->kind)) {
		ks_resp_status(o, 400, "BadRequest", res, r->name,
			       "%s in version \"%s\" cannot be handled as a %s: the kind in the data (%s) does not match the expected kind (%s)",
			       res->kind, res->version, res->kind, k->valuestring, res->kind);
		return -1;
	}
	if (a && *a->valuestring && strcmp(a->valuestring, av)) {
		/* another version of the same group is fine (stored as sent) */
		const char *slash = strrchr(a->valuestring, '/');
		size_t gl = slash ? (size_t)(slash - a->valuestring) : 0;
		if (gl != strlen(res->group) || strncmp(a->valuestring, res->group, gl)) {
			ks_resp_status(o, 400, "BadRequest", res, r->name,
				       "the API version in the data (%s) does not match the expected API version (%s)",
				       a->valuestring, av);
			return -1;
		}
	}
	jsonx_set(obj, "apiVersion", cJSON_CreateString(av));
	jsonx_set(obj, "kind", cJSON_CreateString(res->kind));
	return 0;
}

static void handle_review(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	cJSON *obj = decode_body(r, res, o);
	if (!obj)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	cJSON *st = cJSON_AddObjectToObject(obj, "status");
	cJSON_AddBoolToObject(st, "allowed", 1);
	cJSON_AddStringToObject(st, "reason", "kubesim allows everything");
	jsonx_ensure_obj(obj, "metadata");
	ks_resp_obj(o, 201, obj);
	cJSON_Delete(obj);
}

static void handle_create(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	if (!res->creatable) {
		handle_review(r, res, o);
		return;
	}
	cJSON *obj = decode_body(r, res, o);
	if (!obj)
		return;
	if (check_type(r, res, obj, o) || ks_check_fields(r, res, obj, o)) {
		cJSON_Delete(obj);
		return;
	}
	const char *bns = jsonx_str(obj, "metadata.namespace");
	if (res->namespaced && bns && *bns && strcmp(bns, r->ns)) {
		ks_resp_status(o, 400, "BadRequest", res, jsonx_str(obj, "metadata.name"),
			       "the namespace of the provided object does not match the namespace sent on the request");
		cJSON_Delete(obj);
		return;
	}
	char mgr[256];
	ks_field_manager(r, mgr, sizeof(mgr));
	ks_commit_create(r, res, obj, mgr, 0, o);
}

static void handle_put(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	cJSON *obj = decode_body(r, res, o);
	if (!obj)
		return;
	if (check_type(r, res, obj, o)) {
		cJSON_Delete(obj);
		return;
	}
	struct ks_ver *v = ks_coll_get(res->coll, r->ns ? r->ns : "", r->name);
	char mgr[256];
	ks_field_manager(r, mgr, sizeof(mgr));
	if (r->sub && !strcmp(r->sub, "scale")) {
		cJSON_Delete(obj);
		ks_resp_status(o, 405, "MethodNotAllowed", res, r->name, "use PATCH on the scale subresource");
		return;
	}
	if (!v) {
		if (r->sub) {
			cJSON_Delete(obj);
			not_found(o, res, r->name);
			return;
		}
		ks_commit_create(r, res, obj, mgr, 0, o);
		return;
	}
	ks_commit_update(r, res, v, obj, mgr, 0, o);
}

static void delete_options(struct ks_req *r, const char **policy, const char **uid, const char **rv, cJSON **opts)
{
	*opts = r->body_len ? cJSON_ParseWithLength(r->body, r->body_len) : NULL;
	*policy = ks_q(r, "propagationPolicy");
	if (!*policy)
		*policy = jsonx_str(*opts, "propagationPolicy");
	if (!*policy && cJSON_IsFalse(jsonx_get(*opts, "orphanDependents")))
		*policy = "Background";
	*uid = jsonx_str(*opts, "preconditions.uid");
	*rv = jsonx_str(*opts, "preconditions.resourceVersion");
}

static void handle_delete(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	const char *policy, *uid, *rv;
	cJSON *opts;
	delete_options(r, &policy, &uid, &rv, &opts);
	struct ks_ver *v = ks_coll_get(res->coll, r->ns ? r->ns : "", r->name);
	if (!v) {
		not_found(o, res, r->name);
		goto out;
	}
	const char *ouid = jsonx_str(v->obj, "metadata.uid");
	char q[300], oldrv[32];
	ks_res_qualified(res, q, sizeof(q));
	snprintf(oldrv, sizeof(oldrv), "%llu", (unsigned long long)v->rv);
	if (uid && ouid && strcmp(uid, ouid)) {
		ks_resp_status(o, 409, "Conflict", res, r->name,
			       "Operation cannot be fulfilled on %s \"%s\": Precondition failed: UID in precondition: %s, UID in object meta: %s",
			       q, r->name, uid, ouid);
		goto out;
	}
	if (rv && strcmp(rv, oldrv)) {
		ks_resp_status(o, 409, "Conflict", res, r->name,
			       "Operation cannot be fulfilled on %s \"%s\": Precondition failed: ResourceVersion in precondition: %s, ResourceVersion in object meta: %s",
			       q, r->name, rv, oldrv);
		goto out;
	}
	if (ks_dry_run(r)) {
		answer_ver(o, 200, res, v);
		goto out;
	}
	cJSON *last = ks_delete_object_locked(r->s, res, v, policy);
	if (!last) {
		ks_resp_status(o, 500, "InternalError", res, r->name, "out of memory");
		goto out;
	}
	ks_resp_obj(o, 200, last);
	cJSON_Delete(last);
out:
	cJSON_Delete(opts);
}

static void handle_delete_collection(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	struct ks_selector *ls = NULL, *fs = NULL;
	struct ks_ver **vs = NULL;
	size_t n = 0;
	const char *policy, *uid, *rv;
	cJSON *opts;
	delete_options(r, &policy, &uid, &rv, &opts);
	if (parse_selectors(r, &ls, &fs, o))
		goto out;
	if (ks_coll_snapshot(res->coll, r->ns, &vs, &n))
		goto out;
	char av[300];
	ks_api_version(res, av, sizeof(av));
	cJSON *list = cJSON_CreateObject();
	cJSON_AddStringToObject(list, "kind", res->list_kind);
	cJSON_AddStringToObject(list, "apiVersion", av);
	cJSON *md = cJSON_AddObjectToObject(list, "metadata");
	cJSON *items = cJSON_AddArrayToObject(list, "items");
	/* collect first: deleting changes the collection */
	struct ks_ver **hit = calloc(n + 1, sizeof(*hit));
	size_t nh = 0;
	for (size_t i = 0; hit && i < n; i++)
		if (ks_selector_match(ls, vs[i]->obj) && ks_selector_match(fs, vs[i]->obj))
			hit[nh++] = ks_ver_ref(vs[i]);
	for (size_t i = 0; i < nh; i++) {
		cJSON *last = ks_dry_run(r) ? cJSON_Duplicate(hit[i]->obj, 1)
					    : ks_delete_object_locked(r->s, res, hit[i], policy);
		if (last)
			cJSON_AddItemToArray(items, last);
		ks_ver_unref(hit[i]);
	}
	free(hit);
	char rvs[32];
	snprintf(rvs, sizeof(rvs), "%llu", (unsigned long long)r->s->rv);
	cJSON_AddStringToObject(md, "resourceVersion", rvs);
	ks_resp_obj(o, 200, list);
	cJSON_Delete(list);
out:
	free(vs);
	ks_selector_free(ls);
	ks_selector_free(fs);
	cJSON_Delete(opts);
}

static int is_watch(const struct ks_req *r)
{
	const char *w = ks_q(r, "watch");
	return w && (!strcmp(w, "true") || !strcmp(w, "1"));
}

static const char *verb_of(const struct ks_req *r)
{
	const char *m = r->method;
	if (!strcmp(m, "GET") || !strcmp(m, "HEAD"))
		return r->name ? "get" : is_watch(r) ? "watch" : "list";
	if (!strcmp(m, "POST"))
		return "create";
	if (!strcmp(m, "PUT"))
		return "update";
	if (!strcmp(m, "PATCH"))
		return "patch";
	if (!strcmp(m, "DELETE"))
		return r->name ? "delete" : "deletecollection";
	return "unknown";
}

static void dispatch_verb(struct ks_req *r, struct ks_res *res, struct ks_resp *o)
{
	const char *verb = r->verb;
	int has_ns = r->ns != NULL;
	if (res->namespaced != has_ns && !(res->namespaced && !r->name && (!strcmp(verb, "list") || !strcmp(verb, "watch")))) {
		if (res->namespaced && !strcmp(verb, "create"))
			ks_resp_status(o, 405, "MethodNotAllowed", res, NULL,
				       "the server does not allow this method on the requested resource");
		else
			ks_resp_status(o, 404, "NotFound", NULL, NULL, "the server could not find the requested resource");
		return;
	}
	if (r->sub && strcmp(r->sub, "status") && !(strcmp(r->sub, "scale") == 0 && res->has_scale) &&
	    !(strcmp(r->sub, "finalize") == 0 && !strcmp(res->resource, "namespaces"))) {
		ks_resp_status(o, 404, "NotFound", NULL, NULL, "the server could not find the requested resource");
		return;
	}
	if (!res->creatable && strcmp(verb, "create")) {
		ks_resp_status(o, 405, "MethodNotAllowed", res, r->name,
			       "the server does not allow this method on the requested resource");
		return;
	}
	if (!strcmp(verb, "get"))
		handle_get(r, res, o);
	else if (!strcmp(verb, "list"))
		handle_list(r, res, o);
	else if (!strcmp(verb, "watch"))
		ks_handle_watch(r, res, o);
	else if (!strcmp(verb, "create") && !r->name)
		handle_create(r, res, o);
	else if (!strcmp(verb, "update") && r->name)
		handle_put(r, res, o);
	else if (!strcmp(verb, "patch") && r->name)
		ks_handle_patch(r, res, o);
	else if (!strcmp(verb, "delete") && !r->sub)
		handle_delete(r, res, o);
	else if (!strcmp(verb, "deletecollection"))
		handle_delete_collection(r, res, o);
	else
		ks_resp_status(o, 405, "MethodNotAllowed", res, r->name,
			       "the server does not allow this method on the requested resource");
}

int ks_handle_resource(struct ks_req *r, struct ks_resp *o)
{
	if (!route(r))
		return 0;
	if (!r->group || !r->version || !r->resource || (r->ns && !*r->ns)) {
		ks_resp_status(o, 500, "InternalError", NULL, NULL, "out of memory");
		return 1;
	}
	r->verb = verb_of(r);
	snprintf(r->counted_resource, sizeof(r->counted_resource), "%s", r->resource);
	pthread_mutex_lock(&r->s->mu);
	struct ks_res *res = ks_registry_find(r->s->reg, r->group, r->version, r->resource);
	if (!res)
		ks_resp_status(o, 404, "NotFound", NULL, NULL, "the server could not find the requested resource");
	else
		dispatch_verb(r, res, o);
	pthread_mutex_unlock(&r->s->mu);
	return 1;
}
