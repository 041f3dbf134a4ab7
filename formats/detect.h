/*
 * detect.h - which reader reads a file (formats/detect.c says how it is
 * decided: proof from the content first, the name second).
 */
#ifndef VF_DETECT_H
#define VF_DETECT_H

#include <stddef.h>
#include <stdint.h>

#include "common/err.h"

#define VF_ST_INDEX "model.safetensors.index.json"
#define VF_PT_INDEX "pytorch_model.bin.index.json"

/* how many leading bytes detection looks at */
#define VF_DETECT_BYTES 32

enum vf_kind {
	VF_KIND_UNKNOWN,
	VF_KIND_SAFETENSORS,
	VF_KIND_ST_INDEX,
	VF_KIND_PT_INDEX,
	VF_KIND_JSON,
	VF_KIND_TORCH_ZIP,
	VF_KIND_TORCH_LEGACY,
	VF_KIND_PICKLE_OLD, /* torch.save with pickle protocol 0 or 1: refused */
	VF_KIND_GGUF
};

/* The kind of a file whose first n bytes (n <= VF_DETECT_BYTES, fewer only
 * when the file is shorter) are h and whose size is size. */
enum vf_kind vf_detect_bytes(const char *path, const unsigned char *h, size_t n, uint64_t size);

/* Reads the first bytes of path and detects its kind. */
enum vf_status vf_detect(const char *path, enum vf_kind *k, struct vf_err *err);

#endif
