/*
 * adapter.c - a PEFT adapter folder is an adapter, not a model.
 *
 * peft's save_pretrained writes adapter_config.json (peft_type, r,
 * target_modules, base_model_name_or_path) and adapter_model.safetensors
 * (older versions adapter_model.bin).  vramfit reads the adapter's tensors
 * (inspect shows them) and says what it is; estimate and plan refuse it with
 * that sentence: the memory is the base model's plus the adapter's, which
 * is `--lora R` on the base model.
 */
#include <stdio.h>
#include <string.h>

#include "common/file.h"
#include "common/json.h"
#include "common/mem.h"
#include "formats/adapter.h"
#include "formats/detect.h"
#include "formats/folder.h"
#include "formats/model_build.h"

#define ADAPTER_CONFIG_MAX (1u << 20)

static enum vf_status read_weights(struct vf_model *m, const char *dir,
				   const struct vf_open_opts *o, bool *found, struct vf_err *err)
{
	static const char *const names[] = {"adapter_model.safetensors", "adapter_model.bin"};
	enum vf_status st = VF_OK;

	*found = false;
	for (size_t i = 0; i < 2 && !*found; i++) {
		char *p = vf_path_join(dir, names[i]);
		enum vf_kind k;

		if (!p)
			return vf_fail(err, VF_ENOMEM, dir, "out of memory");
		if (vf_folder_is_file(p)) {
			*found = true;
			if (!(st = vf_detect(p, &k, err))) {
				if (k == VF_KIND_SAFETENSORS) {
					m->format = VF_FMT_SAFETENSORS;
					st = vf_safetensors_read_file(m, p, err);
				} else if (k == VF_KIND_TORCH_ZIP) {
					m->format = VF_FMT_PYTORCH_ZIP;
					st = vf_torch_zip_read_file(m, p, o->key, err);
				} else {
					st = vf_fail(err, VF_EFORMAT, p,
						     "not a safetensors or PyTorch zip file");
				}
			}
		}
		vf_free(p);
	}
	return st;
}

enum vf_status vf_adapter_open(struct vf_model *m, const char *dir, const struct vf_open_opts *o,
			       struct vf_err *err)
{
	char *p = vf_path_join(dir, "adapter_config.json"), *text = NULL, note[512];
	const cJSON *base, *type, *r;
	cJSON *j = NULL;
	size_t len;
	uint64_t rank = 0;
	bool found;
	enum vf_status st = VF_OK;

	if (!p)
		return vf_fail(err, VF_ENOMEM, dir, "out of memory");
	if (!vf_folder_is_file(p))
		goto out;
	if ((st = vf_file_slurp(p, ADAPTER_CONFIG_MAX, &text, &len, err)))
		goto out;
	if (!(j = vf_json_parse(text, len, 16 * ADAPTER_CONFIG_MAX, p, "adapter config", err))) {
		st = err->status;
		goto out;
	}
	if (!cJSON_IsObject(j)) {
		st = vf_fail(err, VF_EFORMAT, p, "adapter config is not a JSON object");
		goto out;
	}
	base = cJSON_GetObjectItemCaseSensitive(j, "base_model_name_or_path");
	type = cJSON_GetObjectItemCaseSensitive(j, "peft_type");
	r = cJSON_GetObjectItemCaseSensitive(j, "r");
	if ((base && !cJSON_IsString(base) && !cJSON_IsNull(base)) ||
	    (type && !cJSON_IsString(type)) || (r && !vf_json_uint(r, &rank))) {
		st = vf_fail(err, VF_EFORMAT, p,
			     "base_model_name_or_path and peft_type must be strings, r a "
			     "whole number");
		goto out;
	}
	if ((st = read_weights(m, dir, o, &found, err)))
		goto out;
	if (!found) {
		st = vf_fail(err, VF_EFORMAT, dir,
			     "adapter_config.json without adapter_model.safetensors or "
			     "adapter_model.bin");
		goto out;
	}
	m->adapter_base = vf_model_strdup(m, cJSON_IsString(base) ? base->valuestring : "");
	if (rank)
		snprintf(note, sizeof(note),
			 "a PEFT adapter (%s, r=%llu) over %s: plan the base model with --lora "
			 "%llu",
			 type ? type->valuestring : "LORA", (unsigned long long)rank,
			 *m->adapter_base ? m->adapter_base : "an unnamed base model",
			 (unsigned long long)rank);
	else
		snprintf(note, sizeof(note), "a PEFT adapter (%s) over %s: plan the base model",
			 type ? type->valuestring : "unknown type",
			 *m->adapter_base ? m->adapter_base : "an unnamed base model");
	m->adapter_note = vf_model_strdup(m, note);
	if (!m->adapter_base || !m->adapter_note)
		st = vf_fail(err, VF_ENOMEM, dir, "out of memory");
out:
	vf_json_free(j);
	vf_free(text);
	vf_free(p);
	return st;
}
