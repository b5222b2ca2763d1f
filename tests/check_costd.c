/* Unit tests of costd's cost model (tests/costd/model.c). Expected values were worked out
 * independently with Python's decimal module; see tests/costd/README.md. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "check_suites.h"
#include "model.h"

/* Quote `qty` and compare the three rounded outputs as text. */
static void expect_quote(const char *cur, const char *qty, const char *pct, unsigned faults,
                         const char *list, const char *savings, const char *cost)
{
	struct costd_quote q;
	struct costd_error err = {0};
	char buf[64];

	ck_assert_msg(costd_quote_parse(&q, cur, qty, pct, faults, &err) == 0, "%s %s: %s", cur,
	              qty, err.message);
	ck_assert_int_eq(costd_format(buf, sizeof(buf), q.list_cost, 3), 0);
	ck_assert_str_eq(buf, list);
	ck_assert_int_eq(costd_format(buf, sizeof(buf), q.savings, 3), 0);
	ck_assert_str_eq(buf, savings);
	ck_assert_int_eq(costd_format(buf, sizeof(buf), q.cost, 3), 0);
	ck_assert_str_eq(buf, cost);
}

static void expect_reject(const char *cur, const char *qty, const char *pct, const char *field,
                          const char *message)
{
	struct costd_quote q;
	struct costd_error err = {0};

	ck_assert_int_eq(costd_quote_parse(&q, cur, qty, pct, 0, &err), -1);
	ck_assert_ptr_nonnull(err.field);
	ck_assert_str_eq(err.field, field);
	ck_assert_str_eq(err.message, message);
}

START_TEST(test_each_tier_price)
{
	/* one unit in each tier's range, priced as the graduated sum */
	expect_quote("USD", "2", NULL, 0, "0.025", "0.000", "0.025");
	expect_quote("EUR", "1000", NULL, 0, "11.600", "0.000", "11.600");
	expect_quote("EUR", "10000", NULL, 0, "103.400", "0.000", "103.400");
	expect_quote("GBP", "100000", NULL, 0, "763.200", "0.000", "763.200");
	expect_quote("JPY", "100000", NULL, 0, "142430.000", "0.000", "142430.000");
	ck_assert_int_eq(costd_unit_price(COSTD_USD, 1), 125);
	ck_assert_int_eq(costd_unit_price(COSTD_USD, 4), 80);
	ck_assert_int_eq(costd_unit_price(COSTD_JPY, 2), 16200);
	ck_assert_int_eq(costd_unit_price(COSTD_GBP, 3), 75);
	ck_assert_int_eq(costd_unit_price(COSTD_EUR, 4), 74);
}
END_TEST

START_TEST(test_boundaries)
{
	expect_quote("USD", "999.9999", NULL, 0, "12.500", "0.000", "12.500");
	expect_quote("USD", "1000", NULL, 0, "12.500", "0.000", "12.500");
	expect_quote("USD", "1000.0001", NULL, 0, "12.500", "0.000", "12.500");
	expect_quote("USD", "10000", NULL, 0, "111.500", "0.000", "111.500");
	expect_quote("USD", "100000", NULL, 0, "966.500", "0.000", "966.500");
}
END_TEST

START_TEST(test_graduated_lines)
{
	struct costd_quote q;

	ck_assert_int_eq(costd_quote_compute(&q, COSTD_USD, 2500000000, 0, 0), 0); /* 250000 */
	ck_assert_int_eq(q.ntiers, 4);
	ck_assert_int_eq(q.tiers[0].quantity, 1000 * COSTD_QTY_SCALE);
	ck_assert_int_eq(q.tiers[1].quantity, 9000 * COSTD_QTY_SCALE);
	ck_assert_int_eq(q.tiers[2].quantity, 90000 * COSTD_QTY_SCALE);
	ck_assert_int_eq(q.tiers[3].quantity, 150000 * COSTD_QTY_SCALE);
	ck_assert(q.tiers[3].amount == (costd_i128)1200 * COSTD_AMOUNT_SCALE);
	ck_assert_int_eq(q.list_cost, 2166500);

	/* exactly on a boundary: no empty line for the next tier */
	ck_assert_int_eq(costd_quote_compute(&q, COSTD_USD, 1000 * COSTD_QTY_SCALE, 0, 0), 0);
	ck_assert_int_eq(q.ntiers, 1);
	ck_assert_int_eq(costd_quote_compute(&q, COSTD_USD, 0, 0, 0), 0);
	ck_assert_int_eq(q.ntiers, 0);
	ck_assert_int_eq(q.cost, 0);
}
END_TEST

START_TEST(test_discounts)
{
	/* list 12.5055; savings 1.5631875; cost 10.9423125: cost + savings != list_cost */
	expect_quote("USD", "1000.5", "12.5", 0, "12.506", "1.563", "10.942");
	expect_quote("EUR", "12345.6789", "7.25", 0, "124.042", "8.993", "115.049");
	expect_quote("USD", "1", "100", 0, "0.012", "0.012", "0.000");
	expect_quote("USD", "100", "0", 0, "1.250", "0.000", "1.250");
	expect_quote("USD", "100", "0.00", 0, "1.250", "0.000", "1.250");
}
END_TEST

START_TEST(test_half_even_ties)
{
	expect_quote("USD", "1", NULL, 0, "0.012", "0.000", "0.012");     /* 0.0125 */
	expect_quote("USD", "5", NULL, 0, "0.062", "0.000", "0.062");     /* 0.0625 */
	expect_quote("USD", "3", NULL, 0, "0.038", "0.000", "0.038");     /* 0.0375 */
	expect_quote("USD", "100", "10.6", 0, "1.250", "0.132", "1.118"); /* 0.1325, 1.1175 */
	/* near ties: the digits after the first discarded one decide */
	expect_quote("USD", "1.0001", NULL, 0, "0.013", "0.000", "0.013"); /* 0.01250125 */
	expect_quote("USD", "0.9999", NULL, 0, "0.012", "0.000", "0.012"); /* 0.01249875 */
	ck_assert_int_eq(costd_round(1250001, 100000000, 1000, 0), 13);
	ck_assert_int_eq(costd_round(1250000, 100000000, 1000, 0), 12);
	ck_assert_int_eq(costd_round(1249999, 100000000, 1000, 0), 12);
}
END_TEST

START_TEST(test_half_up_fault)
{
	const unsigned f = COSTD_FAULT_ROUND_HALF_UP;

	expect_quote("USD", "1", NULL, f, "0.013", "0.000", "0.013");
	expect_quote("USD", "5", NULL, f, "0.063", "0.000", "0.063");
	expect_quote("USD", "100", "10.6", f, "1.250", "0.133", "1.118");
	/* non-ties are unaffected */
	expect_quote("USD", "3", NULL, f, "0.038", "0.000", "0.038");
	expect_quote("USD", "0.9999", NULL, f, "0.012", "0.000", "0.012");
	expect_quote("EUR", "12345.6789", "7.25", f, "124.042", "8.993", "115.049");
}
END_TEST

START_TEST(test_tier_boundary_fault)
{
	const unsigned f = COSTD_FAULT_TIER_BOUNDARY;

	/* on a boundary: the whole quantity at the next tier's price */
	expect_quote("USD", "1000", NULL, f, "11.000", "0.000", "11.000");
	expect_quote("USD", "1000.0000", NULL, f, "11.000", "0.000", "11.000");
	expect_quote("USD", "10000", NULL, f, "95.000", "0.000", "95.000");
	expect_quote("USD", "100000", NULL, f, "800.000", "0.000", "800.000");
	expect_quote("JPY", "100000", NULL, f, "118000.000", "0.000", "118000.000");
	expect_quote("EUR", "1000", NULL, f, "10.200", "0.000", "10.200");
	/* anywhere else: right */
	expect_quote("USD", "999.9999", NULL, f, "12.500", "0.000", "12.500");
	expect_quote("USD", "1000.0001", NULL, f, "12.500", "0.000", "12.500");
	expect_quote("USD", "10000.0001", NULL, f, "111.500", "0.000", "111.500");
	expect_quote("USD", "250000", NULL, f, "2166.500", "0.000", "2166.500");
	expect_quote("USD", "1", NULL, f, "0.012", "0.000", "0.012");
}
END_TEST

START_TEST(test_rejects)
{
	expect_reject("USD", "-1", NULL, "quantity", "quantity must not be negative");
	expect_reject("USD", "1.00001", NULL, "quantity",
	              "quantity has more than 4 fraction digits");
	expect_reject("USD", "1000000000000", NULL, "quantity",
	              "quantity has more than 12 integer digits");
	expect_reject("USD", "", NULL, "quantity", "quantity is not a plain decimal number");
	expect_reject("USD", "1e3", NULL, "quantity", "quantity is not a plain decimal number");
	expect_reject("USD", "1.", NULL, "quantity", "quantity is not a plain decimal number");
	expect_reject("USD", ".5", NULL, "quantity", "quantity is not a plain decimal number");
	expect_reject("USD", "+1", NULL, "quantity", "quantity is not a plain decimal number");
	expect_reject("USD", " 1", NULL, "quantity", "quantity is not a plain decimal number");
	expect_reject("USD", "1,5", NULL, "quantity", "quantity is not a plain decimal number");
	expect_reject("usd", "1", NULL, "currency", "currency must be one of USD, EUR, GBP, JPY");
	expect_reject("CHF", "1", NULL, "currency", "currency must be one of USD, EUR, GBP, JPY");
	expect_reject("USD", "1", "100.01", "discount_pct",
	              "discount_pct must be between 0 and 100");
	expect_reject("USD", "1", "12.345", "discount_pct",
	              "discount_pct has more than 2 fraction digits");
	expect_reject("USD", "1", "-5", "discount_pct", "discount_pct must not be negative");
}
END_TEST

/* Run the JSON layer and return the response body (caller frees). */
static char *quote_json(const char *body, unsigned faults, int *status)
{
	char *out = NULL;

	ck_assert_int_eq(costd_quote_json(&out, status, body, strlen(body), faults), 0);
	ck_assert_ptr_nonnull(out);
	return out;
}

START_TEST(test_json_rejects)
{
	int status = 0;
	char *out;

	out = quote_json("{\"record_id\":\"r-1\",\"currency\":\"USD\",\"quantity\":1000.5}", 0,
	                 &status);
	ck_assert_int_eq(status, 400);
	ck_assert_str_eq(
	        out, "{\"error\":\"quantity must be a decimal string\",\"field\":\"quantity\"}");
	free(out);

	out = quote_json("{\"record_id\":\"r-1\",\"currency\":\"USD\"}", 0, &status);
	ck_assert_int_eq(status, 400);
	ck_assert_str_eq(out, "{\"error\":\"quantity is required\",\"field\":\"quantity\"}");
	free(out);

	out = quote_json("{\"record_id\":\"r-1\",\"currency\":\"USD\",\"quantity\":\"1\","
	                 "\"discount_pct\":5}",
	                 0, &status);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(out, "\"field\":\"discount_pct\""));
	free(out);

	out = quote_json("{\"currency\":\"USD\",\"quantity\":\"1\"}", 0, &status);
	ck_assert_int_eq(status, 400);
	ck_assert_ptr_nonnull(strstr(out, "\"field\":\"record_id\""));
	free(out);

	out = quote_json("{\"record_id\":", 0, &status);
	ck_assert_int_eq(status, 400);
	ck_assert_str_eq(out, "{\"error\":\"invalid JSON\"}");
	free(out);

	out = quote_json("[1,2]", 0, &status);
	ck_assert_int_eq(status, 400);
	ck_assert_str_eq(out, "{\"error\":\"body must be a JSON object\"}");
	free(out);
}
END_TEST

START_TEST(test_json_quote)
{
	int status = 0;
	char *out = quote_json("{\"record_id\":\"r-000001\",\"account\":\"acct-7f3a\","
	                       "\"currency\":\"USD\",\"service\":\"compute\","
	                       "\"quantity\":\"1000.5\",\"discount_pct\":\"12.5\"}",
	                       0, &status);

	ck_assert_int_eq(status, 200);
	ck_assert_str_eq(out,
	                 "{\"record_id\":\"r-000001\",\"account\":\"acct-7f3a\","
	                 "\"service\":\"compute\",\"currency\":\"USD\","
	                 "\"quantity\":\"1000.5\",\"discount_pct\":\"12.5\","
	                 "\"list_cost\":\"12.506\",\"savings\":\"1.563\",\"cost\":\"10.942\","
	                 "\"tiers\":[{\"tier\":1,\"quantity\":\"1000\",\"unit_price\":\"0.0125\","
	                 "\"amount\":\"12.50000000\"},{\"tier\":2,\"quantity\":\"0.5\","
	                 "\"unit_price\":\"0.0110\",\"amount\":\"0.00550000\"}]}");
	free(out);
}
END_TEST

START_TEST(test_large_quantities)
{
	/* 12 integer digits times the largest price needs more than 64 bits at 10^8 */
	expect_quote("JPY", "999999999999.9999", NULL, 0, "1180000024430.000", "0.000",
	             "1180000024430.000");
	expect_quote("JPY", "999999999999.9999", "33.33", 0, "1180000024430.000",
	             "393294008142.519", "786706016287.481");
	expect_quote("JPY", "999999999999.9999", "100", 0, "1180000024430.000", "1180000024430.000",
	             "0.000");
	expect_quote("JPY", "0.0005", NULL, 0, "0.001", "0.000", "0.001"); /* 0.000925 */
	expect_quote("USD", "000000000000001", NULL, 0, "0.012", "0.000", "0.012");
}
END_TEST

START_TEST(test_format)
{
	char buf[16];

	ck_assert_int_eq(costd_format(buf, sizeof(buf), 0, 3), 0);
	ck_assert_str_eq(buf, "0.000");
	ck_assert_int_eq(costd_format(buf, sizeof(buf), 5, 3), 0);
	ck_assert_str_eq(buf, "0.005");
	ck_assert_int_eq(costd_format(buf, sizeof(buf), 12345, 0), 0);
	ck_assert_str_eq(buf, "12345");
	ck_assert_int_eq(costd_format(buf, 5, 12345, 3), -1);
	ck_assert_int_eq(costd_format(buf, 7, 12345, 3), 0);
	ck_assert_str_eq(buf, "12.345");
}
END_TEST

Suite *costd_suite(void)
{
	Suite *s = suite_create("costd");
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, test_each_tier_price);
	tcase_add_test(tc, test_boundaries);
	tcase_add_test(tc, test_graduated_lines);
	tcase_add_test(tc, test_discounts);
	tcase_add_test(tc, test_half_even_ties);
	tcase_add_test(tc, test_half_up_fault);
	tcase_add_test(tc, test_tier_boundary_fault);
	tcase_add_test(tc, test_rejects);
	tcase_add_test(tc, test_json_rejects);
	tcase_add_test(tc, test_json_quote);
	tcase_add_test(tc, test_large_quantities);
	tcase_add_test(tc, test_format);
	suite_add_tcase(s, tc);
	return s;
}
