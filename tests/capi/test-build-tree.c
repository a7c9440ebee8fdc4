/* lcfs_build for the random-tree oracle (tests/oracle/oracle.py --lcfs-build):
 *   test-build-tree [-e] [-x] [-u] [-d] MIN_VERSION MAX_VERSION DIR IMAGE
 * builds DIR as mkcomposefs does (digests, payloads by digest, small files
 * inlined), plus -e USE_EPOCH, -x SKIP_XATTRS, -u USER_XATTRS, -d SKIP_DEVICES,
 * and writes it to IMAGE with the given format versions. */
#include <libcomposefs/lcfs-writer.h>

#include <fcntl.h>

#include "check.h"

int main(int argc, char **argv)
{
	int flags = LCFS_BUILD_COMPUTE_DIGEST | LCFS_BUILD_BY_DIGEST;
	struct lcfs_write_options_s opts = { 0 };
	struct lcfs_node_s *root;
	char *failed = NULL;
	FILE *out;
	int opt;

	while ((opt = getopt(argc, argv, "exud")) != -1) {
		switch (opt) {
		case 'e': flags |= LCFS_BUILD_USE_EPOCH; break;
		case 'x': flags |= LCFS_BUILD_SKIP_XATTRS; break;
		case 'u': flags |= LCFS_BUILD_USER_XATTRS; break;
		case 'd': flags |= LCFS_BUILD_SKIP_DEVICES; break;
		default: return 2;
		}
	}
	if (argc - optind != 4) {
		fprintf(stderr, "usage: test-build-tree [-e] [-x] [-u] [-d] MIN MAX DIR IMAGE\n");
		return 2;
	}
	root = lcfs_build(AT_FDCWD, argv[optind + 2], flags, &failed);
	if (!root) {
		fprintf(stderr, "lcfs_build: %s: %s\n", failed, strerror(errno));
		return 1;
	}
	out = fopen(argv[optind + 3], "we");
	if (!out) {
		perror(argv[optind + 3]);
		return 1;
	}
	opts.file = out;
	opts.file_write_cb = write_to_stdio;
	opts.version = atoi(argv[optind]);
	opts.max_version = atoi(argv[optind + 1]);
	if (lcfs_write_to(root, &opts) < 0 || fclose(out) != 0) {
		fprintf(stderr, "lcfs_write_to: %s\n", strerror(errno));
		return 1;
	}
	lcfs_node_unref(root);
	return 0;
}
