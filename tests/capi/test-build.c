/* Nodes from the filesystem:
 *   test-build DIR IMAGE   lcfs_build(DIR) as mkcomposefs does (digests, payloads
 *                          by digest, small files inlined), written to IMAGE;
 *                          prints the image digest
 * DIR must hold the files the script makes (see run-capi-tests.sh). */
#include <libcomposefs/lcfs-writer.h>

#include <fcntl.h>
#include <sys/xattr.h>

#include "check.h"

static int have_user_xattrs;

static void test_single_files(int dirfd)
{
	const int flags = LCFS_BUILD_COMPUTE_DIGEST | LCFS_BUILD_BY_DIGEST;
	struct lcfs_node_s *n;
	char *failed = NULL;

	/* 64 bytes: inlined, and still given a digest and payload */
	n = lcfs_load_node_from_file(dirfd, "f64", flags);
	CHECK(n != NULL && lcfs_node_get_content(n) != NULL && lcfs_node_get_size(n) == 64);
	CHECK(lcfs_node_get_fsverity_digest(n) != NULL && lcfs_node_get_payload(n) != NULL);
	CHECK(lcfs_node_get_nlink(n) == 1);
	lcfs_node_unref(n);

	/* 65 bytes: by digest only */
	n = lcfs_load_node_from_file(dirfd, "f65", flags);
	CHECK(n != NULL && lcfs_node_get_content(n) == NULL && lcfs_node_get_size(n) == 65);
	CHECK(strlen(lcfs_node_get_payload(n)) == 65 && lcfs_node_get_payload(n)[2] == '/');
	lcfs_node_unref(n);

	/* BY_DIGEST without COMPUTE_DIGEST: payload, no digest; NO_INLINE */
	n = lcfs_load_node_from_file(dirfd, "f64", LCFS_BUILD_BY_DIGEST | LCFS_BUILD_NO_INLINE);
	CHECK(n != NULL && lcfs_node_get_content(n) == NULL);
	CHECK(lcfs_node_get_fsverity_digest(n) == NULL && lcfs_node_get_payload(n) != NULL);
	lcfs_node_unref(n);

	/* USE_EPOCH, SKIP_XATTRS, USER_XATTRS */
	n = lcfs_load_node_from_file(dirfd, "f65", LCFS_BUILD_USE_EPOCH | LCFS_BUILD_SKIP_XATTRS);
	{
		struct timespec ts;
		lcfs_node_get_mtime(n, &ts);
		CHECK(ts.tv_sec == 0 && ts.tv_nsec == 0);
		CHECK(lcfs_node_get_n_xattr(n) == 0);
	}
	lcfs_node_unref(n);
	if (have_user_xattrs) {
		n = lcfs_load_node_from_file(dirfd, "f65", LCFS_BUILD_USER_XATTRS);
		CHECK(n != NULL && lcfs_node_get_xattr(n, "user.test", NULL) != NULL);
		lcfs_node_unref(n);
	}

	n = lcfs_load_node_from_file(dirfd, "link", 0);
	CHECK(n != NULL && strcmp(lcfs_node_get_payload(n), "f64") == 0);
	CHECK(lcfs_node_get_size(n) == 3);
	lcfs_node_unref(n);

	/* errors */
	CHECK_NULL(lcfs_load_node_from_file(dirfd, "f64", 1 << 12), EINVAL);
	CHECK_NULL(lcfs_load_node_from_file(dirfd, "f64", LCFS_BUILD_SKIP_XATTRS | LCFS_BUILD_USER_XATTRS),
		   EINVAL);
	CHECK_NULL(lcfs_load_node_from_file(dirfd, "missing", 0), ENOENT);
	CHECK_NULL(lcfs_build(dirfd, "missing", 0, &failed), ENOENT);
	CHECK(failed != NULL && strcmp(failed, "missing") == 0);
	free(failed);
}

int main(int argc, char **argv)
{
	struct lcfs_write_options_s opts = { 0 };
	uint8_t digest[LCFS_DIGEST_SIZE];
	char hex[2 * LCFS_DIGEST_SIZE + 1];
	char *failed = NULL;
	struct lcfs_node_s *root;
	int dirfd;
	FILE *out;

	if (argc != 3) {
		fprintf(stderr, "usage: test-build DIR IMAGE\n");
		return 2;
	}
	dirfd = open(argv[1], O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	CHECK(dirfd >= 0);
	{
		char path[4096];
		snprintf(path, sizeof(path), "%s/f65", argv[1]);
		have_user_xattrs = setxattr(path, "user.test", "hi", 2, 0) == 0;
		if (!have_user_xattrs)
			printf("test-build: no user xattrs on this filesystem (%s)\n", strerror(errno));
	}
	test_single_files(dirfd);

	root = lcfs_build(AT_FDCWD, argv[1], LCFS_BUILD_COMPUTE_DIGEST | LCFS_BUILD_BY_DIGEST, &failed);
	if (!root) {
		fprintf(stderr, "lcfs_build: %s: %s\n", failed, strerror(errno));
		return 1;
	}
	out = fopen(argv[2], "we");
	opts.file = out;
	opts.file_write_cb = write_to_stdio;
	opts.digest_out = digest;
	opts.max_version = LCFS_DEFAULT_VERSION_MAX;
	CHECK(lcfs_write_to(root, &opts) == 0);
	CHECK(fclose(out) == 0);
	lcfs_node_unref(root);
	to_hex(digest, sizeof(digest), hex);
	printf("%s\n", hex);
	close(dirfd);
	return check_done("test-build");
}
