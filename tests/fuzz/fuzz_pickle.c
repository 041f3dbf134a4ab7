/*
 * fuzz_pickle.c - libFuzzer harness for the pickle machine itself
 * (formats/torch_pickle.c), without a container around it: the input is a
 * whole file of pickles back to back, as in a legacy checkpoint, read from
 * memory.  Up to five pickles are loaded (a legacy file holds five) until the
 * input ends or one fails, and every tensor reachable from each result is
 * added to a model, which is then grouped into layers.  An input that is one
 * pickle (a data.pkl) of odd length narrows to the top-level key "model", as
 * `--key model` does.
 */
#include "tests/fuzz/fuzz_common.h"

#include "common/stream.h"
#include "formats/model_build.h"
#include "formats/torch_pickle.h"

#define MAX_PICKLES 5

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	vf_json_init();
	return 0;
}

static enum vf_status run(const uint8_t *data, size_t size, struct vf_err *err)
{
	struct vf_model *m = vf_model_new("data.pkl");
	struct tp_machine *pm = NULL;
	struct vf_stream s;
	enum vf_status st;
	uint32_t file;

	if (!m)
		return vf_fail(err, VF_ENOMEM, "data.pkl", "out of memory");
	/* the same budget as the zip reader gives data.pkl */
	if (!(pm = tp_new("data.pkl", size * 64 + (1u << 20)))) {
		st = vf_fail(err, VF_ENOMEM, "data.pkl", "out of memory");
		goto out;
	}
	if ((st = vf_model_add_file(m, "data.pkl", &file, err)))
		goto out;
	m->format = VF_FMT_PYTORCH_ZIP; /* storages may be shared: see fuzz_check_model */
	m->ordered = true;
	vf_stream_open_mem(&s, data, size, "data.pkl");
	for (int i = 0; i < MAX_PICKLES && vf_stream_left(&s); i++) {
		void *root;
		const char *key;
		if ((st = tp_load(pm, &s, &root, err)))
			goto out;
		key = i == 0 && !vf_stream_left(&s) && size % 2 ? "model" : NULL;
		if ((st = tp_add_tensors(pm, root, key, m, file, err)))
			goto out;
	}
	fuzz_check_model(m);
	st = fuzz_group(m, err);
out:
	tp_free(pm);
	vf_model_free(m);
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > FUZZ_MAX_LEN)
		return 0;
	fuzz_twice(run, data, size);
	return 0;
}
