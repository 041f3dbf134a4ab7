/*
 * detect.c - what a file is, by proof first and by name second.
 *
 * Each format bids on the first bytes of a file, the way libarchive's bidders
 * do, and the strongest proof wins:
 *
 *   GGUF         "GGUF"
 *   PyTorch zip  "PK\3\4"
 *   safetensors  a little-endian u64 n, byte 8 is '{' and 8 + n <= size.
 *                The safetensors writer pads its header with spaces to a
 *                multiple of 8, so the first byte (the low byte of n) can be
 *                anything: 0x20 for 1 file in 32, 0x80 followed by 0x02-0x05
 *                (a pickle's PROTO opcode) for header lengths 640-1408 mod
 *                65536.  Neither makes it JSON or a pickle.
 *   legacy       a pickle PROTO 2-5 (and for 4-5 a FRAME) whose first object
 *                is torch's magic number 0x1950a86a20f9469cfc6c, as
 *                torch.save's legacy writer puts it
 *
 * Only when nothing is proven does the name decide: `.safetensors`, `.json`
 * (an index by its name), `.gguf`; then the weaker signs: a PROTO opcode is a
 * pickle (its reader says what is wrong with it), a '{' after blanks is JSON,
 * a '{' at byte 8 is a safetensors file that is cut short (its reader says
 * so).  A pickle of protocol 0 or 1 (torch.save(pickle_protocol=1)) is named
 * and refused: vramfit reads protocols 2 to 5.
 */
#include <string.h>

#include "common/file.h"
#include "formats/detect.h"

/* torch's MAGIC_NUMBER as LONG1's 10 little-endian bytes */
static const unsigned char torch_magic[10] = {0x6c, 0xfc, 0x9c, 0x46, 0xf9,
					      0x20, 0x6a, 0xa8, 0x50, 0x19};
/* and as protocol 0/1 write it: LONG, in decimal */
static const char torch_magic_text[] = "L119547037146038801333356L\n";

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && strcmp(s + a - b, suf) == 0;
}

static uint64_t le64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool proves_safetensors(const unsigned char *h, size_t n, uint64_t size)
{
	uint64_t len;

	if (n < 9 || h[8] != '{')
		return false;
	len = le64(h);
	return len >= 2 && len <= size - 8;
}

static bool proves_legacy(const unsigned char *h, size_t n)
{
	size_t at = 2;

	if (n < 2 || h[0] != 0x80 || h[1] < 2 || h[1] > 5)
		return false;
	if (h[1] >= 4 && n > at && h[at] == 0x95) /* FRAME and its u64 length */
		at += 9;
	return n >= at + 12 && h[at] == 0x8a && h[at + 1] == 10 &&
	       memcmp(h + at + 2, torch_magic, sizeof(torch_magic)) == 0;
}

static enum vf_kind json_kind(const char *path)
{
	if (ends_with(path, VF_PT_INDEX))
		return VF_KIND_PT_INDEX;
	if (ends_with(path, ".index.json"))
		return VF_KIND_ST_INDEX;
	return VF_KIND_JSON;
}

static bool starts_json(const unsigned char *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (h[i] == '{')
			return true;
		if (h[i] != ' ' && h[i] != '\t' && h[i] != '\n' && h[i] != '\r')
			return false;
	}
	return false;
}

enum vf_kind vf_detect_bytes(const char *path, const unsigned char *h, size_t n, uint64_t size)
{
	if (n >= 4 && memcmp(h, "GGUF", 4) == 0)
		return VF_KIND_GGUF;
	if (n >= 4 && memcmp(h, "PK\3\4", 4) == 0)
		return VF_KIND_TORCH_ZIP;
	if (proves_safetensors(h, n, size))
		return VF_KIND_SAFETENSORS;
	if (proves_legacy(h, n))
		return VF_KIND_TORCH_LEGACY;
	if (n >= sizeof(torch_magic_text) - 1 &&
	    memcmp(h, torch_magic_text, sizeof(torch_magic_text) - 1) == 0)
		return VF_KIND_PICKLE_OLD;
	/* nothing proven: the name, then weaker signs */
	if (ends_with(path, ".safetensors"))
		return VF_KIND_SAFETENSORS;
	if (ends_with(path, ".json"))
		return json_kind(path);
	if (ends_with(path, ".gguf"))
		return VF_KIND_GGUF;
	if (n >= 2 && h[0] == 0x80 && h[1] >= 2 && h[1] <= 5)
		return VF_KIND_TORCH_LEGACY;
	if (starts_json(h, n))
		return json_kind(path);
	if (n < 9 || h[8] == '{')
		return VF_KIND_SAFETENSORS;
	return VF_KIND_UNKNOWN;
}

enum vf_status vf_detect(const char *path, enum vf_kind *k, struct vf_err *err)
{
	struct vf_file f;
	unsigned char h[VF_DETECT_BYTES] = {0};
	size_t n;
	enum vf_status st;

	*k = VF_KIND_UNKNOWN;
	if ((st = vf_file_open(&f, path, err)))
		return st;
	n = f.size < sizeof(h) ? (size_t)f.size : sizeof(h);
	st = vf_file_pread(&f, h, n, 0, err);
	if (!st)
		*k = vf_detect_bytes(path, h, n, f.size);
	vf_file_close(&f);
	return st;
}
