/*
 * classmap.c - a checkpoint's tensors placed into the modules of the model
 * class its config.json names, so that every device_map key is a module the
 * class creates (see planner.h, vf_layers_for_class).
 *
 * transformers builds the class from the config and then fills it from the
 * file: what the file lacks is created (a tied lm_head that save_pretrained
 * left out, BertLMHeadModel's cls head over a BertModel file), what the class
 * does not have is ignored (a stored non-persistent buffer such as
 * embeddings.position_ids), and a base-model file (GPT-2's "h.0...") is read
 * into the class under its prefix ("transformer.h.0...").  So the layers are
 * the synthesized class's layers, in its execution order; each file tensor
 * adds its bytes to the layer of the class tensor it fills (or, for
 * quantized names such as q_proj.qweight, to the layer whose module holds
 * it); each class tensor the file lacks adds its own bytes where it sits.
 */
#include <stdio.h>
#include <string.h>

#include "common/mem.h"
#include "common/strmap.h"
#include "planner/planner.h"

/* "model." / "transformer." / "bert.": what the class puts before the base
 * model's names, or 0 (T5 and base classes have none). */
static size_t class_prefix(const struct vf_synth *s)
{
	const char *n, *dot;

	if (!s->ntensors || s->family == VF_FAM_T5)
		return 0;
	n = s->tensors[0].name;
	dot = strchr(n, '.');
	if (!dot)
		return 0;
	if (strncmp(n, "model.", 6) && strncmp(n, "transformer.", 12) && strncmp(n, "bert.", 5))
		return 0;
	return (size_t)(dot - n) + 1;
}

/* The class name of file tensor name: as it is, with the prefix added, or
 * with it removed, whichever the class has; into buf. */
static long class_tensor(const struct vf_strmap *names, const char *name, const char *pref,
			 size_t plen, char *buf, size_t cap)
{
	uint32_t v;

	if (vf_strmap_get(names, name, &v))
		return (long)v;
	if (plen && strlen(name) + plen < cap) {
		memcpy(buf, pref, plen);
		strcpy(buf + plen, name);
		if (vf_strmap_get(names, buf, &v))
			return (long)v;
		if (strncmp(name, pref, plen) == 0 && vf_strmap_get(names, name + plen, &v))
			return (long)v;
	}
	return -1;
}

/* The layer whose module holds name (the longest dotted prefix that names a
 * layer), trying the class prefix too; -1 when none. */
static long holding_layer(const struct vf_strmap *lmap, const char *name, const char *pref,
			  size_t plen, char *buf, size_t cap)
{
	for (int k = 0; k < 3; k++) {
		size_t n;
		uint32_t v;
		if (k == 0) {
			if (strlen(name) >= cap)
				continue;
			strcpy(buf, name);
		} else if (k == 1) {
			if (!plen || strlen(name) + plen >= cap)
				continue;
			memcpy(buf, pref, plen);
			strcpy(buf + plen, name);
		} else {
			if (!plen || strncmp(name, pref, plen) || strlen(name) >= cap)
				continue;
			strcpy(buf, name + plen);
		}
		for (n = strlen(buf); n > 0; n--) {
			if (buf[n] != '.' && buf[n] != '\0')
				continue;
			buf[n] = '\0';
			if (vf_strmap_get(lmap, buf, &v))
				return (long)v;
		}
	}
	return -1;
}

/* Marks the class's weight and bias of the module holding file tensor name
 * as present (GPTQ's q_proj.qweight fills q_proj, whose weight the class
 * replaces). */
static void mark_module(const struct vf_strmap *names, uint8_t *present, const char *name,
			const char *pref, size_t plen, char *buf, size_t cap)
{
	static const char *const leaves[] = {".weight", ".bias"};
	const char *dot = strrchr(name, '.');
	size_t n = dot ? (size_t)(dot - name) : 0;
	char mod[600];
	long j;

	if (!dot || n + 8 >= sizeof(mod))
		return;
	for (int k = 0; k < 2; k++) {
		memcpy(mod, name, n);
		strcpy(mod + n, leaves[k]);
		if ((j = class_tensor(names, mod, pref, plen, buf, cap)) >= 0)
			present[j] = 1;
	}
}

enum vf_status vf_layers_for_class(const struct vf_synth *s, const struct vf_ckpt *ck,
				   const struct vf_wconv *c, struct vf_layers *out,
				   struct vf_class_fit *fit, struct vf_err *err)
{
	const struct vf_model *m = ck->m;
	struct vf_strmap names = {0}, lmap = {0};
	uint8_t *present = NULL;
	long *cls_of = NULL;
	uint32_t *syn_of = NULL;
	char pref[64], buf[600];
	size_t plen = class_prefix(s);
	enum vf_status st;

	memset(fit, 0, sizeof(*fit));
	if ((st = vf_layers_from_synth(s, c, out, err)))
		return st;
	snprintf(pref, sizeof(pref), "%.*s", (int)plen, s->ntensors ? s->tensors[0].name : "");
	present = vf_calloc(s->ntensors ? s->ntensors : 1, 1);
	cls_of = vf_malloc((m->ntensors ? m->ntensors : 1) * sizeof(*cls_of));
	if (!present || !cls_of || vf_strmap_reserve(&names, s->ntensors) < 0 ||
	    vf_strmap_reserve(&lmap, out->n) < 0)
		goto oom;
	for (size_t j = 0; j < s->ntensors; j++)
		if (vf_strmap_put(&names, s->tensors[j].name, (uint32_t)j, NULL) < 0)
			goto oom;
	for (size_t i = 0; i < out->n; i++) {
		if (vf_strmap_put(&lmap, out->v[i].name, (uint32_t)i, NULL) < 0)
			goto oom;
		out->v[i].bytes = out->v[i].params = 0;
		out->v[i].ntensors = 0;
	}
	syn_of = out->of_tensor; /* per synthesized tensor; now per file tensor */
	if (!(out->of_tensor = vf_malloc((m->ntensors ? m->ntensors : 1) * sizeof(uint32_t))))
		goto oom;
	/* first which class tensors the file fills */
	for (size_t i = 0; i < m->ntensors; i++) {
		cls_of[i] = class_tensor(&names, m->tensors[i].name, pref, plen, buf, sizeof(buf));
		if (cls_of[i] >= 0)
			present[cls_of[i]] = 1;
		else
			mark_module(&names, present, m->tensors[i].name, pref, plen, buf,
				    sizeof(buf));
	}
	for (size_t i = 0; i < m->ntensors; i++) {
		const struct vf_tensor *t = &m->tensors[i];
		long j = cls_of[i], li;
		bool buffer = false;
		out->of_tensor[i] = UINT32_MAX;
		if (j >= 0) {
			int r = s->role[j] & 0x7f;
			if (r == VF_ROLE_NPBUFFER) { /* not loaded: the class makes its own */
				fit->buffers_stored++;
				fit->params_dropped += vf_tensor_params(t, &m->arch);
				fit->bytes_dropped += t->count_bytes;
				continue;
			}
			buffer = r == VF_ROLE_BUFFER;
			li = (long)syn_of[j];
		} else {
			li = holding_layer(&lmap, t->name, pref, plen, buf, sizeof(buf));
		}
		if (li < 0) {
			if (!fit->unplaced++)
				fit->first_unplaced = t->name;
			continue;
		}
		out->of_tensor[i] = (uint32_t)li;
		out->v[li].ntensors++;
		out->v[li].params += buffer ? 0 : vf_tensor_params(t, &m->arch);
		if (t->count_bytes)
			out->v[li].bytes += vf_tensor_bytes_cls(t, ck->cls[i], c);
	}
	/* what the class creates that the file lacks (a tied copy adds nothing) */
	for (size_t j = 0; j < s->ntensors; j++) {
		const struct vf_tensor *t = &s->tensors[j];
		int r = s->role[j] & 0x7f;
		uint32_t li = syn_of[j];
		if (present[j] || r == VF_ROLE_NPBUFFER || !t->count_bytes)
			continue;
		out->v[li].params += r == VF_ROLE_BUFFER ? 0 : t->count_params;
		out->v[li].bytes += vf_tensor_bytes_as(t, s->role[j], c);
		fit->params_created += r == VF_ROLE_BUFFER ? 0 : t->count_params;
		fit->bytes_created += t->count_bytes;
		if (!fit->created++)
			fit->first_created = t->name;
	}
	out->largest = 0;
	for (size_t i = 1; i < out->n; i++)
		if (out->v[i].bytes + out->v[i].buffer_bytes >
		    out->v[out->largest].bytes + out->v[out->largest].buffer_bytes)
			out->largest = i;
	st = VF_OK;
	goto done;
oom:
	st = vf_fail(err, VF_ENOMEM, "", "out of memory");
	vf_layers_release(out);
done:
	vf_free(present);
	vf_free(cls_of);
	vf_free(syn_of);
	vf_strmap_free(&names);
	vf_strmap_free(&lmap);
	return st;
}

enum vf_status vf_ckpt_fit_class(struct vf_ckpt *ck, const struct vf_synth *s,
				 struct vf_class_fit *fit, struct vf_err *err)
{
	struct vf_layers ly;
	enum vf_status st;

	if ((st = vf_layers_for_class(s, ck, NULL, &ly, fit, err)))
		return st;
	vf_layers_release(&ly);
	if (ck->quantized) /* logical counts of packed names: left as they are */
		return VF_OK;
	ck->params += fit->params_created;
	ck->params -= fit->params_dropped <= ck->params ? fit->params_dropped : ck->params;
	ck->stored += fit->bytes_created;
	ck->as_stored += fit->bytes_created;
	ck->stored -= fit->bytes_dropped <= ck->stored ? fit->bytes_dropped : ck->stored;
	ck->as_stored -= fit->bytes_dropped <= ck->as_stored ? fit->bytes_dropped : ck->as_stored;
	return VF_OK;
}
