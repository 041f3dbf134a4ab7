/*
 * folder.h - which files of a folder are the model (formats/folder.c).
 */
#ifndef VF_FOLDER_H
#define VF_FOLDER_H

#include <stdbool.h>

#include "common/err.h"
#include "formats/detect.h"

struct vf_choice {
	char *path; /* NULL: the folder has none of transformers' file names */
	enum vf_kind kind;
};

/* The file from_pretrained would read in dir (with variant, or NULL). */
enum vf_status vf_folder_choose(const char *dir, const char *variant, struct vf_choice *c,
				struct vf_err *err);
void vf_choice_free(struct vf_choice *c);

/* For a folder without transformers' names: the one PyTorch file (pass 0)
 * or GGUF file (pass 1) in it, NULL when there is none; several are an
 * error.  A Trainer's side files (optimizer.pt, rng_state.pth, ...) are not
 * candidates. */
enum vf_status vf_folder_single(const char *dir, int pass, char **path, struct vf_err *err);

bool vf_folder_is_file(const char *p);
/* p exists and is not a regular file (a FIFO, a device, a folder) */
bool vf_folder_is_other(const char *p);

#endif
