/* Redaction: every registered form of every secret disappears from output. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_suites.h"
#include "digest.h"
#include "redact.h"

static void teardown(void)
{
	gl_redact_reset();
}

/* Redact text and compare with the expected output. */
static void assert_redacts(const char *text, const char *expected)
{
	char *got = gl_redact(text);
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, expected);
	free(got);
}

START_TEST(test_no_secret_unchanged)
{
	assert_redacts("nothing to hide here", "nothing to hide here");
	assert_redacts("", "");
	ck_assert_ptr_null(gl_redact(NULL));
	ck_assert_int_eq(gl_redact_add("hunter2"), 0);
	assert_redacts("no secret in this line", "no secret in this line");
}
END_TEST

START_TEST(test_raw)
{
	ck_assert_int_eq(gl_redact_add("s3cr3t-T0ken"), 0);
	assert_redacts("token=s3cr3t-T0ken;", "token=***;");
}
END_TEST

START_TEST(test_several_occurrences)
{
	ck_assert_int_eq(gl_redact_add("pw"), 0);
	assert_redacts("pw a pw b pw", "*** a *** b ***");
}
END_TEST

START_TEST(test_empty_ignored)
{
	ck_assert_int_eq(gl_redact_add(""), 0);
	ck_assert_int_eq(gl_redact_add(NULL), 0);
	assert_redacts("abc", "abc");
}
END_TEST

START_TEST(test_base64)
{
	/* "Aladdin:open sesame" is RFC 7617's example. */
	ck_assert_int_eq(gl_redact_add("Aladdin:open sesame"), 0);
	assert_redacts("Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
	               "Authorization: Basic ***");
	/* "hunter22" encodes to "aHVudGVyMjI=": with and without padding. */
	ck_assert_int_eq(gl_redact_add("hunter22"), 0);
	assert_redacts("x aHVudGVyMjI= y", "x *** y");
	assert_redacts("x aHVudGVyMjI y", "x *** y");
}
END_TEST

START_TEST(test_base64_embedded)
{
	/* Only the password is registered; it is base64'd inside "user:...",
	 * at an offset that does not start a 3-byte group. */
	ck_assert_int_eq(gl_redact_add("correct-horse-battery"), 0);
	/* base64("bob:correct-horse-battery"): the secret starts one byte into
	 * a group. */
	char *got = gl_redact("Basic Ym9iOmNvcnJlY3QtaG9yc2UtYmF0dGVyeQ==");
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(strstr(got, "***"));
	ck_assert_ptr_null(strstr(got, "Y3QtaG9yc2UtYmF0dGVy"));
	free(got);
	/* base64("ab:correct-horse-battery!"): group-aligned, followed by more
	 * data, so the padded and unpadded forms do not match. */
	got = gl_redact("Basic YWI6Y29ycmVjdC1ob3JzZS1iYXR0ZXJ5IQ==");
	ck_assert_ptr_nonnull(got);
	ck_assert_ptr_nonnull(strstr(got, "***"));
	ck_assert_ptr_null(strstr(got, "Y29ycmVjdC1ob3JzZS1iYXR0"));
	free(got);
}
END_TEST

START_TEST(test_url)
{
	ck_assert_int_eq(gl_redact_add("a/b c+d"), 0);
	assert_redacts("?p=a%2Fb%20c%2Bd&q=1", "?p=***&q=1");
	assert_redacts("?p=a%2fb%20c%2bd&q=1", "?p=***&q=1");
	assert_redacts("p=a%2Fb+c%2Bd", "p=***");
}
END_TEST

START_TEST(test_json)
{
	ck_assert_int_eq(gl_redact_add("x\"y\\z/\n\x01"), 0);
	assert_redacts("{\"k\":\"x\\\"y\\\\z/\\n\\u0001\"}", "{\"k\":\"***\"}");
	assert_redacts("{\"k\":\"x\\\"y\\\\z\\/\\n\\u0001\"}", "{\"k\":\"***\"}");
}
END_TEST

START_TEST(test_json_non_ascii)
{
	ck_assert_int_eq(gl_redact_add("p\xC3\xA4ss"), 0);
	assert_redacts("{\"k\":\"p\\u00e4ss\"}", "{\"k\":\"***\"}");
}
END_TEST

/* A request body echoed back inside a JSON string is escaped twice. */
START_TEST(test_json_in_json)
{
	ck_assert_int_eq(gl_redact_add("a\"b\\c"), 0);
	assert_redacts("{\"body\": \"{\\\"password\\\": \\\"a\\\\\\\"b\\\\\\\\c\\\"}\"}",
	               "{\"body\": \"{\\\"password\\\": \\\"***\\\"}\"}");
}
END_TEST

/* An excerpt is redacted before it is cut: a secret across the cut is hidden
 * whole, not shown in part. */
START_TEST(test_head)
{
	const char *text = "abc s3cr3t-value def";
	size_t len = 0;

	ck_assert_int_eq(gl_redact_add("s3cr3t-value"), 0);
	char *got = gl_redact_head(text, strlen(text), 8, &len);
	ck_assert_str_eq(got, "abc ***");
	ck_assert_uint_eq(len, 7);
	free(got);
	got = gl_redact_head(text, strlen(text), 4, &len);
	ck_assert_str_eq(got, "abc ");
	free(got);
	got = gl_redact_head(text, strlen(text), 18, &len);
	ck_assert_str_eq(got, "abc *** d");
	free(got);
	got = gl_redact_head(text, strlen(text), 100, &len);
	ck_assert_str_eq(got, "abc *** def");
	free(got);
}
END_TEST

START_TEST(test_xml)
{
	ck_assert_int_eq(gl_redact_add("a&b<c>d\"e'f"), 0);
	assert_redacts("<v>a&amp;b&lt;c&gt;d&quot;e&apos;f</v>", "<v>***</v>");
	assert_redacts("<v>a&amp;b&lt;c&gt;d\"e'f</v>", "<v>***</v>");
}
END_TEST

START_TEST(test_overlapping)
{
	/* One secret contains another: replaced whole, not as "***-suffix". */
	ck_assert_int_eq(gl_redact_add("abc"), 0);
	ck_assert_int_eq(gl_redact_add("abcdef"), 0);
	assert_redacts("[abcdef] [abc]", "[***] [***]");
	/* Two secrets overlapping in the text: no piece of either is left. */
	gl_redact_reset();
	ck_assert_int_eq(gl_redact_add("12345"), 0);
	ck_assert_int_eq(gl_redact_add("45678"), 0);
	assert_redacts("x12345678y", "x***y");
	/* A secret overlapping itself. */
	gl_redact_reset();
	ck_assert_int_eq(gl_redact_add("aaa"), 0);
	assert_redacts("-aaaaa-", "-***-");
}
END_TEST

START_TEST(test_mem_binary)
{
	ck_assert_int_eq(gl_redact_add("key"), 0);
	const char in[] = "a\0key\0b";
	size_t out_len = 0;
	char *got = gl_redact_mem(in, sizeof(in) - 1, &out_len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(out_len, 7);
	ck_assert_mem_eq(got, "a\0***\0b", 7);
	free(got);
}
END_TEST

START_TEST(test_reset)
{
	ck_assert_int_eq(gl_redact_add("forget-me"), 0);
	assert_redacts("forget-me", "***");
	gl_redact_reset();
	assert_redacts("forget-me", "forget-me");
}
END_TEST

START_TEST(test_large_text)
{
	size_t len = 4 * 1024 * 1024;
	char *big = malloc(len + 1);
	ck_assert_ptr_nonnull(big);
	for (size_t i = 0; i < len; i++)
		big[i] = (char)('a' + i % 26);
	memcpy(big + len / 2, "tok-123456", 10);
	big[len] = '\0';
	ck_assert_int_eq(gl_redact_add("tok-123456"), 0);
	ck_assert_int_eq(gl_redact_add("another-secret"), 0);
	size_t out_len = 0;
	char *got = gl_redact_mem(big, len, &out_len);
	ck_assert_ptr_nonnull(got);
	ck_assert_uint_eq(out_len, len - 10 + 3);
	ck_assert_ptr_null(strstr(got, "tok-123456"));
	ck_assert_mem_eq(got + len / 2, "***", 3);
	free(got);
	free(big);
}
END_TEST

START_TEST(test_header_sensitive)
{
	ck_assert_int_eq(gl_redact_header_is_sensitive("Authorization"), 1);
	ck_assert_int_eq(gl_redact_header_is_sensitive("authorization"), 1);
	ck_assert_int_eq(gl_redact_header_is_sensitive("PROXY-AUTHORIZATION"), 1);
	ck_assert_int_eq(gl_redact_header_is_sensitive("cookie"), 1);
	ck_assert_int_eq(gl_redact_header_is_sensitive("Set-Cookie"), 1);
	ck_assert_int_eq(gl_redact_header_is_sensitive("Content-Type"), 0);
	ck_assert_int_eq(gl_redact_header_is_sensitive("X-Authorization-Hint"), 0);
	ck_assert_int_eq(gl_redact_header_is_sensitive(NULL), 0);
}
END_TEST

/* digest.c has no suite of its own in tests/check_suites.h; it is tested here
 * with the other output-side module. */
START_TEST(test_digest)
{
	char d[GL_DIGEST_LEN];
	gl_digest_sha256(d, "abc", 3);
	ck_assert_str_eq(d,
	                 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	gl_digest_sha256(d, "", 0);
	ck_assert_str_eq(d,
	                 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

	char path[] = "/tmp/gl-digest-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *fp = fdopen(fd, "w");
	ck_assert_ptr_nonnull(fp);
	/* Larger than one 64 KiB read, to cover the streaming path. */
	char *data = malloc(200000);
	ck_assert_ptr_nonnull(data);
	for (size_t i = 0; i < 200000; i++)
		data[i] = (char)(i * 7);
	ck_assert_uint_eq(fwrite(data, 1, 200000, fp), 200000);
	ck_assert_int_eq(fclose(fp), 0);
	char whole[GL_DIGEST_LEN];
	gl_digest_sha256(whole, data, 200000);
	ck_assert_int_eq(gl_digest_sha256_file(d, path), 0);
	ck_assert_str_eq(d, whole);
	unlink(path);
	free(data);
	ck_assert_int_eq(gl_digest_sha256_file(d, "/nonexistent/gl-digest"), -1);
}
END_TEST

Suite *redact_suite(void)
{
	Suite *s = suite_create("redact");
	TCase *tc = tcase_create("redact");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_no_secret_unchanged);
	tcase_add_test(tc, test_raw);
	tcase_add_test(tc, test_several_occurrences);
	tcase_add_test(tc, test_empty_ignored);
	tcase_add_test(tc, test_base64);
	tcase_add_test(tc, test_base64_embedded);
	tcase_add_test(tc, test_url);
	tcase_add_test(tc, test_json);
	tcase_add_test(tc, test_json_non_ascii);
	tcase_add_test(tc, test_json_in_json);
	tcase_add_test(tc, test_head);
	tcase_add_test(tc, test_xml);
	tcase_add_test(tc, test_overlapping);
	tcase_add_test(tc, test_mem_binary);
	tcase_add_test(tc, test_reset);
	tcase_add_test(tc, test_large_text);
	tcase_add_test(tc, test_header_sensitive);
	tcase_add_test(tc, test_digest);
	suite_add_tcase(s, tc);
	return s;
}
