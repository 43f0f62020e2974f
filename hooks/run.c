/*
 * run.c — see run.h.
 */
#include "run.h"
#include "util/jsonx.h"
#include "util/log.h"
#include "util/timeutil.h"
#include "util/vec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* metadata.name, or generateName for hooks named by the server. */
static const char *name_of(const struct hook_item *h)
{
	const char *n = jsonx_str(h->obj, "metadata.name");

	if (!n)
		n = jsonx_str(h->obj, "metadata.generateName");
	return n ? n : "";
}

static int hook_cmp(const void *pa, const void *pb)
{
	const struct hook_item *a = pa, *b = pb;
	int c;

	if (a->spec.weight != b->spec.weight)
		return a->spec.weight < b->spec.weight ? -1 : 1;
	c = strcmp(jsonx_str(a->obj, "kind") ? jsonx_str(a->obj, "kind") : "",
		   jsonx_str(b->obj, "kind") ? jsonx_str(b->obj, "kind") : "");
	if (c)
		return c;
	c = strcmp(jsonx_str(a->obj, "metadata.namespace") ? jsonx_str(a->obj, "metadata.namespace") : "",
		   jsonx_str(b->obj, "metadata.namespace") ? jsonx_str(b->obj, "metadata.namespace") : "");
	if (c)
		return c;
	return strcmp(name_of(a), name_of(b));
}

void hooks_sort(struct hook_item *hooks, size_t n)
{
	qsort(hooks, n, sizeof(*hooks), hook_cmp);
}

int hooks_have_phase(const struct hook_item *hooks, size_t n, enum hook_phase phase)
{
	for (size_t i = 0; i < n; i++)
		if (hooks[i].spec.phases & (unsigned)phase)
			return 1;
	return 0;
}

static struct hook_outcome *report_add(struct hook_report *rep)
{
	if (vec_reserve(rep->runs, rep->n, rep->cap, 4))
		return NULL;
	memset(&rep->runs[rep->n], 0, sizeof(rep->runs[0]));
	return &rep->runs[rep->n++];
}

void hook_report_free(struct hook_report *rep)
{
	for (size_t i = 0; i < rep->n; i++)
		cJSON_Delete(rep->runs[i].conditions);
	free(rep->runs);
	memset(rep, 0, sizeof(*rep));
}

/* Deletes the hook object if it exists and waits until it is gone. */
static int delete_and_wait(struct kube_client *kc, const struct kube_resource *res, const char *ns,
			   const char *name, int64_t wait_ms, int64_t poll_ms, struct kerr *e)
{
	struct kube_delete_opts d = { .propagation = KUBE_PROPAGATION_BACKGROUND };
	int64_t deadline = time_mono_ms() + wait_ms;
	int rc = kube_delete(kc, res, ns, name, &d, e);

	if (rc == KAIRN_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	while (time_mono_ms() < deadline) {
		cJSON *live = NULL;

		rc = kube_get(kc, res, ns, name, &live, e);
		cJSON_Delete(live);
		if (rc == KAIRN_ENOTFOUND)
			return 0;
		if (rc)
			return rc;
		time_sleep_ms(poll_ms);
	}
	return kerr_set(e, KAIRN_ETIMEOUT, "%s %s/%s still exists %llds after deletion", res->kind,
			ns ? ns : "", name, (long long)(wait_ms / 1000));
}

static int run_one(struct kube_client *kc, struct hook_item *h, enum hook_phase phase,
		   const struct hook_run_opts *o, struct hook_outcome *out, struct kerr *e)
{
	const char *api = jsonx_str(h->obj, "apiVersion"), *kind = jsonx_str(h->obj, "kind");
	const char *ns = jsonx_str(h->obj, "metadata.namespace");
	const char *name = jsonx_str(h->obj, "metadata.name");
	int64_t poll = o->poll_ms > 0 ? o->poll_ms : 200;
	int64_t start = time_mono_ms(), deadline = start + h->spec.timeout_ms;
	struct kube_write_opts w = { .field_manager = o->field_manager ? o->field_manager : "kairn",
				     .force = 1 };
	struct kube_resource res;
	cJSON *obj = NULL, *labels;
	int rc;

	out->hook = h;
	out->phase = phase;
	out->state = HOOK_FAILED;
	snprintf(out->name, sizeof(out->name), "%s", name_of(h));
	if ((rc = kube_resolve(kc, api, kind, &res, e)))
		goto out;
	if (!res.namespaced)
		ns = NULL;
	/* A generateName hook gets a fresh name each run: nothing to delete first. */
	if (name && (h->spec.delete_policy & HOOK_DELETE_BEFORE_CREATION) &&
	    (rc = delete_and_wait(kc, &res, ns, name, o->delete_wait_ms > 0 ? o->delete_wait_ms : 60000,
				  poll, e)))
		goto out;
	obj = cJSON_Duplicate(h->obj, 1);
	if (obj && !res.namespaced) /* the plan gave every hook the default namespace */
		cJSON_DeleteItemFromObjectCaseSensitive(jsonx_get(obj, "metadata"), "namespace");
	labels = obj ? jsonx_ensure_obj(obj, "metadata.labels") : NULL;
	if (!labels || (o->source && jsonx_set(labels, "kairn.dev/source", cJSON_CreateString(o->source)))) {
		rc = kerr_set(e, KAIRN_ENOMEM, "out of memory");
		goto out;
	}
	log_info("hook %s: %s %s%s%s starting", hook_phase_name(phase), kind, ns ? ns : "", ns ? "/" : "",
		 name ? name : out->name);
	if (name) {
		rc = kube_apply(kc, &res, ns, obj, &w, NULL, e);
	} else {
		cJSON *made = NULL;

		rc = kube_create(kc, &res, ns, obj, &w, &made, e);
		if (!rc)
			snprintf(out->name, sizeof(out->name), "%s",
				 jsonx_str(made, "metadata.name") ? jsonx_str(made, "metadata.name") : "");
		cJSON_Delete(made);
		name = out->name;
		if (!rc && !*name)
			rc = kerr_set(e, KAIRN_EAPI, "the server created %s %s* without a name", kind,
				      jsonx_str(h->obj, "metadata.generateName"));
	}
	if (rc)
		goto out;
	for (;;) {
		cJSON *live = NULL;

		rc = kube_get(kc, &res, ns, name, &live, e);
		if (rc == KAIRN_ENOTFOUND) {
			out->state = HOOK_FAILED;
			snprintf(out->why, sizeof(out->why), "deleted by someone else while running");
			rc = 0;
			break;
		}
		if (rc)
			goto out;
		out->state = hook_state_of(live, out->why, sizeof(out->why));
		if (out->state == HOOK_RUNNING && time_mono_ms() >= deadline) {
			char limit[32];

			hook_format_duration(h->spec.timeout_ms, limit, sizeof(limit));
			out->state = HOOK_FAILED;
			snprintf(out->why, sizeof(out->why),
				 "timed out: not finished after %s (kairn.dev/hook-timeout: %s; default 10m)",
				 limit, limit);
		}
		if (out->state == HOOK_FAILED) {
			const cJSON *conds = jsonx_get(live, "status.conditions");

			hook_status_summary(live, out->status, sizeof(out->status));
			out->conditions = conds ? cJSON_Duplicate(conds, 1) : NULL;
		}
		cJSON_Delete(live);
		if (out->state != HOOK_RUNNING)
			break;
		time_sleep_ms(poll);
	}
	if ((out->state == HOOK_SUCCEEDED && (h->spec.delete_policy & HOOK_DELETE_ON_SUCCESS)) ||
	    (out->state == HOOK_FAILED && (h->spec.delete_policy & HOOK_DELETE_ON_FAILURE))) {
		struct kube_delete_opts d = { .propagation = KUBE_PROPAGATION_BACKGROUND };
		struct kerr ignored;

		if (kube_delete(kc, &res, ns, name, &d, &ignored) && ignored.code != KAIRN_ENOTFOUND)
			log_warn("hook %s: deleting after run: %s", name, ignored.msg);
	}
out:
	out->duration_ms = time_mono_ms() - start;
	if (rc)
		snprintf(out->why, sizeof(out->why), "%.500s", e->msg);
	cJSON_Delete(obj);
	return rc;
}

int hooks_plan_phase(struct hook_item *hooks, size_t n, enum hook_phase phase,
		     struct hook_report *rep, struct kerr *e)
{
	hooks_sort(hooks, n);
	for (size_t i = 0; i < n; i++) {
		struct hook_outcome *out;

		if (!(hooks[i].spec.phases & (unsigned)phase))
			continue;
		if (!(out = report_add(rep)))
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		out->hook = &hooks[i];
		out->phase = phase;
		out->state = HOOK_RUNNING;
		out->planned = 1;
		snprintf(out->name, sizeof(out->name), "%s", name_of(&hooks[i]));
	}
	return 0;
}

int hooks_run_phase(struct kube_client *kc, struct hook_item *hooks, size_t n,
		    enum hook_phase phase, const struct hook_run_opts *o, struct hook_report *rep,
		    struct kerr *e)
{
	hooks_sort(hooks, n);
	for (size_t i = 0; i < n; i++) {
		struct hook_item *h = &hooks[i];
		struct hook_outcome *out;
		int rc;

		if (!(h->spec.phases & (unsigned)phase))
			continue;
		out = report_add(rep);
		if (!out)
			return kerr_set(e, KAIRN_ENOMEM, "out of memory");
		rc = run_one(kc, h, phase, o, out, e);
		if (rc)
			return kerr_prefix(e, "%s hook %s (%s)", hook_phase_name(phase), out->name,
					   h->origin ? h->origin : "");
		log_info("hook %s: %s %s in %.1fs%s%s", hook_phase_name(phase), out->name,
			 out->state == HOOK_SUCCEEDED ? "succeeded" : "failed",
			 (double)out->duration_ms / 1000, out->why[0] ? ": " : "", out->why);
		if (out->state != HOOK_SUCCEEDED) {
			const char *hns = jsonx_str(h->obj, "metadata.namespace");

			return kerr_set(e, KAIRN_EHOOK, "%s hook %s %s%s%s (%s) failed: %s%s%s",
					hook_phase_name(phase), jsonx_str(h->obj, "kind"), hns ? hns : "",
					hns ? "/" : "", out->name,
					h->origin ? h->origin : "", out->why, out->status[0] ? "; " : "",
					out->status);
		}
	}
	return 0;
}
