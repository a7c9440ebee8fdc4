/* Where composefs-cpp's libcomposefs is stricter than composefs-c 1.0.8 (which
 * crashes, aborts or writes a corrupt image on these): NULL arguments fail
 * with EINVAL, and names that cannot be directory entries fail at write time. */
#include <libcomposefs/lcfs-mount.h>
#include <libcomposefs/lcfs-writer.h>

#include <fcntl.h>

#include "check.h"

static int write_tree(struct lcfs_node_s *root)
{
	struct lcfs_write_options_s opts = { 0 };
	return lcfs_write_to(root, &opts);
}

static void test_bad_names(void)
{
	const char *bad[] = { ".", "..", "a/b" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lcfs_node_s *root = lcfs_node_new(), *child = lcfs_node_new();
		lcfs_node_set_mode(root, S_IFDIR | 0755);
		lcfs_node_set_mode(child, S_IFREG | 0644);
		CHECK(lcfs_node_add_child(root, child, bad[i]) == 0); /* accepted, as in C */
		CHECK_FAILS(write_tree(root), EINVAL);
		lcfs_node_unref(root);
	}
}

static void test_null_arguments(void)
{
	struct lcfs_node_s *n = lcfs_node_new();
	uint8_t digest[LCFS_DIGEST_SIZE];
	struct lcfs_write_options_s opts = { 0 };

	CHECK_FAILS(lcfs_write_to(NULL, &opts), EINVAL);
	CHECK_FAILS(lcfs_write_to(n, NULL), EINVAL);
	CHECK_FAILS(lcfs_node_add_child(NULL, n, "x"), EINVAL);
	CHECK_FAILS(lcfs_node_add_child(n, NULL, "x"), EINVAL);
	CHECK_FAILS(lcfs_node_set_xattr(NULL, "user.a", "", 0), EINVAL);
	CHECK_FAILS(lcfs_node_set_xattr(n, NULL, "", 0), EINVAL);
	CHECK_FAILS(lcfs_node_set_xattr(n, "user.a", NULL, 3), EINVAL);
	CHECK_FAILS(lcfs_node_unset_xattr(NULL, "user.a"), EINVAL);
	CHECK_FAILS(lcfs_node_set_payload(NULL, "x"), EINVAL);
	CHECK_FAILS(lcfs_node_set_content(NULL, NULL, 0), EINVAL);
	CHECK_FAILS(lcfs_node_try_set_mode(NULL, S_IFREG), EINVAL);
	CHECK_FAILS(lcfs_compute_fsverity_from_data(NULL, NULL, 0), EINVAL);
	CHECK_FAILS(lcfs_compute_fsverity_from_content(digest, NULL, NULL), EINVAL);
	CHECK_FAILS(lcfs_mount_image(NULL, "/mnt", NULL), EINVAL);
	CHECK_NULL(lcfs_node_clone(NULL), EINVAL);
	CHECK_NULL(lcfs_node_clone_deep(NULL), EINVAL);
	CHECK_NULL(lcfs_load_node_from_image(NULL, 0), EINVAL);
	CHECK_NULL(lcfs_load_node_from_file(AT_FDCWD, NULL, 0), EINVAL);
	CHECK_NULL(lcfs_build(AT_FDCWD, NULL, 0, NULL), EINVAL);
	CHECK(lcfs_node_get_name(NULL) == NULL);
	CHECK(lcfs_node_get_n_children(NULL) == 0);
	CHECK(lcfs_node_get_mode(NULL) == 0);
	lcfs_node_unref(NULL);
	CHECK(lcfs_node_ref(NULL) == NULL);

	/* C asserts; we refuse a symlink target on a node that is no symlink */
	lcfs_node_set_mode(n, S_IFREG | 0644);
	CHECK_FAILS(lcfs_node_set_symlink_payload(n, "target"), EINVAL);
	/* a node cannot be its own child or hardlink */
	lcfs_node_set_mode(n, S_IFDIR | 0755);
	CHECK_FAILS(lcfs_node_add_child(n, n, "self"), EINVAL);
	lcfs_node_make_hardlink(n, n);
	CHECK(lcfs_node_get_hardlink_target(n) == NULL);
	lcfs_node_unref(n);
}

int main(void)
{
	test_bad_names();
	test_null_arguments();
	return check_done("test-strict");
}
