/*
 * fuzz_gguf.c - libFuzzer harness for one .gguf file: the input is the whole
 * file, opened through vf_model_open() (which also fills the architecture from
 * the GGUF keys), then grouped into layers.
 */
#include "tests/fuzz/fuzz_common.h"

FUZZ_FILE_HARNESS("model.gguf")
