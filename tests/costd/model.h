/* The cost model of costd, the reference service: graduated volume tiers priced in exact
 * decimal arithmetic. Pure: no I/O, no globals, no binary floating point. Money is held in
 * scaled integers; every scale is written next to the field that uses it. See README.md for
 * the model, worked examples and the faults. */
#ifndef COSTD_MODEL_H
#define COSTD_MODEL_H

#include <stddef.h>
#include <stdint.h>

/* Model faults, or-ed into the `faults` argument; each is a realistic defect the harness
 * must catch. */
enum costd_fault {
	/* a quantity exactly on a tier boundary is billed entirely at the next tier's price */
	COSTD_FAULT_TIER_BOUNDARY = 1u << 0,
	/* ties at the rounding digit go half-up (away from zero) instead of half-even */
	COSTD_FAULT_ROUND_HALF_UP = 1u << 1,
};

enum costd_currency {
	COSTD_USD,
	COSTD_EUR,
	COSTD_GBP,
	COSTD_JPY,
};

#define COSTD_NTIERS 4

/* 64 bits cannot hold 12 integer digits times a JPY price at 8 fraction digits, let alone the
 * discount product; __extension__ keeps -Wpedantic quiet about the GCC type. */
__extension__ typedef __int128 costd_i128;

/* Scales of the scaled integers below. */
#define COSTD_QTY_SCALE      10000     /* quantity: 4 fraction digits */
#define COSTD_PRICE_SCALE    10000     /* unit price: 4 fraction digits */
#define COSTD_PCT_SCALE      100       /* discount percentage: 2 fraction digits */
#define COSTD_AMOUNT_SCALE   100000000 /* exact amount = quantity * price: 8 digits */
#define COSTD_ROUNDED_SCALE  1000      /* rounded outputs: 3 fraction digits */
#define COSTD_MAX_INT_DIGITS 12        /* integer digits of a quantity */

/* One graduated portion of a quote. */
struct costd_tier_line {
	int tier;           /* 1..4 */
	int64_t quantity;   /* scale COSTD_QTY_SCALE */
	int64_t unit_price; /* scale COSTD_PRICE_SCALE */
	costd_i128 amount;  /* exact, scale COSTD_AMOUNT_SCALE */
};

/* A computed quote. Plain data, no pointers: copy freely, nothing to free. */
struct costd_quote {
	enum costd_currency currency;
	int64_t quantity;     /* scale COSTD_QTY_SCALE */
	int64_t discount_pct; /* scale COSTD_PCT_SCALE, 0..10000 */
	int64_t list_cost;    /* rounded, scale COSTD_ROUNDED_SCALE */
	int64_t savings;      /* rounded, scale COSTD_ROUNDED_SCALE */
	int64_t cost;         /* rounded, scale COSTD_ROUNDED_SCALE */
	int ntiers;           /* lines used in `tiers` */
	struct costd_tier_line tiers[COSTD_NTIERS];
};

/* Why a request was rejected: the offending field (NULL for the body as a whole) and a
 * lowercase message. */
struct costd_error {
	const char *field; /* static string or NULL */
	char message[128];
};

/* The tier boundaries as whole units, ascending (1000, 10000, 100000). */
extern const int64_t costd_tier_bounds[COSTD_NTIERS - 1];

/* Unit price of `tier` (1..4) in `currency`, scale COSTD_PRICE_SCALE. */
int64_t costd_unit_price(enum costd_currency currency, int tier);

/* "USD", "EUR", "GBP", "JPY" to the enum. Returns 0, or -1 for anything else. */
int costd_currency_parse(enum costd_currency *out, const char *s);
const char *costd_currency_name(enum costd_currency currency);

/* Parse a non-negative decimal string ("1000.5") with at most `max_int` integer digits
 * (leading zeros not counted) and `max_frac` fraction digits into an integer scaled by
 * 10^max_frac. Only digits and at most one '.', with digits on both sides of it; no sign,
 * exponent or space. `name` is the field, used in the message. Returns 0, or -1 with `err`
 * filled. */
int costd_decimal_parse(int64_t *out, const char *s, const char *name, int max_int, int max_frac,
                        struct costd_error *err);

/* Round a non-negative exact value of scale `from_scale` to scale `to_scale` (which must
 * divide it), half-even, or half-up under COSTD_FAULT_ROUND_HALF_UP. The tie test looks at
 * the whole discarded remainder, not just its first digit. */
int64_t costd_round(costd_i128 value, int64_t from_scale, int64_t to_scale, unsigned faults);

/* Compute a quote from its already-typed parts: `quantity` is scale COSTD_QTY_SCALE,
 * `discount_pct` scale COSTD_PCT_SCALE (0..10000). Returns 0, or -1 if they are out of
 * range (an assert-worthy caller error, reported rather than trusted). */
int costd_quote_compute(struct costd_quote *out, enum costd_currency currency, int64_t quantity,
                        int64_t discount_pct, unsigned faults);

/* Validate the text fields of a request and compute its quote. `discount_pct` may be NULL
 * (meaning "0"). Returns 0, or -1 with `err` filled. */
int costd_quote_parse(struct costd_quote *out, const char *currency, const char *quantity,
                      const char *discount_pct, unsigned faults, struct costd_error *err);

/* Format a non-negative scaled integer with exactly `frac_digits` fraction digits (0 for
 * none) into `buf`. Returns 0, or -1 if `size` is too small. */
int costd_format(char *buf, size_t size, costd_i128 value, int frac_digits);

/* The whole POST /api/costs/quote handler minus HTTP: a request body in, an HTTP status and
 * a JSON response body out. `*out_body` is malloced and belongs to the caller (free()).
 * Returns 0 (the status may still be 400), or -1 on allocation failure. */
int costd_quote_json(char **out_body, int *out_status, const char *body, size_t len,
                     unsigned faults);

#endif
