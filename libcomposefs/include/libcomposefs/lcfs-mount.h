/* composefs-cpp: mounting composefs images from C.
 * Interface-compatible with composefs-c 1.0.8's <libcomposefs/lcfs-mount.h>.
 * SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-or-later
 */
#ifndef _LCFS_MOUNT_H
#define _LCFS_MOUNT_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#ifndef LCFS_EXTERN
#define LCFS_EXTERN extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* errno values with a composefs meaning */
#define ENOVERITY ENOTTY       /* fs-verity is not enabled on the file, or unsupported */
#define EWRONGVERITY EILSEQ    /* the fs-verity digest is not the expected one */
#define ENOSIGNATURE EBADMSG   /* a required signature is missing */

enum lcfs_mount_flags_t {
	LCFS_MOUNT_FLAGS_NONE = 0,
	LCFS_MOUNT_FLAGS_REQUIRE_VERITY = (1 << 0), /* objects must have fs-verity */
	LCFS_MOUNT_FLAGS_READONLY = (1 << 1),       /* read-only even with an upperdir */
	LCFS_MOUNT_FLAGS_IDMAP = (1 << 3),          /* idmap through idmap_fd */
	LCFS_MOUNT_FLAGS_TRY_VERITY = (1 << 4),     /* verity=require where supported */

	LCFS_MOUNT_FLAGS_MASK = (1 << 5) - 1,
};

struct lcfs_mount_options_s {
	const char **objdirs;   /* object directories, looked up in this order */
	size_t n_objdirs;       /* at least 1 */
	const char *workdir;    /* overlay workdir, with upperdir, or NULL */
	const char *upperdir;   /* overlay upperdir, with workdir, or NULL */
	const char *expected_fsverity_digest; /* hex digest the image must have, or NULL */
	uint32_t flags;         /* lcfs_mount_flags_t bits */
	int idmap_fd;           /* user namespace fd, with LCFS_MOUNT_FLAGS_IDMAP */
	const char *image_mountdir; /* where to mount the EROFS layer meanwhile, or NULL */

	uint32_t reserved[4];
	void *reserved2[4];
};

/* Both return 0, or -1 with errno set. */
LCFS_EXTERN int lcfs_mount_image(const char *path, const char *mountpoint,
				 struct lcfs_mount_options_s *options);
LCFS_EXTERN int lcfs_mount_fd(int fd, const char *mountpoint,
			      struct lcfs_mount_options_s *options);

#ifdef __cplusplus
}
#endif

#endif
