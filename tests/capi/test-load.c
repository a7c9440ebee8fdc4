/* Loads images through the API and writes them again in their own version:
 *   test-load IMAGE...     each must come back byte for byte
 *   test-load -f IMAGE NAME...  loads only these top-level entries and prints
 *                               the root's children, one per line
 *   test-load -n FILE...   hostile input: each may fail to load, but whatever
 *                          loads must write again; nothing may crash
 * Also checks the loader's errors on files that are not composefs images. */
#include <libcomposefs/lcfs-writer.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "check.h"

struct buffer {
	uint8_t *data;
	size_t len, cap;
};

static ssize_t write_to_buffer(void *file, void *data, size_t count)
{
	struct buffer *b = file;
	if (b->len + count > b->cap) {
		b->cap = (b->len + count) * 2;
		b->data = realloc(b->data, b->cap);
		if (!b->data)
			return -1;
	}
	memcpy(b->data + b->len, data, count);
	b->len += count;
	return (ssize_t)count;
}

static uint8_t *read_file(int fd, size_t *len)
{
	struct stat st;
	uint8_t *data;
	if (fstat(fd, &st) < 0)
		return NULL;
	data = malloc(st.st_size ? st.st_size : 1);
	if (pread(fd, data, st.st_size, 0) != st.st_size) {
		free(data);
		return NULL;
	}
	*len = st.st_size;
	return data;
}

static void round_trip(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	uint8_t *original;
	struct lcfs_node_s *root, *from_memory;
	struct buffer out = { 0 };
	struct lcfs_write_options_s opts = { 0 };
	int version;

	if (fd < 0) {
		perror(path);
		check_failures++;
		return;
	}
	original = read_file(fd, &len);
	version = lcfs_version_from_fd(fd);
	CHECK(version == 0 || version == 1);
	root = lcfs_load_node_from_fd(fd);
	CHECK(root != NULL);
	from_memory = lcfs_load_node_from_image(original, len);
	CHECK(from_memory != NULL);
	if (root) {
		opts.version = version;
		opts.max_version = version;
		opts.file = &out;
		opts.file_write_cb = write_to_buffer;
		CHECK(lcfs_write_to(root, &opts) == 0);
		if (out.len != len || memcmp(out.data, original, len) != 0) {
			fprintf(stderr, "%s: rewritten image differs\n", path);
			check_failures++;
		}
		lcfs_node_unref(root);
	}
	if (from_memory)
		lcfs_node_unref(from_memory);
	free(out.data);
	free(original);
	close(fd);
}

static int list_filtered(const char *path, char **names)
{
	struct lcfs_read_options_s opts = { 0 };
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct lcfs_node_s *root;

	opts.toplevel_entries = (const char *const *)names;
	root = lcfs_load_node_from_fd_ext(fd, &opts);
	if (!root) {
		perror("lcfs_load_node_from_fd_ext");
		return 1;
	}
	for (size_t i = 0; i < lcfs_node_get_n_children(root); i++)
		printf("%s\n", lcfs_node_get_name(lcfs_node_get_child(root, i)));
	lcfs_node_unref(root);
	close(fd);
	return 0;
}

static void test_errors(void)
{
	static uint8_t zeros[8192];
	uint8_t header[8192] = { 0x9a, 0x62, 0x78, 0xd0, 2 }; /* magic, header version 2 */
	char tmpl[] = "/tmp/capi-load-XXXXXX";
	int fd = mkstemp(tmpl);

	CHECK_NULL(lcfs_load_node_from_image(zeros, 100), EINVAL);
	CHECK_NULL(lcfs_load_node_from_image(zeros, sizeof(zeros)), EINVAL);
	CHECK_NULL(lcfs_load_node_from_image(header, sizeof(header)), ENOTSUP);
	CHECK(fd >= 0);
	unlink(tmpl);
	CHECK(write(fd, zeros, 10) == 10);
	CHECK_FAILS(lcfs_version_from_fd(fd), EINVAL);
	CHECK_NULL(lcfs_load_node_from_fd(fd), EINVAL);
	close(fd);
	CHECK_NULL(lcfs_load_node_from_fd(-1), EBADF);
}

/* Returns how many of the files loaded. */
static int load_hostile(char **paths)
{
	int loaded = 0;
	for (; *paths; paths++) {
		int fd = open(*paths, O_RDONLY | O_CLOEXEC);
		struct lcfs_node_s *root = fd >= 0 ? lcfs_load_node_from_fd(fd) : NULL;
		if (root) {
			struct lcfs_write_options_s opts = { 0 };
			struct buffer out = { 0 };
			opts.max_version = 1;
			opts.file = &out;
			opts.file_write_cb = write_to_buffer;
			(void)lcfs_write_to(root, &opts); /* may fail: e.g. xattrs too large */
			free(out.data);
			lcfs_node_unref(root);
			loaded++;
		}
		if (fd >= 0)
			close(fd);
	}
	return loaded;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "-f") == 0)
		return list_filtered(argv[2], argv + 3);
	if (argc >= 2 && strcmp(argv[1], "-n") == 0) {
		printf("test-load: %d of %d hostile inputs loaded, none crashed\n",
		       load_hostile(argv + 2), argc - 2);
		return 0;
	}
	for (int i = 1; i < argc; i++)
		round_trip(argv[i]);
	test_errors();
	return check_done("test-load");
}
