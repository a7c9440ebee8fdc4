/* Builds through the API the tree of api-tree.dump and writes its image:
 *   test-write IMAGE   writes IMAGE, prints "DIGEST VERSION"
 * The test script compares both with mkcomposefs --from-file api-tree.dump.
 * Also checks lcfs_write_to's errors on invalid trees and options. */
#include <libcomposefs/lcfs-writer.h>

#include <sys/sysmacros.h>

#include "check.h"

static struct lcfs_node_s *add(struct lcfs_node_s *dir, const char *name, uint32_t mode,
			       int64_t mtime)
{
	struct lcfs_node_s *n = lcfs_node_new();
	struct timespec ts = { mtime, 0 };
	lcfs_node_set_mode(n, mode);
	lcfs_node_set_mtime(n, &ts);
	if (dir && lcfs_node_add_child(dir, n, name) < 0) {
		perror("add_child");
		exit(1);
	}
	return n;
}

static struct lcfs_node_s *build_tree(void)
{
	struct lcfs_node_s *root = add(NULL, NULL, S_IFDIR | 0755, 1700000000);
	struct timespec ts = { 1700000000, 500000000 };
	uint8_t digest[LCFS_DIGEST_SIZE];
	const char *hex = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";

	lcfs_node_set_mtime(root, &ts);
	lcfs_node_set_xattr(root, "user.root", "1", 1);
	lcfs_node_set_xattr(root, "trusted.overlay.opaque", "x", 1);

	/* children are added out of order, and before their mode is final */
	struct lcfs_node_s *empty = add(root, "empty", 0, 1700000000);
	struct lcfs_node_s *data = add(root, "data", S_IFREG | 0644, 1700000001);
	struct lcfs_node_s *dir = add(root, "dir", S_IFDIR | 0700, 1600000000);
	lcfs_node_set_mode(empty, S_IFREG | 0644);

	lcfs_node_set_uid(data, 1000);
	lcfs_node_set_gid(data, 1000);
	lcfs_node_set_size(data, 4096);
	lcfs_node_set_payload(data, "ab/cdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");
	for (int i = 0; i < LCFS_DIGEST_SIZE; i++)
		sscanf(hex + 2 * i, "%2hhx", &digest[i]);
	lcfs_node_set_fsverity_digest(data, digest);
	lcfs_node_set_xattr(data, "user.b", "2", 1);
	lcfs_node_set_xattr(data, "user.a", "1", 1);

	struct lcfs_node_s *hard = lcfs_node_new();
	lcfs_node_make_hardlink(hard, data); /* nlink 1 -> 2 */
	lcfs_node_add_child(root, hard, "hard");

	lcfs_node_set_xattr(dir, "system.posix_acl_default", "\x02\0\0\0", 4);
	struct lcfs_node_s *whiteout = add(dir, "whiteout", S_IFCHR, 1700000000);
	(void)whiteout;
	struct lcfs_node_s *link = add(dir, "link", S_IFLNK | 0777, 1700000000);
	lcfs_node_set_symlink_payload(link, "/target");
	struct lcfs_node_s *inl = add(dir, "inline", S_IFREG | 0600, 1700000000);
	lcfs_node_set_content(inl, (const uint8_t *)"hello", 5);
	add(dir, "fifo", S_IFIFO | 0644, 1700000000);
	struct lcfs_node_s *dev = add(dir, "dev", S_IFCHR | 0644, 1700000000);
	lcfs_node_set_rdev64(dev, makedev(8, 1));
	return root;
}

static void test_write_errors(void)
{
	struct lcfs_write_options_s opts = { 0 };
	struct lcfs_node_s *root = add(NULL, NULL, S_IFDIR | 0755, 0);
	struct lcfs_node_s *file = add(root, "file", S_IFREG | 0644, 0);
	uint8_t digest[LCFS_DIGEST_SIZE];

	opts.digest_out = digest;
	CHECK(lcfs_write_to(root, &opts) == 0);

	opts.flags = 1;
	CHECK_FAILS(lcfs_write_to(root, &opts), EINVAL);
	opts.flags = 0;
	opts.version = 2;
	CHECK_FAILS(lcfs_write_to(root, &opts), EINVAL);
	opts.version = 0;
	opts.max_version = 2;
	CHECK_FAILS(lcfs_write_to(root, &opts), EINVAL);
	opts.max_version = 0;
	opts.format = 7;
	CHECK_FAILS(lcfs_write_to(root, &opts), EINVAL);
	opts.format = LCFS_FORMAT_EROFS;

	/* validation happens at write time */
	lcfs_node_set_mode(file, 0644); /* no file type */
	CHECK_FAILS(lcfs_write_to(root, &opts), EINVAL);
	lcfs_node_set_mode(file, S_IFREG | 0644);

	lcfs_node_set_size(file, (uint64_t)1 << 60); /* more chunks than the format allows */
	CHECK_FAILS(lcfs_write_to(root, &opts), EFBIG);
	lcfs_node_set_size(file, 0);

	struct lcfs_node_s *sub = add(root, "sub", S_IFDIR | 0755, 0);
	add(sub, "child", S_IFREG | 0644, 0);
	/* children of a non-directory: EINVAL (C 1.0.8 reports ENOMEM, as its
	 * internal copy of the tree fails) */
	lcfs_node_set_mode(sub, S_IFREG | 0644);
	errno = 0;
	CHECK(lcfs_write_to(root, &opts) == -1 && (errno == EINVAL || errno == ENOMEM));
	lcfs_node_set_mode(sub, S_IFDIR | 0755);

	/* a hardlink to a node outside the tree */
	struct lcfs_node_s *outside = add(NULL, NULL, S_IFREG | 0644, 0);
	struct lcfs_node_s *link = lcfs_node_new();
	lcfs_node_make_hardlink(link, outside);
	lcfs_node_add_child(root, link, "link");
	CHECK_FAILS(lcfs_write_to(root, &opts), EINVAL);
	lcfs_node_unref(outside);

	/* a hardlink cycle */
	{
		struct lcfs_node_s *r2 = add(NULL, NULL, S_IFDIR | 0755, 0);
		struct lcfs_node_s *a = lcfs_node_new(), *b = lcfs_node_new();
		struct lcfs_node_s *c = add(r2, "c", S_IFREG | 0644, 0);
		lcfs_node_make_hardlink(a, b);
		lcfs_node_make_hardlink(b, a);
		lcfs_node_add_child(r2, a, "a");
		lcfs_node_add_child(r2, b, "b");
		CHECK_FAILS(lcfs_write_to(r2, &opts), ELOOP);
		lcfs_node_make_hardlink(b, c); /* breaks the cycle: b -> c */
		CHECK(lcfs_write_to(r2, &opts) == 0);
		lcfs_node_unref(r2);
	}

	/* a subtree can be written on its own */
	CHECK(lcfs_write_to(sub, &opts) == 0);
	lcfs_node_unref(root);

	/* a whiteout raises the version up to max_version, and says so */
	root = add(NULL, NULL, S_IFDIR | 0755, 0);
	add(root, "wh", S_IFCHR, 0);
	memset(&opts, 0, sizeof(opts));
	CHECK(lcfs_write_to(root, &opts) == 0 && opts.version == 0);
	opts.max_version = 1;
	CHECK(lcfs_write_to(root, &opts) == 0 && opts.version == 1);
	lcfs_node_unref(root);
}

static ssize_t failing_write(void *file, void *buf, size_t count)
{
	(void)file, (void)buf, (void)count;
	errno = ENOSPC;
	return -1;
}

int main(int argc, char **argv)
{
	struct lcfs_write_options_s opts = { 0 };
	uint8_t digest[LCFS_DIGEST_SIZE], digest_only[LCFS_DIGEST_SIZE];
	char hex[2 * LCFS_DIGEST_SIZE + 1];
	struct lcfs_node_s *root = build_tree();
	FILE *out;

	if (argc != 2) {
		fprintf(stderr, "usage: test-write IMAGE\n");
		return 2;
	}
	out = fopen(argv[1], "we");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	opts.file = out;
	opts.file_write_cb = write_to_stdio;
	opts.digest_out = digest;
	opts.version = LCFS_DEFAULT_VERSION_MIN;
	opts.max_version = LCFS_DEFAULT_VERSION_MAX;
	CHECK(lcfs_write_to(root, &opts) == 0);
	CHECK(fclose(out) == 0);
	CHECK(opts.version == 1); /* the whiteout needs version 1 */
	to_hex(digest, sizeof(digest), hex);
	printf("%s %u\n", hex, opts.version);

	/* no callback: the digest alone */
	memset(&opts, 0, sizeof(opts));
	opts.digest_out = digest_only;
	opts.max_version = 1;
	CHECK(lcfs_write_to(root, &opts) == 0);
	CHECK(memcmp(digest, digest_only, sizeof(digest)) == 0);

	/* the callback's errno comes back */
	opts.file_write_cb = failing_write;
	CHECK_FAILS(lcfs_write_to(root, &opts), ENOSPC);
	lcfs_node_unref(root);

	test_write_errors();
	return check_done("test-write");
}
