/*
 * fuzz_zip.c - libFuzzer harness for PyTorch zip checkpoints: the input is
 * written as model.pt and opened through vf_model_open(), which sends a
 * "PK\3\4" file to the zip reader (libarchive's seekable zip reader, then the
 * pickle machine on data.pkl, then the storage size checks).
 */
#include "tests/fuzz/fuzz_common.h"

FUZZ_FILE_HARNESS("model.pt")
