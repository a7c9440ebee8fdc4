/* The fs-verity helpers: computed digests (data, fd from its offset, read
 * callback), the kernel's measurement with its ENOVERITY fallback, enabling. */
#include <libcomposefs/lcfs-mount.h>
#include <libcomposefs/lcfs-writer.h>

#include <fcntl.h>

#include "check.h"

/* fs-verity (SHA-256, 4 KiB blocks, no salt) digest of an empty file */
static const char empty_digest[] =
	"3d248ca542a24fc62d1c43b916eae5016878e2533c88238480b26128a1f1af95";

struct chunks {
	const uint8_t *data;
	size_t len, pos, piece;
	int fail;
};

/* Hands out the data in small pieces, or fails. */
static ssize_t read_chunks(void *file, void *buf, size_t count)
{
	struct chunks *c = file;
	size_t n = c->len - c->pos;
	if (c->fail)
		return -1;
	if (n > c->piece)
		n = c->piece;
	if (n > count)
		n = count;
	memcpy(buf, c->data + c->pos, n);
	c->pos += n;
	return (ssize_t)n;
}

int main(void)
{
	static uint8_t data[3 * 4096 + 17];
	uint8_t d1[LCFS_DIGEST_SIZE], d2[LCFS_DIGEST_SIZE], d3[LCFS_DIGEST_SIZE];
	char hex[2 * LCFS_DIGEST_SIZE + 1];
	char tmpl[] = "/var/tmp/capi-verity-XXXXXX";
	int fd = mkstemp(tmpl);
	int r;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 3);

	CHECK(lcfs_compute_fsverity_from_data(d1, data, 0) == 0);
	to_hex(d1, sizeof(d1), hex);
	CHECK(strcmp(hex, empty_digest) == 0);

	/* the same digest three ways */
	CHECK(lcfs_compute_fsverity_from_data(d1, data, sizeof(data)) == 0);
	{
		struct chunks c = { data, sizeof(data), 0, 1000, 0 };
		CHECK(lcfs_compute_fsverity_from_content(d2, &c, read_chunks) == 0);
		CHECK(memcmp(d1, d2, sizeof(d1)) == 0);
		c.fail = 1;
		CHECK_FAILS(lcfs_compute_fsverity_from_content(d2, &c, read_chunks), ENODATA);
	}
	CHECK(fd >= 0);
	unlink(tmpl);
	CHECK(write(fd, data, sizeof(data)) == (ssize_t)sizeof(data));
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
	CHECK(lcfs_compute_fsverity_from_fd(d3, fd) == 0);
	CHECK(memcmp(d1, d3, sizeof(d1)) == 0);

	/* from the current offset */
	CHECK(lseek(fd, 4096, SEEK_SET) == 4096);
	CHECK(lcfs_compute_fsverity_from_fd(d2, fd) == 0);
	CHECK(lcfs_compute_fsverity_from_data(d3, data + 4096, sizeof(data) - 4096) == 0);
	CHECK(memcmp(d2, d3, sizeof(d2)) == 0);

	/* nodes */
	{
		struct lcfs_node_s *n = lcfs_node_new();
		CHECK(lseek(fd, 0, SEEK_SET) == 0);
		CHECK(lcfs_node_set_fsverity_from_fd(n, fd) == 0);
		CHECK(memcmp(lcfs_node_get_fsverity_digest(n), d1, sizeof(d1)) == 0);
		lcfs_node_unref(n);
	}

	/* The kernel: without fs-verity on the file, measuring fails with
	 * -ENOVERITY and get_fsverity computes it (from offset 0). */
	r = lcfs_fd_measure_fsverity(d2, fd);
	if (r == 0) {
		CHECK(memcmp(d1, d2, sizeof(d1)) == 0);
	} else {
		CHECK(r == -ENOVERITY && errno == ENOVERITY);
	}
	CHECK(lseek(fd, 100, SEEK_SET) == 100);
	CHECK(lcfs_fd_get_fsverity(d2, fd) == 0);
	CHECK(memcmp(d1, d2, sizeof(d1)) == 0);

	/* Enabling needs a read-only fd and a filesystem with fs-verity. */
	{
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		int ro = open(path, O_RDONLY | O_CLOEXEC);
		close(fd);
		r = lcfs_fd_enable_fsverity(ro);
		if (r == 0) {
			CHECK(lcfs_fd_measure_fsverity(d2, ro) == 0);
			CHECK(memcmp(d1, d2, sizeof(d1)) == 0);
			printf("test-verity: fs-verity enabled and measured\n");
		} else {
			CHECK(r < 0 && r == -errno);
			printf("test-verity: no fs-verity here (%s), kernel paths checked for errors only\n",
			       strerror(-r));
		}
		close(ro);
	}
	return check_done("test-verity");
}
