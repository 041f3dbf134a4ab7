/* placeholder until the PyTorch readers land (issue 3). */
#include "formats/model_build.h"

enum vf_status vf_torch_zip_read_file(struct vf_model *m, const char *path, const char *key,
				      struct vf_err *err)
{
	(void)m, (void)key;
	return vf_fail(err, VF_EFORMAT, path, "PyTorch reading is not built yet");
}

enum vf_status vf_torch_legacy_read_file(struct vf_model *m, const char *path, const char *key,
					 struct vf_err *err)
{
	(void)m, (void)key;
	return vf_fail(err, VF_EFORMAT, path, "PyTorch reading is not built yet");
}

enum vf_status vf_torch_read_index(struct vf_model *m, const char *index_path, const char *key,
				   struct vf_err *err)
{
	(void)m, (void)key;
	return vf_fail(err, VF_EFORMAT, index_path, "PyTorch reading is not built yet");
}
