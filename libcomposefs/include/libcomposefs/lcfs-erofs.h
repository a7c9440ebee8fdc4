/* composefs-cpp: the composefs header at the start of every image.
 * Interface-compatible with composefs-c 1.0.8's <libcomposefs/lcfs-erofs.h>.
 * SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-or-later
 */
#ifndef _LCFS_EROFS_H
#define _LCFS_EROFS_H

#include <stdint.h>

#define LCFS_EROFS_VERSION 1          /* header layout version (field "version") */
#define LCFS_EROFS_MAGIC 0xd078629aU  /* field "magic" */

typedef enum {
	LCFS_EROFS_FLAGS_HAS_ACL = (1 << 0), /* some inode has a POSIX ACL xattr */
} lcfs_erofs_flag_t;

/* The first 32 bytes of an image, little-endian on disk. */
struct lcfs_erofs_header_s {
	uint32_t magic;             /* LCFS_EROFS_MAGIC */
	uint32_t version;           /* LCFS_EROFS_VERSION */
	uint32_t flags;             /* lcfs_erofs_flag_t bits */
	uint32_t composefs_version; /* image format version, 0 or 1 */
	uint32_t unused[4];
} __attribute__((__packed__));

#endif
