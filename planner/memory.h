/*
 * memory.h - the memory model: how many parameters a model has and how many
 * bytes it needs for a stated workload (inference or training).  Included by
 * planner.h; pure functions, no I/O, no printing.
 *
 * Three pieces:
 *
 *   1. vf_synth_build(): config.json (struct vf_arch plus the struct vf_archx
 *      facts it does not carry) -> the tensor table a checkpoint of that
 *      model would hold, with the exact names, shapes and execution order of
 *      the transformers model class, its non-persistent buffers, tied weights,
 *      and one vf_block per attention block (what its KV cache and
 *      activations are made of).  Exact for the families in vf_synth_families;
 *      anything else gets a Llama-shaped guess marked approximate.
 *   2. vf_layers_from_synth() / vf_layers_from_arch(): that table grouped into
 *      the layers a device_map places (the same struct vf_layers that
 *      vf_layers_group() makes from a checkpoint), weights converted to a
 *      dtype, with tied layers and buffer bytes; vf_kv_per_layer() gives each
 *      layer's KV cache for a workload, so a planner budgets it where the layer
 *      goes.
 *   3. vf_estimate(): weights + KV cache + activations + gradients + optimizer
 *      + overhead for a workload, from a checkpoint's tensor table, a
 *      synthesized one, or both.
 *
 * Every formula lives in memory.c / synth.c with a comment naming its source;
 * ../shared/reference/memory-model.md holds the published numbers the tests
 * check against.
 */
#ifndef VF_MEMORY_H
#define VF_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"
#include "formats/formats.h"

struct vf_layers;

/* Which runtime the numbers are for: buffers, KV cache layout and logits differ. */
enum vf_engine {
	VF_ENGINE_HF,	 /* current transformers: logits of the last position only in
			    generate, sliding-window caches trimmed, model-level rotary */
	VF_ENGINE_HF436, /* transformers 4.36: per-layer rotary cos/sin caches, logits of
			    every position upcast to fp32, caches never trimmed */
	VF_ENGINE_VLLM,	 /* vLLM: paged KV (16-token blocks), MLA latent cache, last-token logits */
};

const char *vf_engine_name(enum vf_engine e);

/* ---- config facts beyond struct vf_arch ----
 * struct vf_archx (formats.h) is read with struct vf_arch by vf_config_parse()
 * and lives in vf_arch.x; synthesis takes it from there. */

/* ---- a model synthesized from its config ---- */

enum vf_role {
	VF_ROLE_EMBED,	   /* token embedding */
	VF_ROLE_POS_EMBED, /* learned positions, token types, relative-position biases */
	VF_ROLE_NORM,	   /* a norm's weight or bias */
	VF_ROLE_LINEAR,	   /* a matrix of a dense layer inside a block (quantizable) */
	VF_ROLE_BIAS,	   /* a linear layer's bias */
	VF_ROLE_EXPERT,	   /* a routed expert's matrix (active k of E per token) */
	VF_ROLE_ROUTER,	   /* a MoE router */
	VF_ROLE_HEAD,	   /* lm_head, classifier, pooler */
	VF_ROLE_BUFFER,	   /* a persistent buffer: in the checkpoint, not a parameter */
	VF_ROLE_NPBUFFER,  /* a non-persistent buffer: on the device, not in the checkpoint */
};

/* How a block normalises (what autograd saves differs, see memory.c). */
enum vf_norm {
	VF_NORM_RMS,	   /* Llama RMSNorm: computes in fp32, weight times the input dtype */
	VF_NORM_RMS_GEMMA, /* Gemma RMSNorm: (1 + weight) in fp32 */
	VF_NORM_RMS_T5,	   /* T5LayerNorm: fp32 variance, scales the input itself */
	VF_NORM_LAYER,	   /* nn.LayerNorm */
};

enum vf_act {
	VF_ACT_FUSED,	/* one kernel that saves its input (SiLU, GELU, gelu_pytorch_tanh) */
	VF_ACT_GELU_PY, /* gelu_new: a Python tanh formula, four saved tensors */
	VF_ACT_RELU,	/* ReLU: saves its output */
};

/* One attention block: what its KV cache and activations are made of. */
struct vf_block {
	const char *layer;    /* the layer it belongs to ("model.layers.7") */
	enum vf_attn attn;    /* full, sliding, chunked or linear (state) */
	int64_t window;	      /* tokens a sliding/chunked layer keeps */
	int64_t kv_heads;     /* heads cached (after GQA/MQA) */
	int64_t k_dim, v_dim; /* per cached head */
	int64_t latent;	      /* MLA: kv_lora_rank + qk_rope_head_dim (latent engines) */
	uint64_t state;	      /* linear/Mamba layers: state elements per sequence */
	bool encoder;	      /* bidirectional, never cached (BERT, T5 encoder) */
	bool cross;	      /* also attends over the encoder output (T5 decoder) */
	bool moe;	      /* routed experts in this block's MLP */
	int64_t q_dim;	      /* heads * q head_dim (activations) */
	int64_t o_in;	      /* input width of the output projection */
	int64_t inter;	      /* dense MLP width, or one expert's, for MoE */
	int64_t shared_inter; /* shared experts' total width (DeepSeek, Qwen2-MoE), or 0 */
	bool gated;	      /* act(gate(x)) * up(x) MLP (SwiGLU, GeGLU) */
	bool parallel;	      /* attention and MLP read the same normed input (Falcon) */
	bool qk_norm;	      /* a norm over each query and key head (Qwen3, Gemma-3) */
	bool softmax32;	      /* eager softmax computed in fp32 (Llama family, T5) */
	uint8_t norm;	      /* enum vf_norm */
	uint8_t act;	      /* enum vf_act */
	uint8_t nnorms;	      /* norms applied to the hidden state in the block */
};

enum vf_family {
	VF_FAM_UNKNOWN,
	VF_FAM_LLAMA, /* and everything Llama-shaped: Mistral, Mixtral, Qwen2/3(-MoE), Gemma 1-3,
			 Phi-3, DeepSeek-V2/V3 */
	VF_FAM_GPT2,
	VF_FAM_BERT,
	VF_FAM_T5,
	VF_FAM_FALCON,
	VF_FAM_OPT,
};

struct vf_synth {
	/*
	 * Tensors in execution order, as a checkpoint of the model class would
	 * hold them: names and shapes of transformers' state_dict.  A tied
	 * duplicate (lm_head.weight sharing embed_tokens.weight) is listed with
	 * count_params = count_bytes = 0, the way formats.h counts a shared
	 * storage once.  Non-persistent buffers (role VF_ROLE_NPBUFFER) are listed
	 * too, with count_params = count_bytes = 0 and their bytes in nbytes.
	 * dtype: config torch_dtype (F32 when absent) for floating tensors.
	 */
	struct vf_tensor *tensors;
	uint8_t *role; /* enum vf_role per tensor */
	long *tied;    /* per tensor: index of the tensor whose storage it shares, or -1 */
	size_t ntensors;
	struct vf_block *blocks; /* attention blocks in execution order */
	size_t nblocks;
	enum vf_family family;
	char model_type[64];
	char class_name[128]; /* the model class modelled (architectures[0] or assumed) */
	bool class_assumed;   /* the config names no class: the family's LM class */
	enum vf_dtype dtype;  /* config torch_dtype, F32 when absent */
	bool approximate;     /* a guess: say so, and do not plan a device_map on it */
	char note[256];	      /* why it is approximate, or an assumption made */
	bool lm;	      /* ends in a language-model head (logits over the vocabulary) */
	bool encoder_decoder; /* T5 */
	int64_t hidden, vocab, heads, head_dim, num_experts, experts_per_tok;
	int64_t max_positions; /* max_position_embeddings, or VF_UNSET */
	double attn_dropout, hidden_dropout, embd_dropout; /* training: probabilities */
	enum vf_norm final_norm;			   /* the norm after the last block */
	uint64_t params_total;	   /* parameters, tied ones once (HF num_parameters()) */
	uint64_t params_active;	   /* per token: routed experts count k/E */
	uint64_t params_embedding; /* token embedding (and untied head) */
	void *priv;		   /* arena */
};

/* Or'ed into a role: a buffer created in torch's default dtype, which
 * from_pretrained sets to the load dtype while the model is built. */
#define VF_ROLE_LOAD_DTYPE 0x80

/* Model types modelled exactly, comma-separated (for messages and --help). */
extern const char vf_synth_families[];

/*
 * Builds the synthesized model.  x may be NULL (the family defaults apply:
 * no biases unless the family always has them).  Fails with VF_EFORMAT when
 * the config lacks what even a guess needs (layers, hidden size, heads,
 * vocabulary).  out is released on failure.
 */
enum vf_status vf_synth_build(const struct vf_arch *a, const struct vf_archx *x,
			      enum vf_engine engine, struct vf_synth *out, struct vf_err *err);
void vf_synth_release(struct vf_synth *s);

/* ---- weights: conversion and quantization ---- */

enum vf_wquant {
	VF_WQ_NONE,
	VF_WQ_INT8,  /* bitsandbytes LLM.int8: int8 weight + fp32 row scale */
	VF_WQ_INT4,  /* bitsandbytes 4-bit, 64-element blocks with an fp32 absmax each */
	VF_WQ_NF4DQ, /* the same with double quantization (QLoRA) */
	VF_WQ_FP8,   /* fp8 weight + fp32 scale per 128x128 block */
	VF_WQ_GPTQ,  /* packed int32 qweight, qzeros, fp16 scales per group, int32 g_idx */
	VF_WQ_AWQ,   /* the same without g_idx */
};

struct vf_wconv {
	enum vf_dtype dtype;  /* floating tensors become this; VF_DT_UNKNOWN keeps them */
	bool upcast;	      /* allow a wider float than stored (accelerate never does) */
	enum vf_wquant quant; /* quantize the block matrices (roles LINEAR, EXPERT) */
	unsigned bits;	      /* GPTQ/AWQ: bits per value (4 when 0) */
	uint64_t group;	      /* GPTQ/AWQ: input rows per scale (128 when 0; -1 in a config
				 means one group per column, pass the input size) */
};

/*
 * The quantization a config.json's quantization_config describes (GPTQ, AWQ,
 * bitsandbytes 4/8-bit, fp8), for planning a quantized model from its config
 * alone.  false when there is none or vramfit does not model its method.
 */
bool vf_wconv_from_config(const struct vf_arch *a, const struct vf_archx *x, struct vf_wconv *out);

/*
 * Bytes of tensor t (role r) after conversion: floats never upcast unless
 * asked, integer and bool tensors keep their size, quantized matrices take
 * their packed size plus scales; what a quantizer leaves alone (embeddings,
 * norms, the head) stays in 16 bits.  For role-less checkpoint tensors pass
 * r = -1: a 2-D floating tensor inside a block counts as a matrix.
 */
uint64_t vf_tensor_bytes_as(const struct vf_tensor *t, int role, const struct vf_wconv *c);

/*
 * Logical parameters of a checkpoint tensor: a GPTQ/AWQ qweight holds 32/bits
 * values per int32, a bitsandbytes 4-bit weight 2 per byte; scales, zeros,
 * g_idx, absmax and other quantization bookkeeping hold none.  Uses
 * count_params (0 for a tied duplicate).
 */
uint64_t vf_tensor_params(const struct vf_tensor *t, const struct vf_arch *a);
/* true for bookkeeping tensors of a quantized checkpoint (scales, zeros, ...). */
bool vf_tensor_is_quant_aux(const char *name);

/* ---- what a checkpoint tensor's name says ---- */

/* Bits of vf_tensor_class(): every fact the memory model reads from a name. */
enum {
	VF_TC_AUX = 1 << 0,	    /* quantization bookkeeping (vf_tensor_is_quant_aux) */
	VF_TC_ROUTER_BIAS = 1 << 1, /* ends in e_score_correction_bias: no parameters */
	VF_TC_PACKED = 1 << 2,	    /* ".qweight", ".weight_packed": packed int32 values */
	VF_TC_WEIGHT = 1 << 3,	    /* ".weight" */
	VF_TC_ROUTED = 1 << 4,	    /* a routed expert's (".experts.", "_exps."), not shared */
	VF_TC_MATRIX = 1 << 5,	    /* in a block (".N"), no "embed" or "norm": quantized
				       as a matrix when 2-D (vf_tensor_bytes_as, role -1) */
};

unsigned vf_tensor_class(const char *name);
/* vf_tensor_bytes_as() (role -1) of a checkpoint tensor whose class is cls. */
uint64_t vf_tensor_bytes_cls(const struct vf_tensor *t, unsigned cls, const struct vf_wconv *c);

/*
 * A checkpoint as the memory model reads it: each tensor's class, read once
 * (DeepSeek-V3's 92k names cost more to read than all the arithmetic done
 * with them, and plan estimates the same checkpoint for every remedy it
 * tries), and the sums no workload changes.  Borrows m, which must outlive
 * it; vf_ckpt_release() frees what it owns.
 */
struct vf_ckpt {
	const struct vf_model *m;
	uint8_t *cls; /* per tensor, vf_tensor_class() */
	/* sums over the tensors (modulo 2^64; *_wrapped: they passed it) */
	uint64_t params, routed; /* vf_tensor_params(); of which routed experts' */
	bool params_wrapped;
	/* the weights kept as stored: count_bytes, the nbytes of those tensors,
	 * and what the caching allocator adds rounding each (vf_alloc_round) */
	uint64_t stored, as_stored, as_stored_round;
	bool bytes_wrapped;
	enum vf_dtype dominant; /* the floating dtype holding the most bytes */
	bool quantized;		/* GGUF, a quantization_config, bookkeeping or packed floats */
};

enum vf_status vf_ckpt_init(struct vf_ckpt *ck, const struct vf_model *m, struct vf_err *err);
void vf_ckpt_release(struct vf_ckpt *ck);

/* Bytes the PyTorch caching allocator hands out for a request of n bytes. */
uint64_t vf_alloc_round(uint64_t n);

/* Sets each layer's params (logical, vf_tensor_params) and bytes (after
 * conversion c) from the tensors of ck, which ly groups (vf_layers_group). */
void vf_layers_weigh(struct vf_layers *ly, const struct vf_ckpt *ck, const struct vf_wconv *c);

/* ---- layers from a config ---- */

/*
 * The synthesized model grouped into layers in execution order, with module
 * names usable as device_map keys ("model.embed_tokens", "model.layers.N",
 * "model.norm", "lm_head"; "transformer.wte", "transformer.h.N", ...), bytes
 * after conversion c (NULL: as synthesized), buffer_bytes, and tied_to.
 * Fails with VF_EFORMAT for an approximate model: its names are guesses.
 */
enum vf_status vf_layers_from_synth(const struct vf_synth *s, const struct vf_wconv *c,
				    struct vf_layers *out, struct vf_err *err);
/* The same from a config: dt is the weights' dtype (VF_DT_UNKNOWN: torch_dtype);
 * x may be NULL; engine hf. */
enum vf_status vf_layers_from_arch(const struct vf_arch *a, const struct vf_archx *x,
				   enum vf_dtype dt, struct vf_layers *out, struct vf_err *err);

/* ---- the workload ---- */

enum vf_attn_impl { VF_IMPL_SDPA, VF_IMPL_EAGER, VF_IMPL_FLASH };
enum vf_optim { VF_OPTIM_ADAMW, VF_OPTIM_ADAMW8, VF_OPTIM_SGD, VF_OPTIM_ADAFACTOR };
/* How torch runs the step (torch/optim/adamw.py): _multi_tensor_adamw (foreach, the
 * default on CUDA since torch 2.0), _single_tensor_adamw (for), _fused_adamw. */
enum vf_optim_impl { VF_OPTIM_FOREACH, VF_OPTIM_FOR, VF_OPTIM_FUSED };
enum vf_precision {
	VF_PREC_MIXED, /* HF Trainer bf16/fp16=True: fp32 weights, grads and states, autocast
			  computes in 16 bits (cached 16-bit weight copies) */
	VF_PREC_FP32,  /* everything fp32 */
	VF_PREC_PURE16 /* everything 16-bit, optimizer states too (no master copy) */
};

#define VF_LORA_MAX_TARGETS 16

struct vf_workload {
	uint64_t batch, seq; /* sequences, and prompt tokens per sequence */
	uint64_t gen;	     /* tokens generated after the prompt (held in the cache) */
	struct vf_wconv weights;
	enum vf_dtype kv_dtype; /* VF_DT_UNKNOWN: the compute dtype; Q8_0/Q4_0 for q8/q4 */
	enum vf_attn_impl attn;
	enum vf_engine engine;
	uint64_t context; /* CUDA context, kernels and library workspaces */
	bool train;
	enum vf_optim optim;
	enum vf_optim_impl optim_impl;
	enum vf_precision precision;
	bool grad_ckpt;
	uint32_t lora_rank; /* 0: full fine-tuning */
	bool qlora;	    /* LoRA over a 4-bit (NF4, double-quantized) base */
	const char *lora_targets[VF_LORA_MAX_TARGETS]; /* module names; none: PEFT's default */
	size_t nlora_targets;
	bool lora_all_linear;
	uint32_t zero_stage; /* DeepSpeed ZeRO 0-3 */
	uint64_t dp;	     /* data-parallel ranks (>= 1) */
};

#define VF_DEFAULT_CONTEXT (UINT64_C(512) << 20)

/* batch 1, seq 1, stored dtype, sdpa, engine hf, default context, no training. */
void vf_workload_init(struct vf_workload *w);

/* ---- KV cache ---- */

/* Bytes one block caches per sequence holding `tokens` tokens (encoder_tokens
 * for a cross-attention block), under the workload's engine and KV dtype. */
uint64_t vf_kv_block_bytes(const struct vf_block *b, const struct vf_workload *w,
			   enum vf_dtype compute, uint64_t tokens, uint64_t encoder_tokens);

/*
 * KV cache bytes of every layer of ly (ly->n entries into out) for the
 * workload: each block's cache goes to the layer it belongs to, matched by
 * name, so ly may come from a checkpoint or from the synthesized model.
 */
enum vf_status vf_kv_per_layer(const struct vf_synth *s, const struct vf_workload *w,
			       const struct vf_layers *ly, uint64_t *out, struct vf_err *err);

/* ---- activations ---- */

/*
 * Activation bytes of one block, for `batch` sequences of `seq` tokens each
 * attending over `keys` keys (seq in a prefill):
 *   prefill: the peak of live tensors while the block runs without grad;
 *   saved:   what autograd keeps for backward (training, no recompute),
 *            derived from the block's real operations (memory.c).
 * compute: the activations' dtype.  Exposed for tests and planners.
 */
uint64_t vf_block_prefill_bytes(const struct vf_synth *s, const struct vf_block *b,
				const struct vf_workload *w, enum vf_dtype compute, uint64_t batch,
				uint64_t seq, uint64_t keys);
uint64_t vf_block_saved_bytes(const struct vf_synth *s, const struct vf_block *b,
			      const struct vf_workload *w, enum vf_dtype compute, uint64_t batch,
			      uint64_t seq);

/* ---- the estimate ---- */

struct vf_estimate {
	uint64_t params_total, params_active, params_trainable;
	/* the contract terms (README): 0 where a term does not apply */
	uint64_t weights, kv_cache, activations, gradients, optimizer, overhead, total;
	/* how they are made */
	uint64_t weights_stored;    /* bytes as stored (checkpoint) or as synthesized */
	uint64_t buffers;	    /* non-persistent buffers, inside weights */
	uint64_t kv_per_token;	    /* per token of one sequence, all layers, no window */
	uint64_t kv_tokens;	    /* tokens cached per sequence */
	uint64_t logits;	    /* logits (and loss) inside activations */
	uint64_t layer_activations; /* the block part of activations */
	uint64_t master;	    /* fp32 master weights, inside optimizer */
	uint64_t states;	    /* optimizer moments, inside optimizer */
	uint64_t context;	    /* CUDA context etc., inside overhead */
	uint64_t allocator;	    /* caching-allocator rounding, inside overhead */
	uint64_t adapters;	    /* LoRA adapter weights, inside weights */
	/* training: autocast's 16-bit weight copies (inside activations, --precision
	 * mixed), the optimizer step's temporaries, and gradients + those (the
	 * step's own peak above weights and optimizer: total = weights + optimizer
	 * + max(activations, step_peak) + overhead) */
	uint64_t autocast, step_temps, step_peak;
	enum vf_dtype compute; /* activations' dtype */
	bool approximate;
};

/*
 * m: a checkpoint's tensor table (NULL, or a config-only model with no
 * tensors, to plan from s alone).  s: the model synthesized from its config
 * (NULL when there is no config; then only weights and overhead are known and
 * the result is approximate).  Fails with VF_EUSAGE for workloads that make no
 * sense (training under vLLM, LoRA without matrices to adapt).
 */
enum vf_status vf_estimate(const struct vf_model *m, const struct vf_synth *s,
			   const struct vf_workload *w, struct vf_estimate *out,
			   struct vf_err *err);
/* The same for a checkpoint already read (vf_ckpt_init), or ck NULL to plan
 * from s alone: what callers that estimate one checkpoint many times use. */
enum vf_status vf_estimate_ckpt(const struct vf_ckpt *ck, const struct vf_synth *s,
				const struct vf_workload *w, struct vf_estimate *out,
				struct vf_err *err);

/*
 * Compares a checkpoint with the model its config describes: tensors missing,
 * extra or of another shape, and totals.  Appends at most max human-readable
 * lines to msgs (each owned by the caller, vf_free) and returns how many;
 * quantized and GGUF checkpoints are compared by logical parameter totals
 * only.  Returns 0 when they agree.
 */
size_t vf_synth_compare(const struct vf_synth *s, const struct vf_ckpt *ck, char **msgs,
			size_t max);

#endif
