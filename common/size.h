/*
 * size.h - byte sizes written as people and accelerate write them.
 *
 * vf_size_parse() reads the strings of accelerate's max_memory and of
 * vramfit's own options ("10GiB", "10GB", "10Gb", "1.5GiB", "4096") with the
 * meaning accelerate gives them (utils/modeling.py, convert_file_size_to_int):
 *
 *   GiB MiB KiB   binary, any letter case ("10gib" too)
 *   GB  MB  KB    decimal; if the last letter is a lowercase 'b' ("10Gb",
 *                 "10gb", "10Kb") the number is bits and the bytes are an
 *                 eighth of it, rounded down
 *   an integer    bytes (accelerate takes a Python int as bytes)
 *
 * The number before a unit may have a fraction and an exponent ("1.5GiB",
 * "1e3MB") and is turned into bytes exactly as accelerate does it, in double
 * precision and truncated: int(float(number) * unit).  So a max_memory string
 * means the same byte count here and in accelerate.
 *
 * Beyond accelerate: TiB and TB (Tb bits) are accepted, since host RAM and
 * disk reach terabytes.  Stricter than accelerate: no negative numbers (it
 * takes "-0GB"), no inf/nan, no underscores ("1_000MB"), no fraction without
 * a unit, nothing above VF_SIZE_MAX (so every size stays an exact JSON
 * number).  Whitespace around the number is allowed, as Python's float()
 * allows it ("10 GiB").
 */
#ifndef VF_SIZE_H
#define VF_SIZE_H

#include <stdint.h>

#include "common/err.h"

/* 2^53 bytes (8 PiB): the largest size accepted, exact as a JSON number. */
#define VF_SIZE_MAX (UINT64_C(1) << 53)

/*
 * Parses s into *out.  On failure returns VF_EFORMAT with a message that quotes
 * s and says what is wrong; *out is left untouched.
 */
enum vf_status vf_size_parse(const char *s, uint64_t *out, struct vf_err *err);

#endif
