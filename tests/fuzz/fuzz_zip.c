/*
 * fuzz_zip.c - libFuzzer harness for PyTorch zip checkpoints: the input is
 * written as model.pt and opened through vf_model_open(), which sends a
 * "PK\3\4" file to the zip reader (libarchive's seekable zip reader, then the
 * pickle machine on data.pkl, then the storage size checks).
 */
#include "tests/fuzz/fuzz_common.h"

static char path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vf_json_init();
	fuzz_path(path, sizeof(path), "model.pt");
	return 0;
}

static enum vf_status run(const uint8_t *data, size_t size, struct vf_err *err)
{
	(void)data;
	(void)size;
	return fuzz_open_path(path, err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_LEN)
		return 0;
	fuzz_write(path, data, size);
	fuzz_twice(run, data, size);
	unlink(path);
	return 0;
}
