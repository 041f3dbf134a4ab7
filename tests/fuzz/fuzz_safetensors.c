/*
 * fuzz_safetensors.c - libFuzzer harness for one .safetensors file: the input
 * is the whole file (8-byte length, JSON header, data), opened through
 * vf_model_open() as the CLI does, then grouped into layers.
 */
#include "tests/fuzz/fuzz_common.h"

FUZZ_FILE_HARNESS("model.safetensors")
