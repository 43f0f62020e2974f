/*
 * table.c — meta.k8s.io/v1 Table answers for `kubectl get` (Accept
 * ...;as=Table;...): Name and Age columns, one row per object whose
 * `object` is the PartialObjectMetadata (namespace included, so -A prints
 * it). Optional per the contract §1.6; used for GET, LIST and WATCH events.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "objects.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

const char *const KS_TABLE_CTYPE = "application/json;as=Table;v=v1;g=meta.k8s.io";

int ks_wants_table(const struct ks_req *r)
{
	const char *acc = ks_hdr(r, "Accept");
	return acc && strstr(acc, "as=Table") && strstr(acc, "v=v1;") && strstr(acc, "g=meta.k8s.io");
}

/* kubectl's human duration: 45s, 3m2s, 15m, 5h3m, 30h, 2d5h, 20d. */
static void human_age(const char *ts, char *out, size_t n)
{
	time_t t;
	if (!ts || time_parse_rfc3339(ts, &t) != 0) {
		snprintf(out, n, "<unknown>");
		return;
	}
	long s = (long)(time(NULL) - t);
	if (s < 0)
		s = 0;
	if (s < 120)
		snprintf(out, n, "%lds", s);
	else if (s < 600)
		snprintf(out, n, "%ldm%lds", s / 60, s % 60);
	else if (s < 3 * 3600)
		snprintf(out, n, "%ldm", s / 60);
	else if (s < 8 * 3600)
		snprintf(out, n, "%ldh%ldm", s / 3600, (s % 3600) / 60);
	else if (s < 48 * 3600)
		snprintf(out, n, "%ldh", s / 3600);
	else if (s < 8 * 86400)
		snprintf(out, n, "%ldd%ldh", s / 86400, (s % 86400) / 3600);
	else
		snprintf(out, n, "%ldd", s / 86400);
}

static cJSON *column(const char *name, const char *format, const char *desc)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "type", "string");
	cJSON_AddStringToObject(c, "format", format);
	cJSON_AddStringToObject(c, "description", desc);
	cJSON_AddNumberToObject(c, "priority", 0);
	return c;
}

cJSON *ks_table_new(const char *rv, const char *cont)
{
	cJSON *t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "kind", "Table");
	cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
	cJSON *md = cJSON_AddObjectToObject(t, "metadata");
	if (rv)
		cJSON_AddStringToObject(md, "resourceVersion", rv);
	if (cont)
		cJSON_AddStringToObject(md, "continue", cont);
	cJSON *cols = cJSON_AddArrayToObject(t, "columnDefinitions");
	cJSON_AddItemToArray(cols, column("Name", "name", "Name must be unique within a namespace."));
	cJSON_AddItemToArray(cols, column("Age", "", "CreationTimestamp is a timestamp representing the server time when this object was created."));
	cJSON_AddArrayToObject(t, "rows");
	return t;
}

void ks_table_add(cJSON *table, const cJSON *obj)
{
	char age[32];
	human_age(jsonx_str(obj, "metadata.creationTimestamp"), age, sizeof(age));
	cJSON *row = cJSON_CreateObject();
	cJSON *cells = cJSON_AddArrayToObject(row, "cells");
	const char *name = jsonx_str(obj, "metadata.name");
	cJSON_AddItemToArray(cells, cJSON_CreateString(name ? name : ""));
	cJSON_AddItemToArray(cells, cJSON_CreateString(age));
	cJSON *po = cJSON_AddObjectToObject(row, "object");
	cJSON_AddStringToObject(po, "kind", "PartialObjectMetadata");
	cJSON_AddStringToObject(po, "apiVersion", "meta.k8s.io/v1");
	cJSON *md = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(obj, "metadata"), 1);
	cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
	cJSON_AddItemToObject(po, "metadata", md ? md : cJSON_CreateObject());
	cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(table, "rows"), row);
}
