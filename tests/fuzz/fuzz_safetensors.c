/*
 * fuzz_safetensors.c - libFuzzer harness for one .safetensors file: the input
 * is the whole file (8-byte length, JSON header, data), opened through
 * vf_model_open() as the CLI does, then grouped into layers.
 */
#include "tests/fuzz/fuzz_common.h"

static char path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vf_json_init();
	fuzz_path(path, sizeof(path), "model.safetensors");
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
