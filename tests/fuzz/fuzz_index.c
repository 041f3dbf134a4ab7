/*
 * fuzz_index.c - libFuzzer harness for a sharded safetensors index: the input
 * is written as model.safetensors.index.json into a scratch directory that
 * also holds two small valid shards, and the index is opened through
 * vf_model_open(), which reads every shard it names and checks that index and
 * shards agree.  tests/fuzz/seeds/index/ holds an index that matches the two
 * shards written here, so the fuzzer starts from a model that opens.
 */
#include "tests/fuzz/fuzz_common.h"

static char path[512];

/* An 8-byte little-endian length, the header, then data_len zero bytes. */
static void write_shard(const char *name, const char *header, size_t data_len)
{
	char p[512];
	size_t n = strlen(header);
	unsigned char *buf = calloc(1, 8 + n + data_len);

	if (!buf)
		abort();
	for (int i = 0; i < 8; i++)
		buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
	memcpy(buf + 8, header, n);
	fuzz_path(p, sizeof(p), name);
	fuzz_write(p, buf, 8 + n + data_len);
	free(buf);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vf_json_init();
	write_shard("model-00001-of-00002.safetensors",
		    "{\"model.embed_tokens.weight\":{\"dtype\":\"F32\",\"shape\":[4,2],"
		    "\"data_offsets\":[0,32]},\"model.layers.0.mlp.up_proj.weight\":{\"dtype\":"
		    "\"BF16\",\"shape\":[2,2],\"data_offsets\":[32,40]}}",
		    40);
	write_shard(
	    "model-00002-of-00002.safetensors",
	    "{\"__metadata__\":{\"format\":\"pt\"},\"model.layers.1.mlp.up_proj.weight\":{"
	    "\"dtype\":\"BF16\",\"shape\":[2,2],\"data_offsets\":[0,8]},\"lm_head.weight\":{"
	    "\"dtype\":\"F16\",\"shape\":[4,2],\"data_offsets\":[8,24]}}",
	    24);
	fuzz_path(path, sizeof(path), "model.safetensors.index.json");
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
