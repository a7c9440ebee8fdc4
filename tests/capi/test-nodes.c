/* Every node getter and setter, reference counting, children, hardlinks,
 * xattrs and clones, with the return values and errno codes of composefs-c
 * 1.0.8 (this program passes against both libraries). */
#include <libcomposefs/lcfs-writer.h>

#include <sys/sysmacros.h>

#include "check.h"

static void test_defaults_and_fields(void)
{
	struct lcfs_node_s *n = lcfs_node_new();
	struct timespec ts = { 1234567890, 987654321 }, out = { 0, 0 };

	CHECK(n != NULL);
	CHECK(lcfs_node_get_mode(n) == 0);
	CHECK(lcfs_node_get_nlink(n) == 1);
	CHECK(lcfs_node_get_name(n) == NULL);
	CHECK(lcfs_node_get_parent(n) == NULL);
	CHECK(lcfs_node_get_payload(n) == NULL);
	CHECK(lcfs_node_get_content(n) == NULL);
	CHECK(lcfs_node_get_fsverity_digest(n) == NULL);
	CHECK(lcfs_node_get_hardlink_target(n) == NULL);
	CHECK(lcfs_node_get_n_children(n) == 0);
	CHECK(lcfs_node_get_n_xattr(n) == 0);
	CHECK(!lcfs_node_dirp(n));

	lcfs_node_set_mode(n, 0777); /* no type: stored, refused at write time */
	CHECK(lcfs_node_get_mode(n) == 0777);
	CHECK_FAILS(lcfs_node_try_set_mode(n, 0170644), EINVAL);
	CHECK(lcfs_node_get_mode(n) == 0777);
	CHECK(lcfs_node_try_set_mode(n, S_IFREG | 0644) == 0);
	CHECK(lcfs_node_get_mode(n) == (S_IFREG | 0644));

	lcfs_node_set_uid(n, 4000000000u);
	lcfs_node_set_gid(n, 7);
	lcfs_node_set_nlink(n, 3);
	CHECK(lcfs_node_get_uid(n) == 4000000000u);
	CHECK(lcfs_node_get_gid(n) == 7);
	CHECK(lcfs_node_get_nlink(n) == 3);

	lcfs_node_set_rdev64(n, makedev(8, 1));
	CHECK(lcfs_node_get_rdev64(n) == makedev(8, 1));
	lcfs_node_set_rdev64(n, 0x100000002ULL); /* kept in 32 bits */
	CHECK(lcfs_node_get_rdev64(n) == 2);
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
	lcfs_node_set_rdev(n, 5);
	CHECK(lcfs_node_get_rdev(n) == 5);
#pragma GCC diagnostic pop

	lcfs_node_set_mtime(n, &ts);
	lcfs_node_get_mtime(n, &out);
	CHECK(out.tv_sec == ts.tv_sec && out.tv_nsec == ts.tv_nsec);

	/* content sets the size; a new size drops the content */
	CHECK(lcfs_node_set_content(n, (const uint8_t *)"hello", 5) == 0);
	CHECK(lcfs_node_get_size(n) == 5);
	CHECK(memcmp(lcfs_node_get_content(n), "hello", 5) == 0);
	lcfs_node_set_size(n, 5);
	CHECK(lcfs_node_get_content(n) != NULL);
	lcfs_node_set_size(n, 6);
	CHECK(lcfs_node_get_content(n) == NULL);
	CHECK(lcfs_node_get_size(n) == 6);
	{
		static uint8_t big[LCFS_INLINE_CONTENT_MAX + 1];
		CHECK(lcfs_node_set_content(n, big, LCFS_INLINE_CONTENT_MAX) == 0);
		CHECK_FAILS(lcfs_node_set_content(n, big, sizeof(big)), EINVAL);
		CHECK(lcfs_node_set_content(n, NULL, 0) == 0);
		CHECK(lcfs_node_get_content(n) == NULL && lcfs_node_get_size(n) == 0);
	}

	/* payloads */
	CHECK(lcfs_node_set_payload(n, "ab/cdef") == 0);
	CHECK(strcmp(lcfs_node_get_payload(n), "ab/cdef") == 0);
	CHECK(lcfs_node_set_payload(n, NULL) == 0);
	CHECK(lcfs_node_get_payload(n) == NULL);
	{
		char long_path[4097];
		memset(long_path, 'a', 4096);
		long_path[4096] = '\0';
		CHECK_FAILS(lcfs_node_set_payload(n, long_path), ENAMETOOLONG);
		long_path[4095] = '\0';
		CHECK(lcfs_node_set_payload(n, long_path) == 0);
	}

	/* digests */
	{
		uint8_t digest[LCFS_DIGEST_SIZE];
		memset(digest, 0xab, sizeof(digest));
		lcfs_node_set_fsverity_digest(n, digest);
		CHECK(memcmp(lcfs_node_get_fsverity_digest(n), digest, sizeof(digest)) == 0);
	}
	lcfs_node_unref(n);

	/* symlinks: the size follows the target */
	n = lcfs_node_new();
	lcfs_node_set_mode(n, S_IFLNK | 0777);
	lcfs_node_set_size(n, 99);
	CHECK_FAILS(lcfs_node_set_symlink_payload(n, ""), EINVAL);
	CHECK_FAILS(lcfs_node_set_symlink_payload(n, NULL), EINVAL);
	CHECK(lcfs_node_set_symlink_payload(n, "/target") == 0);
	CHECK(lcfs_node_get_size(n) == 7);
	lcfs_node_unref(n);
}

static struct lcfs_node_s *new_node(uint32_t mode)
{
	struct lcfs_node_s *n = lcfs_node_new();
	lcfs_node_set_mode(n, mode);
	return n;
}

static void test_children(void)
{
	struct lcfs_node_s *root = new_node(S_IFDIR | 0755);
	struct lcfs_node_s *a = new_node(S_IFREG | 0644);
	struct lcfs_node_s *b = new_node(S_IFREG | 0644);
	struct lcfs_node_s *c = lcfs_node_new(); /* mode set later, as ostree does */
	struct lcfs_node_s *file = new_node(S_IFREG | 0644);
	char long_name[257];

	CHECK(lcfs_node_add_child(root, b, "b") == 0);
	CHECK(lcfs_node_add_child(root, c, "c") == 0);
	CHECK(lcfs_node_add_child(root, a, "a") == 0);
	lcfs_node_set_mode(c, S_IFDIR | 0700);
	CHECK(lcfs_node_get_n_children(root) == 3);
	CHECK(lcfs_node_get_child(root, 0) == a); /* kept sorted */
	CHECK(lcfs_node_get_child(root, 1) == b);
	CHECK(lcfs_node_get_child(root, 2) == c);
	CHECK(lcfs_node_get_child(root, 3) == NULL);
	CHECK(lcfs_node_lookup_child(root, "b") == b);
	CHECK(lcfs_node_lookup_child(root, "bb") == NULL);
	CHECK(strcmp(lcfs_node_get_name(b), "b") == 0);
	CHECK(lcfs_node_get_parent(b) == root);
	CHECK(lcfs_node_dirp(root));

	{
		struct lcfs_node_s *orphan = lcfs_node_new();
		CHECK_FAILS(lcfs_node_add_child(file, orphan, "x"), ENOTDIR);
		lcfs_node_unref(orphan);
	}
	CHECK_FAILS(lcfs_node_add_child(root, file, ""), EINVAL);
	memset(long_name, 'n', 256);
	long_name[256] = '\0';
	CHECK_FAILS(lcfs_node_add_child(root, file, long_name), ENAMETOOLONG);
	long_name[255] = '\0';
	CHECK(lcfs_node_add_child(root, file, long_name) == 0);
	CHECK_FAILS(lcfs_node_add_child(c, file, "again"), EMLINK);
	{
		struct lcfs_node_s *dup = lcfs_node_new();
		CHECK_FAILS(lcfs_node_add_child(root, dup, "a"), EEXIST);
		lcfs_node_unref(dup); /* not taken on failure */
	}

	/* a reference kept on a child outlives the tree */
	lcfs_node_ref(a);
	lcfs_node_unref(root);
	CHECK(lcfs_node_get_parent(a) == NULL);
	CHECK(lcfs_node_get_name(a) == NULL);
	CHECK(lcfs_node_get_mode(a) == (S_IFREG | 0644));
	lcfs_node_unref(a);
}

static void test_hardlinks_and_clones(void)
{
	struct lcfs_node_s *root = new_node(S_IFDIR | 0755);
	struct lcfs_node_s *dir = new_node(S_IFDIR | 0755);
	struct lcfs_node_s *target = new_node(S_IFREG | 0644);
	struct lcfs_node_s *link = lcfs_node_new();
	struct lcfs_node_s *copy, *deep;

	CHECK(lcfs_node_add_child(root, dir, "dir") == 0);
	CHECK(lcfs_node_add_child(dir, target, "target") == 0);
	lcfs_node_make_hardlink(link, target);
	CHECK(lcfs_node_get_hardlink_target(link) == target);
	CHECK(lcfs_node_get_nlink(target) == 2);
	CHECK(lcfs_node_add_child(root, link, "link") == 0);
	CHECK(lcfs_node_set_xattr(target, "user.a", "1", 1) == 0);
	CHECK(lcfs_node_set_payload(target, "00/11") == 0);

	copy = lcfs_node_clone(target); /* data only */
	CHECK(copy != NULL);
	CHECK(lcfs_node_get_name(copy) == NULL);
	CHECK(lcfs_node_get_parent(copy) == NULL);
	CHECK(lcfs_node_get_nlink(copy) == 2);
	CHECK(strcmp(lcfs_node_get_payload(copy), "00/11") == 0);
	CHECK(lcfs_node_get_n_xattr(copy) == 1);
	lcfs_node_unref(copy);

	deep = lcfs_node_clone_deep(root);
	CHECK(deep != NULL);
	CHECK(lcfs_node_get_n_children(deep) == 2);
	{
		struct lcfs_node_s *dlink = lcfs_node_lookup_child(deep, "link");
		struct lcfs_node_s *ddir = lcfs_node_lookup_child(deep, "dir");
		struct lcfs_node_s *dtarget = lcfs_node_lookup_child(ddir, "target");
		CHECK(dtarget != NULL && dtarget != target);
		CHECK(lcfs_node_get_hardlink_target(dlink) == dtarget);
		CHECK(lcfs_node_get_parent(dtarget) == ddir);
	}
	lcfs_node_unref(deep);
	lcfs_node_unref(root);
}

static void test_xattrs(void)
{
	struct lcfs_node_s *n = new_node(S_IFREG | 0644);
	size_t len = 0;
	char name[300];
	static char value[65536];

	CHECK(lcfs_node_set_xattr(n, "user.a", "x\0y", 3) == 0);
	CHECK(lcfs_node_set_xattr(n, "user.b", "", 0) == 0);
	CHECK(lcfs_node_set_xattr(n, "user.c", "c", 1) == 0);
	CHECK(lcfs_node_get_n_xattr(n) == 3);
	CHECK(memcmp(lcfs_node_get_xattr(n, "user.a", &len), "x\0y", 3) == 0 && len == 3);
	CHECK(lcfs_node_get_xattr(n, "user.b", &len) != NULL && len == 0);
	CHECK(lcfs_node_get_xattr(n, "user.zz", &len) == NULL);
	/* replacing keeps one entry */
	CHECK(lcfs_node_set_xattr(n, "user.a", "new", 3) == 0);
	CHECK(lcfs_node_get_n_xattr(n) == 3);
	/* removal moves the last entry into the hole */
	CHECK(lcfs_node_unset_xattr(n, "user.b") == 0);
	CHECK_FAILS(lcfs_node_unset_xattr(n, "user.b"), ENODATA);
	CHECK(lcfs_node_get_n_xattr(n) == 2);
	CHECK(lcfs_node_get_xattr_name(n, 2) == NULL);

	CHECK_FAILS(lcfs_node_set_xattr(n, "", "v", 1), ERANGE);
	memset(name, 'k', 256);
	name[256] = '\0';
	CHECK_FAILS(lcfs_node_set_xattr(n, name, "v", 1), ERANGE);
	CHECK_FAILS(lcfs_node_set_xattr(n, "user.big", value, 65536), EINVAL);
	/* external input gets half the EROFS xattr space */
	CHECK_FAILS(lcfs_node_set_xattr(n, "user.big", value, 40000), ERANGE);
	CHECK(lcfs_node_set_xattr(n, "user.big", value, 30000) == 0);
	CHECK_FAILS(lcfs_node_set_xattr(n, "user.big2", value, 3000), ERANGE);
	lcfs_node_unref(n);
}

int main(void)
{
	test_defaults_and_fields();
	test_children();
	test_hardlinks_and_clones();
	test_xattrs();
	return check_done("test-nodes");
}
