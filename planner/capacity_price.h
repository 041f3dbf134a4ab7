/*
 * capacity_price.h - prices per GPU-hour for `vramfit capacity`, from
 * --price NAME=PRICE and a price file, and what a configuration costs.
 *
 * Price file (user-editable text, one GPU a line):
 *     # comments and blank lines are ignored
 *     h100 2.49
 *     h200=3.50
 * NAME is a catalogue name or alias (vramfit gpus --list), PRICE the cost
 * of one GPU for one hour in the user's currency (a decimal number > 0);
 * "NAME PRICE" and "NAME=PRICE" both work.  A later entry for the same
 * name wins, and --price wins over the file.
 */
#ifndef VF_CAPACITY_PRICE_H
#define VF_CAPACITY_PRICE_H

#include <stddef.h>

#include "common/err.h"

#define VF_PRICES_MAX 64
#define VF_PRICE_NAME_MAX 48

struct vf_prices {
	size_t n;
	char name[VF_PRICES_MAX][VF_PRICE_NAME_MAX];
	double price[VF_PRICES_MAX];
};

/* One "NAME=PRICE" or "NAME PRICE"; VF_EUSAGE with a message when malformed. */
enum vf_status vf_prices_add(struct vf_prices *p, const char *entry, struct vf_err *err);
/* Every line of a price file's text (len bytes); errors name the line. */
enum vf_status vf_prices_parse(struct vf_prices *p, const char *text, size_t len,
			       struct vf_err *err);
/* The price of NAME (the last one given), or 0.  same(a, b) says whether two
 * names are the same GPU (the catalogue decides; NULL: equal strings). */
double vf_prices_find(const struct vf_prices *p, const char *name,
		      int (*same)(const char *a, const char *b));
/* Cost of a million generated tokens at price_per_hour for the whole
 * configuration and tokens_per_s of aggregate decode; 0 when unknown. */
double vf_price_per_mtok(double price_per_hour, double tokens_per_s);

#endif
