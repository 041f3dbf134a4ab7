/*
 * size.c - size strings parsed the way accelerate parses them; see size.h.
 *
 * Invariants: the unit is chosen by a case-insensitive suffix test in
 * accelerate's order (binary units first, so "GiB" is never read as "B"), the
 * number in front of it is validated by our own grammar before strtod() sees
 * it (strtod would also take hex, "inf", "nan" and leading junk), and the
 * result is never above VF_SIZE_MAX.
 */
#include "common/size.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"

#define SIZE_TEXT_MAX 64 /* longer strings are refused before any work */

struct unit {
	const char *suffix; /* compared case-insensitively */
	double mult;
	bool decimal; /* a lowercase final 'b' means bits */
};

/* accelerate tests GIB, MIB, KIB, GB, MB, KB in this order; T is ours. */
static const struct unit units[] = {
    {"TIB", 1099511627776.0, false},
    {"GIB", 1073741824.0, false},
    {"MIB", 1048576.0, false},
    {"KIB", 1024.0, false},
    {"TB", 1e12, true},
    {"GB", 1e9, true},
    {"MB", 1e6, true},
    {"KB", 1e3, true},
};

static const char hint[] = "use an integer for bytes, or a number with a unit: KiB MiB GiB TiB "
			   "(binary), KB MB GB TB (decimal), Kb Mb Gb Tb (bits)";

static bool ends_with_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	if (n < k)
		return false;
	for (size_t i = 0; i < k; i++)
		if (toupper((unsigned char)s[n - k + i]) != suffix[i])
			return false;
	return true;
}

/*
 * Checks that s[0..n) is what Python's float() takes, minus the forms we
 * refuse: spaces, an optional '+', digits with at most one '.', at least one
 * digit, an optional exponent, spaces.  Sets *fraction when the value may not
 * be whole (a '.' or an exponent), *negative for a leading '-'.
 */
static bool number_ok(const char *s, size_t n, bool *fraction, bool *negative)
{
	size_t i = 0, digits = 0;

	*fraction = *negative = false;
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		*negative = s[i] == '-';
		i++;
	}
	while (i < n && isdigit((unsigned char)s[i]))
		i++, digits++;
	if (i < n && s[i] == '.') {
		*fraction = true;
		i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++, digits++;
	}
	if (!digits)
		return false;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t exp_digits = 0;
		*fraction = true;
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		while (i < n && isdigit((unsigned char)s[i]))
			i++, exp_digits++;
		if (!exp_digits)
			return false;
	}
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	return i == n;
}

/* Whole bytes without a unit: exact integer arithmetic, no double rounding. */
static enum vf_status parse_bytes(const char *s, const char *num, size_t n, uint64_t *out,
				  struct vf_err *err)
{
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (isspace((unsigned char)num[i]) || num[i] == '+')
			continue;
		if (!vf_mul_ok(v, 10, &v) || !vf_add_ok(v, (uint64_t)(num[i] - '0'), &v) ||
		    v > VF_SIZE_MAX)
			return vf_fail(err, VF_EFORMAT, NULL, "'%s' is more than 8 PiB", s);
	}
	*out = v;
	return VF_OK;
}

enum vf_status vf_size_parse(const char *s, uint64_t *out, struct vf_err *err)
{
	char num[SIZE_TEXT_MAX + 1];
	const struct unit *u = NULL;
	size_t n = s ? strlen(s) : 0, k;
	bool fraction, negative, bits;
	double v;

	if (!n)
		return vf_fail(err, VF_EFORMAT, NULL, "empty size (%s)", hint);
	if (n > SIZE_TEXT_MAX)
		return vf_fail(err, VF_EFORMAT, NULL, "'%.*s...' is too long for a size", 32, s);
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]) && !u; i++)
		if (ends_with_ci(s, n, units[i].suffix))
			u = &units[i];
	k = u ? n - strlen(u->suffix) : n;
	memcpy(num, s, k);
	num[k] = '\0';
	if (!number_ok(num, k, &fraction, &negative))
		return vf_fail(err, VF_EFORMAT, NULL, "'%s' is not a size (%s)", s, hint);
	if (negative)
		return vf_fail(err, VF_EFORMAT, NULL, "'%s' is a negative size", s);
	if (!u) {
		if (fraction)
			return vf_fail(err, VF_EFORMAT, NULL,
				       "'%s' has no unit, so it is bytes and must be a whole "
				       "number (%s)",
				       s, hint);
		return parse_bytes(s, num, k, out, err);
	}
	/*
	 * accelerate: int(float(number) * unit), then // 8 for bits.  The same
	 * double operations give the same truncated result here.
	 */
	bits = u->decimal && s[n - 1] == 'b';
	v = strtod(num, NULL) * u->mult;
	if (!(v <= (double)VF_SIZE_MAX * (bits ? 8 : 1)))
		return vf_fail(err, VF_EFORMAT, NULL, "'%s' is more than 8 PiB", s);
	*out = (uint64_t)v / (bits ? 8 : 1);
	return VF_OK;
}
