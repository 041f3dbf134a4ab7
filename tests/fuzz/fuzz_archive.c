/*
 * fuzz_archive.c - libFuzzer harness for model archives read in place
 * (formats/source.c): the input is written as model.zip when it starts with
 * "PK\3\4" and as model.tar otherwise (the tar reader also takes gzip), then
 * opened through vf_model_open(), which lists and mounts the archive, picks
 * the model folder inside it and reads the checkpoint through the mount.
 */
#include "tests/fuzz/fuzz_common.h"

static char tar_path[512], zip_path[512];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vf_json_init();
	fuzz_path(tar_path, sizeof(tar_path), "model.tar");
	fuzz_path(zip_path, sizeof(zip_path), "model.zip");
	return 0;
}

static const char *path_for(const uint8_t *data, size_t size)
{
	return size >= 4 && memcmp(data, "PK\3\4", 4) == 0 ? zip_path : tar_path;
}

static enum vf_status run(const uint8_t *data, size_t size, struct vf_err *err)
{
	return fuzz_open_path(path_for(data, size), err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = path_for(data, size);

	if (size > FUZZ_MAX_LEN)
		return 0;
	fuzz_write(path, data, size);
	fuzz_twice(run, data, size);
	unlink(path);
	return 0;
}
