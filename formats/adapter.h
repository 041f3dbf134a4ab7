/*
 * adapter.h - a PEFT adapter folder (formats/adapter.c).
 */
#ifndef VF_ADAPTER_H
#define VF_ADAPTER_H

#include "formats/formats.h"

/* When dir holds adapter_config.json and adapter_model.safetensors (or
 * .bin): reads the adapter's tensors into m and sets m->adapter_base and
 * m->adapter_note.  Otherwise leaves m as it is. */
enum vf_status vf_adapter_open(struct vf_model *m, const char *dir, const struct vf_open_opts *o,
			       struct vf_err *err);

#endif
