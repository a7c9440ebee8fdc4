/* lcfs_mount_image / lcfs_mount_fd:
 *   test-mount WORKDIR
 * Option errors always; real mounts (image built through the API, one
 * object file) only as root, otherwise exits 77 (skip) saying why. */
#include <libcomposefs/lcfs-mount.h>
#include <libcomposefs/lcfs-writer.h>

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "check.h"

static const char content[] = "the content of an object, longer than 64 bytes so it is not inlined\n";

static void test_option_errors(const char *image, const char *mnt)
{
	const char *objdirs[] = { "/nonexistent" };
	struct lcfs_mount_options_s o = { 0 };

	CHECK_FAILS(lcfs_mount_image(image, mnt, &o), EINVAL); /* no objdirs */
	o.objdirs = objdirs;
	o.n_objdirs = 1;
	o.upperdir = "/tmp";
	CHECK_FAILS(lcfs_mount_image(image, mnt, &o), EINVAL); /* upperdir without workdir */
	o.upperdir = NULL;
	o.flags = 1 << 7;
	CHECK_FAILS(lcfs_mount_image(image, mnt, &o), EINVAL);
	o.flags = LCFS_MOUNT_FLAGS_IDMAP;
	o.idmap_fd = -1;
	CHECK_FAILS(lcfs_mount_fd(0, mnt, &o), EINVAL);
	o.flags = 0;
	CHECK_FAILS(lcfs_mount_image("/nonexistent.cfs", mnt, &o), ENOENT);
}

/* image with /hello (object by digest) and /small (inline) */
static void write_image(const char *image, const char *objdir)
{
	uint8_t digest[LCFS_DIGEST_SIZE];
	char hex[2 * LCFS_DIGEST_SIZE + 1], payload[80], path[4096];
	struct lcfs_node_s *root = lcfs_node_new(), *hello = lcfs_node_new(), *small = lcfs_node_new();
	struct lcfs_write_options_s opts = { 0 };
	FILE *out = fopen(image, "we");
	int fd;

	lcfs_compute_fsverity_from_data(digest, (uint8_t *)content, strlen(content));
	to_hex(digest, sizeof(digest), hex);
	snprintf(payload, sizeof(payload), "%.2s/%s", hex, hex + 2);
	snprintf(path, sizeof(path), "%s/%.2s", objdir, hex);
	mkdir(objdir, 0755);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%s", objdir, payload);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	CHECK(fd >= 0 && write(fd, content, strlen(content)) == (ssize_t)strlen(content));
	close(fd);

	lcfs_node_set_mode(root, S_IFDIR | 0755);
	lcfs_node_set_mode(hello, S_IFREG | 0644);
	lcfs_node_set_size(hello, strlen(content));
	lcfs_node_set_payload(hello, payload);
	lcfs_node_set_fsverity_digest(hello, digest);
	lcfs_node_add_child(root, hello, "hello");
	lcfs_node_set_mode(small, S_IFREG | 0600);
	lcfs_node_set_content(small, (const uint8_t *)"tiny\n", 5);
	lcfs_node_add_child(root, small, "small");
	opts.file = out;
	opts.file_write_cb = write_to_stdio;
	CHECK(lcfs_write_to(root, &opts) == 0);
	CHECK(fclose(out) == 0);
	lcfs_node_unref(root);
}

static void check_mounted(const char *mnt)
{
	char path[4096], buf[256] = { 0 };
	int fd;

	snprintf(path, sizeof(path), "%s/hello", mnt);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == (ssize_t)strlen(content));
	CHECK(strcmp(buf, content) == 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/small", mnt);
	memset(buf, 0, sizeof(buf));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && read(fd, buf, sizeof(buf) - 1) == 5 && strcmp(buf, "tiny\n") == 0);
	close(fd);
	CHECK(umount2(mnt, 0) == 0);
}

int main(int argc, char **argv)
{
	char image[4096], objdir[4096], mnt[4096];
	const char *objdirs[1];
	struct lcfs_mount_options_s o = { 0 };
	int fd;

	if (argc != 2) {
		fprintf(stderr, "usage: test-mount WORKDIR\n");
		return 2;
	}
	snprintf(image, sizeof(image), "%s/image.cfs", argv[1]);
	snprintf(objdir, sizeof(objdir), "%s/objects", argv[1]);
	snprintf(mnt, sizeof(mnt), "%s/mnt", argv[1]);
	mkdir(mnt, 0755);
	write_image(image, objdir);
	test_option_errors(image, mnt);
	if (geteuid() != 0) {
		check_done("test-mount (option errors)");
		printf("SKIP: real mounts need root (running as uid %u)\n", (unsigned)geteuid());
		return check_failures ? 1 : 77;
	}

	objdirs[0] = objdir;
	o.objdirs = objdirs;
	o.n_objdirs = 1;
	CHECK(lcfs_mount_image(image, mnt, &o) == 0);
	check_mounted(mnt);

	fd = open(image, O_RDONLY | O_CLOEXEC);
	o.flags = LCFS_MOUNT_FLAGS_READONLY;
	CHECK(lcfs_mount_fd(fd, mnt, &o) == 0);
	check_mounted(mnt);

	/* the image has no fs-verity: an expected digest cannot be checked */
	o.expected_fsverity_digest = "0000000000000000000000000000000000000000000000000000000000000000";
	CHECK_FAILS(lcfs_mount_fd(fd, mnt, &o), ENOVERITY);
	close(fd);
	return check_done("test-mount");
}
