/*
 * execute.c — carrying out a sync plan (see sync.h).
 *
 * Order of writes: pre-sync hooks; apply groups (CRDs, then Namespaces, then
 * each wave by kind rank), each group in parallel by server-side apply,
 * waiting for CRDs to be Established before anything that uses them; the
 * inventory (desired plus not-yet-pruned objects, so a crash never forgets
 * an object); sync hooks; prune in reverse order; the inventory again;
 * post-sync hooks. Hooks of those three phases run only when the plan has
 * changes, unless o->run_hooks says always or never.
 * A failed group stops the apply; the inventory still records everything
 * that may exist, and sync-fail hooks run.
 */
#include "sync.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/timeutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define APPLY_CHUNK 512

static int is_desired(const struct sync_entry *en)
{
	return en->desired != NULL;
}

/* Entries i and j are applied in the same parallel batch. */
static int same_group(const struct sync_entry *a, const struct sync_entry *b)
{
	if (a->order.foundation != b->order.foundation)
		return 0;
	if (a->order.foundation == 0)
		return a->order.rank == b->order.rank;
	return a->order.wave == b->order.wave && a->order.rank == b->order.rank;
}

static void set_error(struct sync_entry *en, const struct kerr *e)
{
	free(en->error);
	en->error = strdup(e->msg);
}

static int wait_crds(struct kube_client *kc, struct sync_entry *en, size_t n, int64_t wait_ms,
		     struct kerr *e)
{
	int rc;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(en[i].kind, "CustomResourceDefinition") != 0 || !en[i].done ||
		    en[i].action == SYNC_UNCHANGED)
			continue;
		if ((rc = kube_wait_crd_established(kc, &en[i].res, en[i].name, wait_ms, e)))
			return rc;
	}
	return 0;
}

/* Readies entry i for applying: 1 if it needs a write, 0 if not, < 0 when
 * it cannot be applied (its error is set). */
static int apply_needed(struct kube_client *kc, struct sync_entry *en, int dry_run)
{
	struct kerr re;

	if (en->action == SYNC_UNCHANGED && is_desired(en))
		en->done = 1;
	if (en->action != SYNC_CREATE && en->action != SYNC_UPDATE)
		return 0;
	if (en->done)
		return 0; /* applied early (a hook's namespace) */
	if (en->res_pending && dry_run) {
		/* its CRD was not really created: nothing to validate against */
		en->done = 1;
		return 0;
	}
	if (en->res_pending) {
		if (kube_resolve(kc, en->api_version, en->kind, &en->res, &re)) {
			set_error(en, &re);
			return -1;
		}
		en->res_pending = 0;
	}
	return 1;
}

/* Applies entries [0, n) that need it, in parallel: APPLY_CHUNK requests
 * are prepared at a time, so memory stays flat however large the group.
 * The stored objects the server answers with are not even parsed. */
static int apply_group(struct kube_client *kc, struct sync_entry *en, size_t n, int dry_run,
		       struct kerr *e)
{
	struct kube_op *ops = calloc(APPLY_CHUNK, sizeof(*ops));
	size_t *idx = calloc(APPLY_CHUNK, sizeof(size_t));
	int rc = 0, failed = 0;

	if (!ops || !idx) {
		free(ops);
		free(idx);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n;) {
		size_t nops = 0;

		for (; i < n && nops < APPLY_CHUNK; i++) {
			int need = apply_needed(kc, &en[i], dry_run);

			if (need < 0)
				failed++;
			if (need <= 0)
				continue;
			memset(&ops[nops], 0, sizeof(ops[nops]));
			ops[nops].kind = KUBE_OP_APPLY;
			ops[nops].res = &en[i].res;
			ops[nops].namespace = en[i].ns;
			ops[nops].name = en[i].name;
			ops[nops].body_json = en[i].desired;
			ops[nops].field_manager = KAIRN_FIELD_MANAGER;
			ops[nops].force = 1;
			ops[nops].dry_run = dry_run;
			ops[nops].no_result = 1;
			idx[nops++] = i;
		}
		if (nops)
			kube_run(kc, ops, nops, e);
		for (size_t k = 0; k < nops; k++) {
			struct sync_entry *x = &en[idx[k]];

			if (ops[k].rc) {
				set_error(x, &ops[k].err);
				failed++;
				log_error("apply %s %s%s%s (%s): %s", x->kind, x->ns ? x->ns : "",
					  x->ns ? "/" : "", x->name, x->origin, ops[k].err.msg);
			} else {
				x->done = 1;
				log_debug("applied %s %s%s%s", x->kind, x->ns ? x->ns : "", x->ns ? "/" : "",
					  x->name);
			}
		}
		kube_ops_clear(ops, nops);
	}
	free(ops);
	free(idx);
	if (failed)
		rc = kerr_set(e, KAIRN_EAPI, "%d object%s failed to apply", failed, failed == 1 ? "" : "s");
	return rc;
}

/* Namespaces that pre-sync hooks run in and that do not exist yet (first
 * install: Helm's pre-install) are created before the hooks; nothing else
 * is written before them. */
static int apply_hook_namespaces(struct kube_client *kc, struct sync_plan *p, struct kerr *e)
{
	for (size_t i = 0; i < p->n; i++) {
		struct sync_entry *en = &p->entries[i];
		int rc, used = 0;

		if (en->action != SYNC_CREATE || en->ns || strcmp(en->kind, "Namespace") != 0 ||
		    strcmp(en->api_version, "v1") != 0)
			continue;
		for (size_t h = 0; h < p->n_hooks && !used; h++) {
			const char *hns = jsonx_str(p->hooks[h].obj, "metadata.namespace");

			used = (p->hooks[h].spec.phases & HOOK_PHASE_PRE_SYNC) && hns &&
			       strcmp(hns, en->name) == 0;
		}
		if (used && (rc = apply_group(kc, en, 1, 0, e)))
			return kerr_prefix(e, "namespace %s for pre-sync hooks", en->name);
	}
	return 0;
}

static int apply_all(struct kube_client *kc, struct sync_plan *p, const struct sync_opts *o,
		     struct sync_outcome *out, struct kerr *e)
{
	for (size_t i = 0; i < p->n;) {
		size_t j = i + 1;
		int rc;

		while (j < p->n && same_group(&p->entries[i], &p->entries[j]))
			j++;
		rc = apply_group(kc, &p->entries[i], j - i, o->dry_run, e);
		for (size_t k = i; k < j; k++) {
			if (p->entries[k].action == SYNC_CREATE || p->entries[k].action == SYNC_UPDATE) {
				if (p->entries[k].done)
					out->applied++;
				else
					out->failed++;
			}
		}
		if (rc)
			return rc;
		if (!o->dry_run && p->entries[i].order.foundation == 0 &&
		    p->entries[i].order.rank == SYNC_RANK_CRD &&
		    (rc = wait_crds(kc, &p->entries[i], j - i, o->crd_wait_ms, e)))
			return rc;
		i = j;
	}
	return 0;
}

/* Should the inventory list this entry? after_prune: pruning has run. */
static int in_inventory(const struct sync_entry *en, int after_prune)
{
	if (is_desired(en))
		return en->done || en->action == SYNC_UNCHANGED || en->live != NULL;
	if (en->action == SYNC_PRUNE)
		return !after_prune || !en->done;
	return en->inventory_keep;
}

static int same_as_prev(const struct sync_plan *p, char **keys, size_t n)
{
	if (!p->have_prev || p->prev.n != n || strcmp(p->prev.desired_hash, p->desired_hash) != 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!inventory_contains(&p->prev, keys[i]))
			return 0;
	return 1;
}

static int ensure_namespace(struct kube_client *kc, const char *ns, struct kerr *e)
{
	struct kube_resource res;
	struct kube_write_opts w = { .field_manager = KAIRN_FIELD_MANAGER, .force = 1 };
	cJSON *obj;
	int rc;

	if ((rc = kube_resolve(kc, "v1", "Namespace", &res, e)))
		return rc;
	obj = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"labels\":"
			  "{\"app.kubernetes.io/managed-by\":\"kairn\"}}}");
	if (!obj || jsonx_set(jsonx_get(obj, "metadata"), "name", cJSON_CreateString(ns))) {
		cJSON_Delete(obj);
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	}
	rc = kube_apply(kc, &res, NULL, obj, &w, NULL, e);
	cJSON_Delete(obj);
	return rc;
}

static int write_inventory(struct kube_client *kc, struct sync_plan *p, const struct sync_opts *o,
			   int after_prune, struct kerr *e)
{
	const char *ns = o->inventory_ns ? o->inventory_ns : "kairn-system";
	struct inventory inv = { 0 };
	struct kube_write_opts w = { .field_manager = KAIRN_FIELD_MANAGER, .force = 1 };
	struct kube_resource cm;
	char now[32];
	cJSON *obj = NULL;
	int rc = 0;

	inv.keys = calloc(p->n + 1, sizeof(char *));
	if (!inv.keys)
		return kerr_set(e, KAIRN_ENOMEM, "out of memory");
	for (size_t i = 0; i < p->n; i++)
		if (in_inventory(&p->entries[i], after_prune))
			inv.keys[inv.n++] = p->entries[i].key;
	if (same_as_prev(p, inv.keys, inv.n))
		goto out; /* a no-op sync writes nothing */
	time_rfc3339(time(NULL), now);
	inv.commit = (char *)(o->commit ? o->commit : "");
	inv.synced_at = now;
	inv.desired_hash = p->desired_hash;
	if ((rc = inventory_to_configmap(&inv, o->source, ns, &obj, e)) ||
	    (rc = kube_resolve(kc, "v1", "ConfigMap", &cm, e)))
		goto out;
	rc = kube_apply(kc, &cm, ns, obj, &w, NULL, e);
	if (rc == KAIRN_ENOTFOUND) {
		/* kairn's namespace does not exist yet (first sync from CI) */
		if ((rc = ensure_namespace(kc, ns, e)) == 0)
			rc = kube_apply(kc, &cm, ns, obj, &w, NULL, e);
	}
	if (rc)
		kerr_prefix(e, "writing inventory");
out:
	cJSON_Delete(obj);
	free(inv.keys);
	return rc;
}

static int prune_all(struct kube_client *kc, struct sync_plan *p, int dry_run,
		     struct sync_outcome *out, struct kerr *e)
{
	size_t end = p->n;
	int failed = 0;

	/* Reverse apply order, one group at a time. */
	while (end > 0) {
		size_t start = end - 1, nops = 0;
		struct kube_op *ops;
		size_t *idx;

		while (start > 0 && same_group(&p->entries[start - 1], &p->entries[end - 1]))
			start--;
		ops = calloc(end - start + 1, sizeof(*ops));
		idx = calloc(end - start + 1, sizeof(size_t));
		if (!ops || !idx) {
			free(ops);
			free(idx);
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		}
		for (size_t i = start; i < end; i++) {
			struct sync_entry *en = &p->entries[i];

			if (en->action != SYNC_PRUNE)
				continue;
			ops[nops].kind = KUBE_OP_DELETE;
			ops[nops].res = &en->res;
			ops[nops].namespace = en->ns;
			ops[nops].name = en->name;
			ops[nops].propagation = KUBE_PROPAGATION_BACKGROUND;
			ops[nops].precondition_uid = jsonx_str(en->live, "metadata.uid");
			ops[nops].dry_run = dry_run;
			idx[nops++] = i;
		}
		if (nops)
			kube_run(kc, ops, nops, e);
		for (size_t k = 0; k < nops; k++) {
			struct sync_entry *en = &p->entries[idx[k]];

			if (ops[k].rc == 0 || ops[k].rc == KAIRN_ENOTFOUND) {
				en->done = 1;
				out->pruned++;
				log_info("pruned %s %s%s%s", en->kind, en->ns ? en->ns : "", en->ns ? "/" : "",
					 en->name);
			} else {
				set_error(en, &ops[k].err);
				out->prune_failed++;
				failed++;
			}
		}
		kube_ops_clear(ops, nops);
		free(ops);
		free(idx);
		end = start;
	}
	if (failed)
		return kerr_set(e, KAIRN_EAPI, "%d object%s failed to prune", failed, failed == 1 ? "" : "s");
	return 0;
}

int sync_run_hooks_parse(const char *s, enum sync_run_hooks *out)
{
	if (strcmp(s, "changes") == 0)
		*out = SYNC_HOOKS_CHANGES;
	else if (strcmp(s, "always") == 0)
		*out = SYNC_HOOKS_ALWAYS;
	else if (strcmp(s, "never") == 0)
		*out = SYNC_HOOKS_NEVER;
	else
		return KAIRN_EINVAL;
	return 0;
}

static void run_sync_fail(struct kube_client *kc, struct sync_plan *p, const struct sync_opts *o,
			  struct sync_outcome *out)
{
	struct kerr fe;

	if (o->run_hooks == SYNC_HOOKS_NEVER || !hooks_have_phase(p->hooks, p->n_hooks, HOOK_PHASE_SYNC_FAIL))
		return;
	if (hooks_run_phase(kc, p->hooks, p->n_hooks, HOOK_PHASE_SYNC_FAIL, &o->hooks, &out->hooks, &fe))
		log_error("sync-fail hooks: %s", fe.msg);
}

/* Runs the hooks of one phase (pre-sync, sync, post-sync) when wanted; a
 * failure runs the sync-fail hooks. */
static int run_phase(struct kube_client *kc, struct sync_plan *p, const struct sync_opts *o,
		     int wanted, enum hook_phase phase, struct sync_outcome *out, struct kerr *e)
{
	int rc;

	if (!wanted || !hooks_have_phase(p->hooks, p->n_hooks, phase))
		return 0;
	rc = hooks_run_phase(kc, p->hooks, p->n_hooks, phase, &o->hooks, &out->hooks, e);
	if (rc) {
		out->hooks_failed = 1;
		run_sync_fail(kc, p, o, out);
	}
	return rc;
}

int sync_hooks_planned(struct sync_plan *p, const struct sync_opts *o, struct hook_report *rep,
		       struct kerr *e)
{
	static const enum hook_phase phases[] = { HOOK_PHASE_PRE_SYNC, HOOK_PHASE_SYNC, HOOK_PHASE_POST_SYNC };
	int rc = 0;

	if (o->run_hooks == SYNC_HOOKS_NEVER || (o->run_hooks == SYNC_HOOKS_CHANGES && !sync_plan_has_changes(p)))
		return 0;
	for (size_t i = 0; !rc && i < sizeof(phases) / sizeof(phases[0]); i++)
		rc = hooks_plan_phase(p->hooks, p->n_hooks, phases[i], rep, e);
	return rc;
}

int sync_execute(struct kube_client *kc, struct sync_plan *p, const struct sync_opts *o,
		 struct sync_outcome *out, struct kerr *e)
{
	int64_t start = time_mono_ms();
	int changes = sync_plan_has_changes(p);
	int hooks = o->run_hooks == SYNC_HOOKS_ALWAYS || (o->run_hooks == SYNC_HOOKS_CHANGES && changes);
	int rc = 0;
	struct kerr ie;

	memset(out, 0, sizeof(*out));
	if (o->dry_run) {
		/* dryRun=All: the server validates every write and stores nothing;
		 * hooks are listed, not created; the inventory is left alone. */
		if ((rc = sync_hooks_planned(p, o, &out->hooks, e)))
			goto out;
		rc = apply_all(kc, p, o, out, e);
		if (!rc && p->counts[SYNC_PRUNE])
			rc = prune_all(kc, p, 1, out, e);
		if (!rc && p->prune_refused)
			rc = kerr_set(e, KAIRN_EGUARD, "%s", p->prune_refusal);
		goto out;
	}
	if (hooks && hooks_have_phase(p->hooks, p->n_hooks, HOOK_PHASE_PRE_SYNC) &&
	    (rc = apply_hook_namespaces(kc, p, e)))
		goto out;
	if ((rc = run_phase(kc, p, o, hooks, HOOK_PHASE_PRE_SYNC, out, e)))
		goto out;
	rc = apply_all(kc, p, o, out, e);
	if (rc) {
		/* Record whatever may exist now, so nothing is forgotten. */
		if (write_inventory(kc, p, o, 0, &ie))
			log_error("%s", ie.msg);
		run_sync_fail(kc, p, o, out);
		goto out;
	}
	if ((rc = write_inventory(kc, p, o, 0, e)))
		goto out;
	if ((rc = run_phase(kc, p, o, hooks, HOOK_PHASE_SYNC, out, e)))
		goto out;
	if (p->counts[SYNC_PRUNE]) {
		rc = prune_all(kc, p, 0, out, e);
		if (write_inventory(kc, p, o, 1, &ie) && !rc) {
			*e = ie;
			rc = ie.code;
		}
		if (rc)
			goto out;
	}
	if ((rc = run_phase(kc, p, o, hooks, HOOK_PHASE_POST_SYNC, out, e)))
		goto out;
	if (p->prune_refused)
		rc = kerr_set(e, KAIRN_EGUARD, "%s", p->prune_refusal);
out:
	out->duration_ms = time_mono_ms() - start;
	return rc;
}

void sync_outcome_free(struct sync_outcome *o)
{
	hook_report_free(&o->hooks);
}
