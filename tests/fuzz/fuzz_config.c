/*
 * fuzz_config.c - libFuzzer harness for config.json: the input is the text,
 * parsed in memory by vf_config_parse() (no file needed).
 */
#include "tests/fuzz/fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vf_json_init();
	return 0;
}

static enum vf_status run(const uint8_t *data, size_t size, struct vf_err *err)
{
	struct vf_arch arch;
	enum vf_status st;

	memset(&arch, 0, sizeof(arch));
	st = vf_config_parse((const char *)data, size, "config.json", &arch, err);
	if (st && (arch.present || arch.mlp_only || arch.layer_types))
		fuzz_fail("a failed config parse left state behind");
	if (!st) {
		if (!arch.present)
			fuzz_fail("a parsed config is not marked present");
		if (arch.num_layers > VF_MAX_LAYERS)
			fuzz_fail("a config with more layers than VF_MAX_LAYERS");
		/* the per-layer arrays hold num_layers entries: read them all */
		for (int64_t i = 0; i < arch.num_layers; i++) {
			if (arch.layer_types && arch.layer_types[i] > VF_ATTN_OTHER)
				fuzz_fail("a layer type outside enum vf_attn");
			if (arch.mlp_only && arch.mlp_only[i] > 1)
				fuzz_fail("an mlp_only flag other than 0 or 1");
		}
	}
	vf_arch_release(&arch);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_LEN)
		return 0;
	fuzz_twice(run, data, size);
	return 0;
}
