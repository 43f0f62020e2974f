/*
 * patchops.h — server-side apply and managedFields tracking as the server
 * calls them (see patchops.c); same contracts as kssa_apply and
 * kssa_track_update in patch/patch.h.
 */
#ifndef KUBESIM_PATCHOPS_H
#define KUBESIM_PATCHOPS_H

#include "patch/patch.h"

int ks_ssa_apply(const cJSON *live, const cJSON *applied, const struct kssa_req *req, cJSON **out,
		 cJSON **conflicts, struct kerr *e);
int ks_ssa_track_update(const cJSON *old, cJSON *updated, const char *manager, const char *api_version,
			const char *subresource, const char *now, struct kerr *e);

#endif
