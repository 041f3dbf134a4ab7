/*
 * fuzz_legacy.c - libFuzzer harness for PyTorch's legacy (pre-1.6) format: the
 * input is written as pytorch_model.bin and opened through vf_model_open(),
 * which sends a file starting with a pickle PROTO opcode to the legacy reader:
 * five pickles read through the 16 KiB stream window, then one 8-byte count
 * per storage.
 */
#include "tests/fuzz/fuzz_common.h"

FUZZ_FILE_HARNESS("pytorch_model.bin")
