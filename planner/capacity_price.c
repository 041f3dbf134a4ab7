/*
 * capacity_price.c - prices per GPU-hour; see capacity_price.h.
 */
#include "planner/capacity_price.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum vf_status vf_prices_add(struct vf_prices *p, const char *entry, struct vf_err *err)
{
	const char *s = entry, *sep;
	size_t nlen;
	char *end;
	double v;

	while (*s == ' ' || *s == '\t')
		s++;
	sep = s + strcspn(s, "= \t");
	nlen = (size_t)(sep - s);
	if (!nlen || !*sep || nlen >= VF_PRICE_NAME_MAX)
		return vf_fail(err, VF_EUSAGE, "", "a price is NAME=PRICE, not '%s'", entry);
	while (*sep == '=' || *sep == ' ' || *sep == '\t')
		sep++;
	v = strtod(sep, &end);
	while (*end == ' ' || *end == '\t' || *end == '\r')
		end++;
	if (end == sep || *end || !(v > 0) || !isfinite(v))
		return vf_fail(err, VF_EUSAGE, "", "a price is a number above 0, not '%s'", entry);
	if (p->n == VF_PRICES_MAX)
		return vf_fail(err, VF_EUSAGE, "", "at most %d prices", VF_PRICES_MAX);
	snprintf(p->name[p->n], VF_PRICE_NAME_MAX, "%.*s", (int)nlen, s);
	p->price[p->n++] = v;
	return VF_OK;
}

enum vf_status vf_prices_parse(struct vf_prices *p, const char *text, size_t len,
			       struct vf_err *err)
{
	size_t i = 0, line = 0;

	while (i < len) {
		char buf[256];
		size_t j = i, n;
		const char *t;
		while (j < len && text[j] != '\n')
			j++;
		n = j - i < sizeof(buf) - 1 ? j - i : sizeof(buf) - 1;
		memcpy(buf, text + i, n);
		buf[n] = '\0';
		line++;
		i = j + 1;
		t = buf + strspn(buf, " \t\r");
		if (!*t || *t == '#')
			continue;
		if (vf_prices_add(p, t, err)) {
			char msg[sizeof(err->msg)];
			snprintf(msg, sizeof(msg), "%s", err->msg);
			vf_err_clear(err);
			return vf_fail(err, VF_EUSAGE, "", "line %zu: %s", line, msg);
		}
	}
	return VF_OK;
}

double vf_prices_find(const struct vf_prices *p, const char *name,
		      int (*same)(const char *a, const char *b))
{
	for (size_t i = p->n; i-- > 0;)
		if (same ? same(p->name[i], name) : strcmp(p->name[i], name) == 0)
			return p->price[i];
	return 0;
}

double vf_price_per_mtok(double price_per_hour, double tokens_per_s)
{
	if (!(price_per_hour > 0) || !(tokens_per_s > 0))
		return 0;
	return price_per_hour / (tokens_per_s * 3600.0) * 1e6;
}
