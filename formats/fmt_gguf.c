/* fmt_gguf.c - placeholder until the GGUF reader lands (issue 3). */
#include "formats/model_build.h"

enum vf_status vf_gguf_read_file(struct vf_model *m, const char *path, struct vf_err *err)
{
	(void)m;
	return vf_fail(err, VF_EFORMAT, path, "GGUF reading is not built yet");
}
