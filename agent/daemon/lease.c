/*
 * lease.c — see lease.h.
 */
#include "lease.h"
#include "util/jsonx.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <string.h>

static void microtime(time_t t, char out[40])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 40, "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
}

static int expired(const cJSON *live, time_t now)
{
	const char *renew = jsonx_str(live, "spec.renewTime");
	long dur = jsonx_long(live, "spec.leaseDurationSeconds", 0);
	time_t t;

	if (!renew || time_parse_rfc3339(renew, &t) != 0 || dur <= 0)
		return 1; /* unreadable: treat as expired, the RV precondition keeps it safe */
	return now > t + dur;
}

int lease_is_held_by(const cJSON *live, const char *identity, time_t now)
{
	const char *holder = jsonx_str(live, "spec.holderIdentity");

	return live && holder && strcmp(holder, identity) == 0 && !expired(live, now);
}

int lease_decide(const cJSON *live, const struct lease_params *p, time_t now,
		 enum lease_action *action, cJSON **out, struct kerr *e)
{
	const char *holder = jsonx_str(live, "spec.holderIdentity");
	const char *rv = jsonx_str(live, "metadata.resourceVersion");
	long transitions = jsonx_long(live, "spec.leaseTransitions", 0);
	const char *acquired = jsonx_str(live, "spec.acquireTime");
	char ts[40];
	cJSON *l, *meta, *spec;

	*out = NULL;
	if (!live)
		*action = LEASE_CREATE;
	else if (holder && strcmp(holder, p->identity) == 0)
		*action = LEASE_RENEW;
	else if (!holder || !*holder || expired(live, now))
		*action = LEASE_TAKEOVER;
	else
		*action = LEASE_FOLLOW;
	if (*action == LEASE_FOLLOW)
		return 0;

	microtime(now, ts);
	l = cJSON_CreateObject();
	meta = cJSON_AddObjectToObject(l, "metadata");
	spec = cJSON_AddObjectToObject(l, "spec");
	if (!l || !meta || !spec || !cJSON_AddStringToObject(l, "apiVersion", "coordination.k8s.io/v1") ||
	    !cJSON_AddStringToObject(l, "kind", "Lease") ||
	    !cJSON_AddStringToObject(meta, "name", p->name) ||
	    !cJSON_AddStringToObject(meta, "namespace", p->namespace) ||
	    (rv && !cJSON_AddStringToObject(meta, "resourceVersion", rv)) ||
	    !cJSON_AddStringToObject(spec, "holderIdentity", p->identity) ||
	    !cJSON_AddNumberToObject(spec, "leaseDurationSeconds", p->duration_s) ||
	    !cJSON_AddStringToObject(spec, "renewTime", ts) ||
	    !cJSON_AddStringToObject(spec, "acquireTime",
				     *action == LEASE_RENEW && acquired ? acquired : ts) ||
	    !cJSON_AddNumberToObject(spec, "leaseTransitions",
				     (double)(transitions + (*action == LEASE_TAKEOVER ? 1 : 0)))) {
		cJSON_Delete(l);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	*out = l;
	return 0;
}
