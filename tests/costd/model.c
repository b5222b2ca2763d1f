/* The cost model: graduated tiers in exact decimal arithmetic. No I/O and no binary floating
 * point: a double would already have lost digits of a 12-digit quantity, and the harness
 * compares these outputs to the last 0.001. */
#include "model.h"

#include <assert.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const int64_t costd_tier_bounds[COSTD_NTIERS - 1] = {1000, 10000, 100000};

/* Unit prices by currency and tier, scale COSTD_PRICE_SCALE. */
static const int64_t prices[][COSTD_NTIERS] = {
        [COSTD_USD] = {125, 110, 95, 80},
        [COSTD_EUR] = {116, 102, 88, 74},
        [COSTD_GBP] = {99, 87, 75, 63},
        [COSTD_JPY] = {18500, 16200, 14000, 11800},
};

static const char *const currency_names[] = {
        [COSTD_USD] = "USD",
        [COSTD_EUR] = "EUR",
        [COSTD_GBP] = "GBP",
        [COSTD_JPY] = "JPY",
};

int64_t costd_unit_price(enum costd_currency currency, int tier)
{
	assert(currency >= COSTD_USD && currency <= COSTD_JPY);
	assert(tier >= 1 && tier <= COSTD_NTIERS);
	return prices[currency][tier - 1];
}

int costd_currency_parse(enum costd_currency *out, const char *s)
{
	for (int i = COSTD_USD; i <= COSTD_JPY; i++) {
		if (strcmp(s, currency_names[i]) == 0) {
			*out = (enum costd_currency)i;
			return 0;
		}
	}
	return -1;
}

const char *costd_currency_name(enum costd_currency currency)
{
	assert(currency >= COSTD_USD && currency <= COSTD_JPY);
	return currency_names[currency];
}

__attribute__((format(printf, 3, 4))) static int fail(struct costd_error *err, const char *field,
                                                      const char *fmt, ...)
{
	va_list ap;

	err->field = field;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return -1;
}

int costd_decimal_parse(int64_t *out, const char *s, const char *name, int max_int, int max_frac,
                        struct costd_error *err)
{
	const char *p = s;
	int64_t v = 0;
	int nint = 0;
	int nfrac = 0;

	if (*p == '-')
		return fail(err, name, "%s must not be negative", name);
	if (*p < '0' || *p > '9')
		return fail(err, name, "%s is not a plain decimal number", name);
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v == 0 && *p == '0')
			continue; /* leading zeros do not count as digits */
		if (++nint > max_int)
			return fail(err, name, "%s has more than %d integer digits", name, max_int);
		v = v * 10 + (*p - '0');
	}
	if (*p == '.') {
		p++;
		if (*p < '0' || *p > '9')
			return fail(err, name, "%s is not a plain decimal number", name);
		for (; *p >= '0' && *p <= '9'; p++) {
			if (++nfrac > max_frac)
				return fail(err, name, "%s has more than %d fraction digits", name,
				            max_frac);
			v = v * 10 + (*p - '0');
		}
	}
	if (*p != '\0')
		return fail(err, name, "%s is not a plain decimal number", name);
	for (; nfrac < max_frac; nfrac++)
		v *= 10;
	*out = v;
	return 0;
}

int64_t costd_round(costd_i128 value, int64_t from_scale, int64_t to_scale, unsigned faults)
{
	assert(value >= 0);
	assert(to_scale > 0 && from_scale % to_scale == 0);
	costd_i128 div = from_scale / to_scale;
	costd_i128 q = value / div;
	costd_i128 r = value % div;

	/* Compare the whole remainder with half the divisor: looking only at the first
	 * discarded digit would call 0.00050001 a tie. */
	if (2 * r > div)
		q++;
	else if (2 * r == div && ((faults & COSTD_FAULT_ROUND_HALF_UP) || q % 2 != 0))
		q++;
	return (int64_t)q;
}

/* The faulty build's volume-tier lookup: a `>=` written for `>` sends a quantity exactly on a
 * boundary to the tier above, and that tier's price is applied to the whole quantity. Returns
 * the 1-based tier, or 0 when the quantity is not on a boundary (the graduated path runs). */
static int boundary_tier(int64_t quantity)
{
	for (int i = 0; i < COSTD_NTIERS - 1; i++) {
		if (quantity == costd_tier_bounds[i] * COSTD_QTY_SCALE)
			return i + 2;
	}
	return 0;
}

static void add_line(struct costd_quote *q, int tier, int64_t quantity)
{
	struct costd_tier_line *line = &q->tiers[q->ntiers++];

	line->tier = tier;
	line->quantity = quantity;
	line->unit_price = costd_unit_price(q->currency, tier);
	line->amount = (costd_i128)quantity * line->unit_price;
}

int costd_quote_compute(struct costd_quote *out, enum costd_currency currency, int64_t quantity,
                        int64_t discount_pct, unsigned faults)
{
	struct costd_quote q = {
	        .currency = currency, .quantity = quantity, .discount_pct = discount_pct};
	int64_t max_qty = 1;

	for (int i = 0; i < COSTD_MAX_INT_DIGITS; i++)
		max_qty *= 10;
	if (currency < COSTD_USD || currency > COSTD_JPY || quantity < 0 ||
	    quantity >= max_qty * COSTD_QTY_SCALE || discount_pct < 0 ||
	    discount_pct > 100 * COSTD_PCT_SCALE)
		return -1;

	int bad_tier = (faults & COSTD_FAULT_TIER_BOUNDARY) ? boundary_tier(quantity) : 0;
	if (bad_tier != 0) {
		add_line(&q, bad_tier, quantity);
	} else {
		int64_t lower = 0;
		for (int t = 1; t <= COSTD_NTIERS && quantity > lower; t++) {
			int64_t upper = t < COSTD_NTIERS
			                        ? costd_tier_bounds[t - 1] * COSTD_QTY_SCALE
			                        : quantity;
			int64_t top = quantity < upper ? quantity : upper;
			add_line(&q, t, top - lower);
			lower = upper;
		}
	}

	costd_i128 list8 = 0; /* scale 10^8 */
	for (int i = 0; i < q.ntiers; i++)
		list8 += q.tiers[i].amount;
	/* list * pct / 100 with list at 10^8 and pct at 10^2 is exactly list8 * pct2 at 10^12 */
	costd_i128 disc12 = list8 * discount_pct;
	costd_i128 net12 = list8 * 10000 - disc12;
	const int64_t s12 = (int64_t)COSTD_AMOUNT_SCALE * 10000;

	q.list_cost = costd_round(list8, COSTD_AMOUNT_SCALE, COSTD_ROUNDED_SCALE, faults);
	q.savings = costd_round(disc12, s12, COSTD_ROUNDED_SCALE, faults);
	q.cost = costd_round(net12, s12, COSTD_ROUNDED_SCALE, faults);
	*out = q;
	return 0;
}

int costd_quote_parse(struct costd_quote *out, const char *currency, const char *quantity,
                      const char *discount_pct, unsigned faults, struct costd_error *err)
{
	enum costd_currency cur;
	int64_t qty;
	int64_t pct = 0;

	if (costd_currency_parse(&cur, currency) != 0)
		return fail(err, "currency", "currency must be one of USD, EUR, GBP, JPY");
	if (costd_decimal_parse(&qty, quantity, "quantity", COSTD_MAX_INT_DIGITS, 4, err) != 0)
		return -1;
	if (discount_pct != NULL &&
	    costd_decimal_parse(&pct, discount_pct, "discount_pct", 3, 2, err) != 0)
		return -1;
	if (pct > 100 * COSTD_PCT_SCALE)
		return fail(err, "discount_pct", "discount_pct must be between 0 and 100");
	if (costd_quote_compute(out, cur, qty, pct, faults) != 0)
		return fail(err, NULL, "request out of range");
	return 0;
}

int costd_format(char *buf, size_t size, costd_i128 value, int frac_digits)
{
	char tmp[64];
	size_t n = 0;

	assert(value >= 0 && frac_digits >= 0 && frac_digits < 30);
	/* digits in reverse, at least one before the point */
	do {
		if (n == (size_t)frac_digits && frac_digits > 0)
			tmp[n++] = '.';
		tmp[n++] = (char)('0' + (int)(value % 10));
		value /= 10;
	} while (value > 0 || n <= (size_t)frac_digits);
	if (n + 1 > size)
		return -1;
	for (size_t i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	buf[n] = '\0';
	return 0;
}

/* A quantity at scale 10^4 without trailing zeros: "1000", "0.5". */
static void format_quantity(char *buf, size_t size, int64_t quantity)
{
	costd_format(buf, size, quantity, 4);
	char *end = buf + strlen(buf);
	while (end[-1] == '0')
		*--end = '\0';
	if (end[-1] == '.')
		end[-1] = '\0';
}

static int add_decimal(cJSON *obj, const char *key, costd_i128 value, int frac_digits)
{
	char buf[64];

	if (costd_format(buf, sizeof(buf), value, frac_digits) != 0)
		return -1;
	return cJSON_AddStringToObject(obj, key, buf) != NULL ? 0 : -1;
}

static int add_tiers(cJSON *obj, const struct costd_quote *q)
{
	cJSON *arr = cJSON_AddArrayToObject(obj, "tiers");
	char buf[64];

	if (arr == NULL)
		return -1;
	for (int i = 0; i < q->ntiers; i++) {
		const struct costd_tier_line *line = &q->tiers[i];
		cJSON *t = cJSON_CreateObject();
		if (t == NULL || !cJSON_AddItemToArray(arr, t))
			return -1;
		format_quantity(buf, sizeof(buf), line->quantity);
		if (cJSON_AddNumberToObject(t, "tier", line->tier) == NULL ||
		    cJSON_AddStringToObject(t, "quantity", buf) == NULL ||
		    add_decimal(t, "unit_price", line->unit_price, 4) != 0 ||
		    add_decimal(t, "amount", line->amount, 8) != 0)
			return -1;
	}
	return 0;
}

/* Fetch a string member: 0 if a string, or absent and not `required`; -1 (err filled)
 * otherwise. `decimal` members holding a JSON number get their own message. */
static int get_string(const char **out, const cJSON *req, const char *key, int required,
                      int decimal, struct costd_error *err)
{
	const cJSON *item = cJSON_GetObjectItemCaseSensitive(req, key);

	*out = NULL;
	if (item == NULL || cJSON_IsNull(item)) {
		if (required)
			return fail(err, key, "%s is required", key);
		return 0;
	}
	if (!cJSON_IsString(item)) {
		/* a JSON number would already have lost digits in a double */
		if (decimal)
			return fail(err, key, "%s must be a decimal string", key);
		return fail(err, key, "%s must be a string", key);
	}
	*out = item->valuestring;
	return 0;
}

static int build_quote(cJSON *res, const cJSON *req, unsigned faults, struct costd_error *err)
{
	const char *record_id, *account, *service, *currency, *quantity, *discount;
	struct costd_quote q;

	if (!cJSON_IsObject(req))
		return fail(err, NULL, "body must be a JSON object");
	if (get_string(&record_id, req, "record_id", 1, 0, err) != 0 ||
	    get_string(&account, req, "account", 0, 0, err) != 0 ||
	    get_string(&service, req, "service", 0, 0, err) != 0 ||
	    get_string(&currency, req, "currency", 1, 0, err) != 0 ||
	    get_string(&quantity, req, "quantity", 1, 1, err) != 0 ||
	    get_string(&discount, req, "discount_pct", 0, 1, err) != 0)
		return -1;
	if (record_id[0] == '\0')
		return fail(err, "record_id", "record_id must not be empty");
	if (costd_quote_parse(&q, currency, quantity, discount, faults, err) != 0)
		return -1;

	/* allocation failures below are not request errors: field stays NULL, message empty */
	err->field = NULL;
	err->message[0] = '\0';
	if (cJSON_AddStringToObject(res, "record_id", record_id) == NULL ||
	    (account != NULL && cJSON_AddStringToObject(res, "account", account) == NULL) ||
	    (service != NULL && cJSON_AddStringToObject(res, "service", service) == NULL) ||
	    cJSON_AddStringToObject(res, "currency", costd_currency_name(q.currency)) == NULL ||
	    cJSON_AddStringToObject(res, "quantity", quantity) == NULL ||
	    cJSON_AddStringToObject(res, "discount_pct", discount ? discount : "0") == NULL ||
	    add_decimal(res, "list_cost", q.list_cost, 3) != 0 ||
	    add_decimal(res, "savings", q.savings, 3) != 0 ||
	    add_decimal(res, "cost", q.cost, 3) != 0 || add_tiers(res, &q) != 0)
		return -1;
	return 0;
}

int costd_quote_json(char **out_body, int *out_status, const char *body, size_t len,
                     unsigned faults)
{
	struct costd_error err = {0};
	cJSON *req = cJSON_ParseWithLength(body, len);
	cJSON *res = cJSON_CreateObject();
	int rc = -1;

	*out_body = NULL;
	if (res == NULL)
		goto out;
	if (req == NULL) {
		*out_status = 400;
		if (cJSON_AddStringToObject(res, "error", "invalid JSON") == NULL)
			goto out;
	} else if (build_quote(res, req, faults, &err) != 0) {
		if (err.message[0] == '\0')
			goto out;
		*out_status = 400;
		cJSON_Delete(res);
		res = cJSON_CreateObject();
		if (res == NULL || cJSON_AddStringToObject(res, "error", err.message) == NULL ||
		    (err.field != NULL && cJSON_AddStringToObject(res, "field", err.field) == NULL))
			goto out;
	} else {
		*out_status = 200;
	}
	*out_body = cJSON_PrintUnformatted(res);
	if (*out_body != NULL)
		rc = 0;
out:
	cJSON_Delete(req);
	cJSON_Delete(res);
	return rc;
}
