/* lcfs_mount_image / lcfs_mount_fd with fs-verity, on a kernel and filesystem
 * that have it (run by tests/vm/test-verity.sh inside the test VM):
 *   test-mount-verity IMAGE OBJDIR DIGEST WORKDIR PATH SOURCE OVERLAY_VERITY NODIGEST
 * IMAGE has fs-verity enabled, DIGEST is its digest; PATH is a file in the
 * image whose content is the file SOURCE. OVERLAY_VERITY is 1 when the
 * kernel's overlayfs has verity= (Linux >= 6.6), else 0. NODIGEST is IMAGE's
 * tree in an image that records no fs-verity digests of its files.
 * Checks the options ostree passes (READONLY, image_mountdir, an expected
 * digest, REQUIRE_VERITY), a wrong digest, an image without fs-verity, a
 * writable (transient) mount, and REQUIRE_VERITY / TRY_VERITY on their own.
 * Built against the library in the build tree; with LD_LIBRARY_PATH pointing
 * at composefs-c's libcomposefs the same program checks C's. */
#include <libcomposefs/lcfs-mount.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "check.h"

static char workdir[2048], mnt[4096], lower[4096];
static const char *image, *objdir, *digest, *path, *source, *nodigest_image;

static size_t read_file(const char *file, char *buf, size_t size)
{
	int fd = open(file, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size);
	if (fd >= 0)
		close(fd);
	return n < 0 ? (size_t)-1 : (size_t)n;
}

/* Is DIR a mount point, i.e. on another device than WORKDIR? */
static int mounted_at(const char *dir)
{
	struct stat a, b;
	return stat(dir, &a) == 0 && stat(workdir, &b) == 0 && a.st_dev != b.st_dev;
}

/* PATH in the mount reads as SOURCE; then unmounts. */
static void check_content_and_umount(void)
{
	static char want[1 << 20], got[1 << 20];
	char file[8192];
	size_t n = read_file(source, want, sizeof(want));

	snprintf(file, sizeof(file), "%s/%s", mnt, path);
	CHECK(n != (size_t)-1 && read_file(file, got, sizeof(got)) == n && memcmp(want, got, n) == 0);
	CHECK(umount2(mnt, 0) == 0);
}

static struct lcfs_mount_options_s options(uint32_t flags, const char *expected)
{
	static const char *objdirs[1];
	struct lcfs_mount_options_s o = { 0 };

	objdirs[0] = objdir;
	o.objdirs = objdirs;
	o.n_objdirs = 1;
	o.flags = flags;
	o.expected_fsverity_digest = expected;
	return o;
}

/* As ostree-prepare-root mounts a signed deployment: read-only, the EROFS
 * layer on a directory of its choosing, the digest from the commit. */
static void test_ostree_style(int overlay_verity)
{
	struct lcfs_mount_options_s o = options(LCFS_MOUNT_FLAGS_READONLY, digest);
	struct statvfs sv;

	if (overlay_verity)
		o.flags |= LCFS_MOUNT_FLAGS_REQUIRE_VERITY;
	o.image_mountdir = lower;
	CHECK(lcfs_mount_image(image, mnt, &o) == 0);
	CHECK(statvfs(mnt, &sv) == 0 && (sv.f_flag & ST_RDONLY));
	CHECK(!mounted_at(lower)); /* the EROFS layer is detached, not left there */
	check_content_and_umount();
}

static void test_wrong_and_missing_verity(void)
{
	static char buf[1 << 20];
	char wrong[129], plain[4096];
	struct lcfs_mount_options_s o = options(LCFS_MOUNT_FLAGS_READONLY, wrong);
	size_t n;
	int fd;

	snprintf(wrong, sizeof(wrong), "%s", digest);
	wrong[0] = wrong[0] == '0' ? '1' : '0';
	CHECK_FAILS(lcfs_mount_image(image, mnt, &o), EWRONGVERITY);
	CHECK(!mounted_at(mnt));

	/* a copy of the image has no fs-verity */
	snprintf(plain, sizeof(plain), "%s/plain.cfs", workdir);
	fd = open(plain, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	n = read_file(image, buf, sizeof(buf));
	CHECK(fd >= 0 && n != (size_t)-1 && n < sizeof(buf) && write(fd, buf, n) == (ssize_t)n);
	close(fd);
	o.expected_fsverity_digest = digest;
	CHECK_FAILS(lcfs_mount_image(plain, mnt, &o), ENOVERITY);
	CHECK(!mounted_at(mnt));
}

/* ostree's transient root: writable, upperdir/workdir on the side. */
static void test_transient(int overlay_verity)
{
	struct lcfs_mount_options_s o = options(overlay_verity ? LCFS_MOUNT_FLAGS_REQUIRE_VERITY : 0, digest);
	char upper[4096], work[4096], file[8192];
	int fd;

	snprintf(upper, sizeof(upper), "%s/upper", workdir);
	snprintf(work, sizeof(work), "%s/work", workdir);
	mkdir(upper, 0755);
	mkdir(work, 0755);
	o.upperdir = upper;
	o.workdir = work;
	fd = open(image, O_RDONLY | O_CLOEXEC);
	CHECK(lcfs_mount_fd(fd, mnt, &o) == 0);
	close(fd);
	snprintf(file, sizeof(file), "%s/new-file", mnt);
	fd = open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	close(fd);
	check_content_and_umount();
	snprintf(file, sizeof(file), "%s/new-file", upper);
	CHECK(access(file, F_OK) == 0);
}

/* Without an expected digest: REQUIRE_VERITY needs overlayfs's verity=,
 * TRY_VERITY mounts either way. */
static void test_flags_alone(int overlay_verity)
{
	struct lcfs_mount_options_s o = options(LCFS_MOUNT_FLAGS_REQUIRE_VERITY, NULL);

	if (overlay_verity) {
		CHECK(lcfs_mount_image(image, mnt, &o) == 0);
		check_content_and_umount();
	} else {
		CHECK_FAILS(lcfs_mount_image(image, mnt, &o), EINVAL);
		CHECK(!mounted_at(mnt));
	}
	o.flags = LCFS_MOUNT_FLAGS_TRY_VERITY;
	CHECK(lcfs_mount_image(image, mnt, &o) == 0);
	check_content_and_umount();
}

/* REQUIRE_VERITY and TRY_VERITY reach overlayfs as verity=require where it has
 * it: in an image recording no digests no file opens (EIO). Without the flags,
 * or where overlayfs has no verity= (TRY_VERITY only), the file reads. */
static void test_enforced(int overlay_verity)
{
	static const uint32_t flags[] = { LCFS_MOUNT_FLAGS_REQUIRE_VERITY, LCFS_MOUNT_FLAGS_TRY_VERITY, 0 };
	char file[8192];
	size_t i;
	int fd;

	snprintf(file, sizeof(file), "%s/%s", mnt, path);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		struct lcfs_mount_options_s o = options(flags[i], NULL);
		if (!overlay_verity && flags[i] == LCFS_MOUNT_FLAGS_REQUIRE_VERITY)
			continue; /* refused: test_flags_alone */
		CHECK(lcfs_mount_image(nodigest_image, mnt, &o) == 0);
		if (overlay_verity && flags[i] != 0) {
			fd = open(file, O_RDONLY | O_CLOEXEC);
			CHECK(fd < 0 && errno == EIO);
			if (fd >= 0)
				close(fd);
			CHECK(umount2(mnt, 0) == 0);
		} else {
			check_content_and_umount();
		}
	}
}

int main(int argc, char **argv)
{
	int overlay_verity;

	if (argc != 9) {
		fprintf(stderr, "usage: test-mount-verity IMAGE OBJDIR DIGEST WORKDIR PATH SOURCE OVERLAY_VERITY NODIGEST\n");
		return 2;
	}
	image = argv[1];
	objdir = argv[2];
	digest = argv[3];
	path = argv[5];
	source = argv[6];
	overlay_verity = strcmp(argv[7], "1") == 0;
	nodigest_image = argv[8];
	snprintf(workdir, sizeof(workdir), "%s", argv[4]);
	snprintf(mnt, sizeof(mnt), "%s/mnt", workdir);
	snprintf(lower, sizeof(lower), "%s/lower", workdir);
	mkdir(mnt, 0755);
	mkdir(lower, 0700);

	test_ostree_style(overlay_verity);
	test_wrong_and_missing_verity();
	test_transient(overlay_verity);
	test_flags_alone(overlay_verity);
	test_enforced(overlay_verity);
	return check_done("test-mount-verity");
}
