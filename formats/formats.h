/*
 * formats.h - checkpoint and config readers, and the one model they fill.
 *
 * A reader turns files into a struct vf_model: a table of tensors (name,
 * dtype, shape, element count, bytes, file, offset) plus, when a config.json is
 * found, the architecture description.  Readers look at headers only and never
 * read tensor data.  Every size read from a file is checked before it is used
 * or allocated; any problem is a VF_EFORMAT error naming the file.
 *
 * Ownership: vf_model_open() returns a model owned by the caller, freed with
 * vf_model_free() (NULL is fine).  Strings and shapes inside the model live as
 * long as the model.
 */
#ifndef VF_FORMATS_H
#define VF_FORMATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

/* ---- dtypes (safetensors names everywhere in vramfit) ---- */

enum vf_dtype {
	VF_DT_UNKNOWN = 0,
	/* safetensors dtypes */
	VF_DT_BOOL,
	VF_DT_U8,
	VF_DT_I8,
	VF_DT_F8_E5M2,
	VF_DT_F8_E4M3,
	VF_DT_F8_E8M0,
	VF_DT_F8_E4M3FNUZ,
	VF_DT_F8_E5M2FNUZ,
	VF_DT_F4,
	VF_DT_F6_E2M3,
	VF_DT_F6_E3M2,
	VF_DT_I16,
	VF_DT_U16,
	VF_DT_F16,
	VF_DT_BF16,
	VF_DT_I32,
	VF_DT_U32,
	VF_DT_F32,
	VF_DT_F64,
	VF_DT_I64,
	VF_DT_U64,
	VF_DT_C64,
	/* ggml block-quantized types (GGUF), named as ggml names them */
	VF_DT_Q4_0,
	VF_DT_Q4_1,
	VF_DT_Q5_0,
	VF_DT_Q5_1,
	VF_DT_Q8_0,
	VF_DT_Q8_1,
	VF_DT_Q2_K,
	VF_DT_Q3_K,
	VF_DT_Q4_K,
	VF_DT_Q5_K,
	VF_DT_Q6_K,
	VF_DT_Q8_K,
	VF_DT_IQ2_XXS,
	VF_DT_IQ2_XS,
	VF_DT_IQ3_XXS,
	VF_DT_IQ1_S,
	VF_DT_IQ4_NL,
	VF_DT_IQ3_S,
	VF_DT_IQ2_S,
	VF_DT_IQ4_XS,
	VF_DT_IQ1_M,
	VF_DT_TQ1_0,
	VF_DT_TQ2_0,
	VF_DT_MXFP4,
	VF_DT_COUNT
};

const char *vf_dtype_name(enum vf_dtype dt);
enum vf_dtype vf_dtype_from_name(const char *name); /* any vramfit dtype, or VF_DT_UNKNOWN */
bool vf_dtype_is_safetensors(enum vf_dtype dt);	    /* one a safetensors header may name */
unsigned vf_dtype_bits(enum vf_dtype dt); /* bits per element; 0 for block-quantized types */
bool vf_dtype_is_float(enum vf_dtype dt);
bool vf_dtype_is_quantized(enum vf_dtype dt); /* a ggml block type */
/* Elements per block and bytes per block (1 and bits/8 for plain types; F4 packs
 * 2 elements a byte, F6 4 elements in 3 bytes, Q4_K 256 elements in 144 bytes). */
unsigned vf_dtype_block_elems(enum vf_dtype dt);
unsigned vf_dtype_block_bytes(enum vf_dtype dt);
/* Bytes of numel elements; false when numel is not a whole number of blocks
 * or the size overflows. */
bool vf_dtype_nbytes(enum vf_dtype dt, uint64_t numel, uint64_t *out);

/* ---- the tensor table ---- */

struct vf_tensor {
	const char *name;
	const uint64_t *shape; /* ndim entries, outermost first */
	uint32_t ndim;
	enum vf_dtype dtype;
	uint32_t file;	 /* index into vf_model.files */
	uint64_t numel;	 /* product of shape (1 for a scalar) */
	uint64_t nbytes; /* bytes this tensor's view covers */
	uint64_t offset; /* absolute offset of the data in its file */
	/*
	 * What this tensor adds to model totals.  Tensors that share a storage
	 * (tied weights, views from chunk() in a PyTorch file) count that storage
	 * once, on the first tensor that uses it; the others add 0.  For formats
	 * without sharing these equal numel and nbytes.
	 */
	uint64_t count_params, count_bytes;
};

enum vf_format {
	VF_FMT_NONE = 0, /* a config.json alone: no tensors */
	VF_FMT_SAFETENSORS,
	VF_FMT_PYTORCH_ZIP,
	VF_FMT_PYTORCH_LEGACY,
	VF_FMT_GGUF,
};

const char *vf_format_name(enum vf_format f);

/* ---- the architecture description (from config.json) ---- */

enum vf_attn { VF_ATTN_FULL, VF_ATTN_SLIDING, VF_ATTN_CHUNKED, VF_ATTN_LINEAR, VF_ATTN_OTHER };

#define VF_UNSET (-1)	   /* an integer field the config does not give */
#define VF_MAX_LAYERS 4096 /* per-layer arrays are refused beyond this */

/*
 * Config facts the memory model needs beyond the common ones: read from the
 * same config.json (text_config first).  Integers are VF_UNSET and doubles negative when the config
 * is silent; the family's default then applies.
 */
struct vf_archx {
	int attention_bias, mlp_bias; /* 1, 0 or VF_UNSET */
	char act[40];		      /* hidden_act / activation_function / feed_forward_proj */
	int new_decoder_architecture; /* Falcon */
	int multi_query, parallel_attn, bias; /* Falcon */
	int alibi;			      /* Falcon */
	int64_t num_ln_in_parallel_attn;      /* Falcon */
	int64_t falcon_kv;		      /* Falcon num_kv_heads / n_head_kv as written */
	int64_t word_embed_proj_dim;	      /* OPT */
	int do_layer_norm_before, enable_bias, layer_norm_elementwise_affine; /* OPT */
	int remove_final_layer_norm;					      /* OPT */
	double attn_dropout, hidden_dropout, embd_dropout;		      /* -1: unset */
	int64_t max_window_layers;					      /* Qwen2/3 */
	int64_t num_labels;	/* size of id2label (classification heads) */
	int64_t rel_buckets;	/* T5 relative_attention_num_buckets */
	double partial_rotary;	/* partial_rotary_factor; -1: unset */
	char topk_method[32];	/* DeepSeek: "noaux_tc" adds e_score_correction_bias */
	int64_t rotary_dim;	/* rotary_dim (absolute), VF_UNSET */
	bool has_vision;	/* vision_config present: a multimodal model */
	bool bnb_double_quant;	/* quantization_config.bnb_4bit_use_double_quant */
	int64_t quant_block[2]; /* quantization_config.weight_block_size, or VF_UNSET */
	/* linear-attention and Mamba layers: their state per sequence */
	int64_t lin_k_heads, lin_v_heads, lin_k_dim, lin_v_dim, lin_conv; /* Qwen3-Next style */
	int64_t mamba_d_state, mamba_d_conv, mamba_expand, mamba_heads, mamba_head_dim,
	    mamba_groups;
};

void vf_archx_init(struct vf_archx *x);

struct vf_arch {
	bool present;		  /* a config was read */
	char model_type[64];	  /* top-level model_type */
	char text_model_type[64]; /* text_config.model_type, if nested */
	char architecture[128];	  /* architectures[0] */
	char torch_dtype[32];	  /* torch_dtype or dtype */
	int64_t num_layers, hidden, heads, kv_heads, head_dim, intermediate, vocab;
	int64_t max_position_embeddings, type_vocab_size, num_decoder_layers;
	int tie_word_embeddings; /* 1, 0, or VF_UNSET */
	bool kv_heads_default;	 /* kv_heads copied from heads (config is silent) */
	bool head_dim_default;	 /* head_dim derived as hidden / heads */
	/* mixture of experts */
	int64_t num_experts, experts_per_tok, moe_intermediate, shared_experts;
	int64_t shared_expert_intermediate, first_k_dense_replace, moe_layer_freq;
	int64_t decoder_sparse_step, nextn_predict_layers;
	uint8_t *mlp_only; /* num_layers flags, or NULL */
	/* multi-head latent attention (DeepSeek) */
	int64_t q_lora_rank, kv_lora_rank, qk_nope_head_dim, qk_rope_head_dim, v_head_dim;
	/* attention windows */
	int64_t sliding_window;		/* VF_UNSET when null or absent */
	int use_sliding_window;		/* 1, 0, or VF_UNSET */
	int64_t sliding_window_pattern; /* Gemma-3: every Nth layer is global */
	uint8_t *layer_types;		/* from layer_types: num_layers enum vf_attn, or NULL */
	/* quantization_config */
	char quant_method[32];
	int64_t quant_bits, quant_group_size;
	struct vf_archx x; /* the rest the memory model needs */
};

/* Reads a config.json file into arch (which the caller zeroes or reuses). */
enum vf_status vf_config_read(const char *path, struct vf_arch *arch, struct vf_err *err);
/* Same from text in memory; path is only for messages. */
enum vf_status vf_config_parse(const char *text, size_t len, const char *path, struct vf_arch *arch,
			       struct vf_err *err);
/* Empties arch: every integer field VF_UNSET, strings empty, present false
 * (for readers that fill it from other sources, such as GGUF metadata). */
void vf_arch_init(struct vf_arch *arch);
void vf_arch_release(struct vf_arch *arch);

/* ---- the model ---- */

struct vf_model {
	enum vf_format format;
	char *path;   /* what the user named */
	char **files; /* checkpoint files, in the order read */
	uint32_t nfiles;
	struct vf_tensor *tensors;
	size_t ntensors;
	bool ordered; /* tensors are in execution order (a pickled state_dict) */
	/* __metadata__ of the first file, as key/value pairs */
	char **meta_keys, **meta_vals;
	size_t nmeta;
	char **warnings; /* facts worth telling that are not errors */
	size_t nwarnings;
	struct vf_arch arch;
	/* A PEFT adapter folder (adapter_config.json): the base model it adapts
	 * ("" when the config names none) and a sentence saying what it is;
	 * NULL for a model.  An adapter is inspected, never planned. */
	char *adapter_base, *adapter_note;
	/* bytes of the optimizer state beside a Trainer checkpoint
	 * (optimizer.pt), 0 when there is none; not part of the model */
	uint64_t optimizer_bytes;
	void *priv; /* arena and indexes; see table.c */
};

/*
 * Opens PATH: a checkpoint file (.safetensors, PyTorch .bin/.pt/.pth zip or
 * legacy, .gguf), an index (model.safetensors.index.json,
 * pytorch_model.bin.index.json), a config.json, or a directory holding any of
 * them (safetensors preferred, as transformers does); also a Hugging Face id
 * (ORG/NAME) found in the local HF cache, and an archive of a model directory
 * (.tar, .tar.gz, .tgz, .zip, .nemo), read in place (formats/source.c).
 */
enum vf_status vf_model_open(const char *path, struct vf_model **out, struct vf_err *err);

struct vf_open_opts {
	const char *key;      /* PyTorch training checkpoints: keep only this sub-dict */
	const char *revision; /* a Hugging Face id's branch, tag or commit (main when NULL) */
	const char *variant;  /* from_pretrained(variant=): model.VARIANT.safetensors, ... */
};
enum vf_status vf_model_open_opts(const char *path, const struct vf_open_opts *opts,
				  struct vf_model **out, struct vf_err *err);
void vf_model_free(struct vf_model *m);

/* Index of the tensor with this name, or -1. */
long vf_model_find(const struct vf_model *m, const char *name);
/* vf_model_find() for n names at once (faster on big tables): out[i] is the
 * index of names[i], or UINT32_MAX. */
void vf_model_find_many(const struct vf_model *m, const char *const *names, size_t n,
			uint32_t *out);

/* Sums of count_params and count_bytes over all tensors. */
void vf_model_totals(const struct vf_model *m, uint64_t *params, uint64_t *bytes);

#endif
