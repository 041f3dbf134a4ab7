/*
 * planner.h - pure functions from a model (and later a workload and devices)
 * to facts about it.  Nothing here reads files, prints or exits.
 *
 * Layers: the units a device_map places.  A tensor belongs to a repeated block
 * when its name has a numeric component ("model.layers.7.mlp.up_proj.weight"
 * -> "model.layers.7"); other tensors group into the module that sits beside
 * the block stack ("model.embed_tokens", "model.norm", "lm_head").  Layers come
 * in execution order: embeddings, then each stack's blocks by number, then what
 * follows them, inner modules before outer ones (norm before head).
 */
#ifndef VF_PLANNER_H
#define VF_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "formats/formats.h"

enum vf_layer_kind {
	VF_LAYER_EMBEDDING,
	VF_LAYER_BLOCK,
	VF_LAYER_NORM,
	VF_LAYER_HEAD,
	VF_LAYER_OTHER,
};

struct vf_layer {
	char *name; /* a module (or parameter) name usable as a device_map key */
	enum vf_layer_kind kind;
	long block; /* number within its stack, or -1 */
	size_t ntensors;
	uint64_t params, bytes; /* sums of the tensors' count_params / count_bytes */
	/* Non-persistent buffers the runtime allocates with this module (rotary
	 * cos/sin caches, causal masks, position ids): device memory, but not in
	 * any checkpoint.  0 from vf_layers_group(); see vf_synth_build(). */
	uint64_t buffer_bytes;
};

struct vf_layers {
	struct vf_layer *v; /* in execution order */
	size_t n;
	uint32_t *of_tensor; /* layer index of each tensor of the model */
	size_t largest;	     /* index of the layer with the most bytes */
	/* tied_to[i]: an earlier layer whose weight layer i shares (a tied
	 * lm_head, T5's encoder.embed_tokens), or -1.  NULL when nothing is
	 * tied or nobody filled it in (vf_layers_group() leaves it NULL). */
	long *tied_to;
};

/*
 * Groups the model's tensors into layers.  keep_order: the tensor table is
 * already in execution order (a state_dict), so layers keep first-appearance
 * order instead of being sorted.
 */
enum vf_status vf_layers_group(const struct vf_model *m, bool keep_order, struct vf_layers *out,
			       struct vf_err *err);
void vf_layers_release(struct vf_layers *l);
const char *vf_layer_kind_name(enum vf_layer_kind k);

#include "planner/memory.h" /* the memory model: synthesized models, KV, estimate */

/* How a checkpoint fills the model class (vf_layers_for_class). */
struct vf_class_fit {
	size_t created;		   /* class tensors the file lacks, not tied: created */
	const char *first_created; /* borrowed from the synthesized model */
	uint64_t params_created, bytes_created;
	size_t buffers_stored; /* file tensors the class makes as non-persistent buffers */
	uint64_t params_dropped, bytes_dropped; /* their counts: not parameters */
	size_t unplaced;	    /* file tensors in no module of the class: not loaded */
	const char *first_unplaced; /* borrowed from the checkpoint */
};

/*
 * The layers of the class s models (its module names, its execution order,
 * its ties and buffers), filled from checkpoint ck: each file tensor adds its
 * bytes (after conversion c) and logical parameters to the class module it
 * fills, matched by name with or without the class prefix ("h.0" fills
 * "transformer.h.0"), or for quantized names (q_proj.qweight) by the module
 * holding it; class tensors the file lacks (a tied lm_head, a head the file
 * does not have) keep the layer and add their own size unless tied; file
 * tensors the class holds as non-persistent buffers add nothing.  out's
 * of_tensor is per file tensor, UINT32_MAX for tensors in no layer.  s must
 * not be approximate.
 */
enum vf_status vf_layers_for_class(const struct vf_synth *s, const struct vf_ckpt *ck,
				   const struct vf_wconv *c, struct vf_layers *out,
				   struct vf_class_fit *fit, struct vf_err *err);
/*
 * ck's parameter and byte sums as the class holds them: plus what the class
 * creates that the file lacks (BertLMHeadModel's cls head over a BertModel
 * file), less file tensors the class keeps as non-persistent buffers (a
 * stored embeddings.position_ids: a buffer, not parameters, and counted with
 * the buffers).  Quantized checkpoints keep their logical counts.
 */
enum vf_status vf_ckpt_fit_class(struct vf_ckpt *ck, const struct vf_synth *s,
				 struct vf_class_fit *fit, struct vf_err *err);

#endif
