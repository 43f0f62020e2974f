/*
 * protobuf.c — decodes the protobuf bodies kubectl >= 1.32 sends from its
 * typed generators (create namespace|configmap|secret): the "k8s\0" magic,
 * a runtime.Unknown envelope {1 typeMeta{1 apiVersion, 2 kind}, 2 raw,
 * 3 contentEncoding, 4 contentType}, and in raw the typed message whose
 * field 1 is ObjectMeta (1 name, 2 generateName, 3 namespace, 11 labels,
 * 12 annotations). Other kinds answer KAIRN_EUNSUPPORTED (-> 415).
 * Bounds-checked: hostile input yields KAIRN_EPARSE, never a crash.
 */
#include <stdlib.h>
#include <string.h>
#include "ks.h"
#include "util/codec.h"

struct pb {
	const unsigned char *p, *end;
};

static int varint(struct pb *b, uint64_t *out)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (b->p >= b->end)
			return -1;
		unsigned char c = *b->p++;
		v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80)) {
			*out = v;
			return 0;
		}
	}
	return -1;
}

/* Next field: number, wire type and, for length-delimited, the bytes. */
static int next_field(struct pb *b, uint32_t *num, int *wt, struct pb *sub, uint64_t *ival)
{
	uint64_t key;
	if (varint(b, &key))
		return -1;
	*num = (uint32_t)(key >> 3);
	*wt = (int)(key & 7);
	switch (*wt) {
	case 0:
		return varint(b, ival);
	case 1:
		if (b->end - b->p < 8)
			return -1;
		b->p += 8;
		return 0;
	case 5:
		if (b->end - b->p < 4)
			return -1;
		b->p += 4;
		return 0;
	case 2: {
		uint64_t len;
		if (varint(b, &len) || len > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + len;
		b->p += len;
		return 0;
	}
	default:
		return -1;
	}
}

static cJSON *pb_string(const struct pb *s)
{
	char *t = strndup((const char *)s->p, (size_t)(s->end - s->p));
	cJSON *j = cJSON_CreateString(t ? t : "");
	free(t);
	return j;
}

/* A map entry {1 key, 2 value} into obj; as_b64 encodes bytes values. */
static int map_entry(struct pb e, cJSON *obj, int as_b64)
{
	char *key = NULL;
	cJSON *val = NULL;
	while (e.p < e.end) {
		uint32_t n;
		int wt;
		struct pb s;
		uint64_t iv;
		if (next_field(&e, &n, &wt, &s, &iv))
			goto fail;
		if (wt != 2)
			continue;
		if (n == 1) {
			free(key);
			key = strndup((const char *)s.p, (size_t)(s.end - s.p));
		} else if (n == 2) {
			cJSON_Delete(val);
			if (as_b64) {
				char *b = b64_encode(s.p, (size_t)(s.end - s.p));
				val = cJSON_CreateString(b ? b : "");
				free(b);
			} else {
				val = pb_string(&s);
			}
		}
	}
	if (!key)
		goto fail;
	cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	cJSON_AddItemToObject(obj, key, val ? val : cJSON_CreateString(""));
	free(key);
	return 0;
fail:
	free(key);
	cJSON_Delete(val);
	return -1;
}

static cJSON *ensure(cJSON *obj, const char *k)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, k);
	return c ? c : cJSON_AddObjectToObject(obj, k);
}

static int object_meta(struct pb m, cJSON *md)
{
	while (m.p < m.end) {
		uint32_t n;
		int wt;
		struct pb s;
		uint64_t iv;
		if (next_field(&m, &n, &wt, &s, &iv))
			return -1;
		if (wt != 2)
			continue;
		if (n == 1 || n == 2 || n == 3) {
			static const char *const names[] = { "", "name", "generateName", "namespace" };
			cJSON_DeleteItemFromObjectCaseSensitive(md, names[n]);
			cJSON_AddItemToObject(md, names[n], pb_string(&s));
		} else if (n == 11 && map_entry(s, ensure(md, "labels"), 0)) {
			return -1;
		} else if (n == 12 && map_entry(s, ensure(md, "annotations"), 0)) {
			return -1;
		}
	}
	return 0;
}

static int typed(struct pb raw, const char *kind, cJSON *obj)
{
	cJSON *md = ensure(obj, "metadata");
	while (raw.p < raw.end) {
		uint32_t n;
		int wt;
		struct pb s;
		uint64_t iv;
		if (next_field(&raw, &n, &wt, &s, &iv))
			return -1;
		if (n == 1 && wt == 2) {
			if (object_meta(s, md))
				return -1;
			continue;
		}
		if (!strcmp(kind, "ConfigMap")) {
			if (n == 2 && wt == 2 && map_entry(s, ensure(obj, "data"), 0))
				return -1;
			if (n == 3 && wt == 2 && map_entry(s, ensure(obj, "binaryData"), 1))
				return -1;
			if (n == 4 && wt == 0)
				cJSON_AddBoolToObject(obj, "immutable", iv != 0);
		} else if (!strcmp(kind, "Secret")) {
			if (n == 2 && wt == 2 && map_entry(s, ensure(obj, "data"), 1))
				return -1;
			if (n == 3 && wt == 2) {
				cJSON_DeleteItemFromObjectCaseSensitive(obj, "type");
				cJSON_AddItemToObject(obj, "type", pb_string(&s));
			}
			if (n == 4 && wt == 2 && map_entry(s, ensure(obj, "stringData"), 0))
				return -1;
			if (n == 5 && wt == 0)
				cJSON_AddBoolToObject(obj, "immutable", iv != 0);
		} else if (!strcmp(kind, "Namespace") && n == 2 && wt == 2) {
			cJSON *spec = ensure(obj, "spec");
			struct pb sp = s;
			while (sp.p < sp.end) {
				uint32_t fn;
				int fwt;
				struct pb fs;
				uint64_t fiv;
				if (next_field(&sp, &fn, &fwt, &fs, &fiv))
					return -1;
				if (fn == 1 && fwt == 2) {
					cJSON *f = cJSON_GetObjectItemCaseSensitive(spec, "finalizers");
					if (!f)
						f = cJSON_AddArrayToObject(spec, "finalizers");
					cJSON_AddItemToArray(f, pb_string(&fs));
				}
			}
		}
	}
	return 0;
}

int ks_protobuf_decode(const unsigned char *buf, size_t len, cJSON **out, struct kerr *e)
{
	*out = NULL;
	if (len < 4 || memcmp(buf, "k8s\0", 4) != 0)
		return kerr_set(e, KAIRN_EPARSE, "protobuf body lacks the k8s envelope");
	struct pb b = { buf + 4, buf + len }, raw = { NULL, NULL };
	char *api_version = NULL, *kind = NULL;
	int rc = 0;
	cJSON *obj = NULL;
	while (b.p < b.end) {
		uint32_t n;
		int wt;
		struct pb s;
		uint64_t iv;
		if (next_field(&b, &n, &wt, &s, &iv)) {
			rc = kerr_set(e, KAIRN_EPARSE, "malformed protobuf envelope");
			goto out;
		}
		if (n == 1 && wt == 2) {
			while (s.p < s.end) {
				uint32_t tn;
				int twt;
				struct pb ts;
				uint64_t tiv;
				if (next_field(&s, &tn, &twt, &ts, &tiv)) {
					rc = kerr_set(e, KAIRN_EPARSE, "malformed protobuf TypeMeta");
					goto out;
				}
				if (twt == 2 && tn == 1) {
					free(api_version);
					api_version = strndup((const char *)ts.p, (size_t)(ts.end - ts.p));
				} else if (twt == 2 && tn == 2) {
					free(kind);
					kind = strndup((const char *)ts.p, (size_t)(ts.end - ts.p));
				}
			}
		} else if (n == 2 && wt == 2) {
			raw = s;
		}
	}
	if (!kind || !api_version || !raw.p) {
		rc = kerr_set(e, KAIRN_EPARSE, "protobuf body lacks kind, apiVersion or object");
		goto out;
	}
	if (strcmp(api_version, "v1") || (strcmp(kind, "Namespace") && strcmp(kind, "ConfigMap") && strcmp(kind, "Secret"))) {
		rc = kerr_set(e, KAIRN_EUNSUPPORTED,
			      "kubesim decodes protobuf only for v1 Namespace, ConfigMap and Secret (got %s %s); send JSON",
			      api_version, kind);
		goto out;
	}
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "apiVersion", api_version);
	cJSON_AddStringToObject(obj, "kind", kind);
	if (typed(raw, kind, obj)) {
		rc = kerr_set(e, KAIRN_EPARSE, "malformed protobuf %s", kind);
		goto out;
	}
	*out = obj;
	obj = NULL;
out:
	cJSON_Delete(obj);
	free(api_version);
	free(kind);
	return rc;
}
