/*
 * fuzz_legacy.c - libFuzzer harness for PyTorch's legacy (pre-1.6) format: the
 * input is written as pytorch_model.bin and opened through vf_model_open(),
 * which sends a file starting with a pickle PROTO opcode to the legacy reader:
 * five pickles read through the 16 KiB stream window, then one 8-byte count
 * per storage.
 */
#include "tests/fuzz/fuzz_common.h"

static char path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vf_json_init();
	fuzz_path(path, sizeof(path), "pytorch_model.bin");
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
