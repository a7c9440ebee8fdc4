/* composefs-cpp: building, reading and writing composefs images from C.
 * Interface-compatible with composefs-c 1.0.8's <libcomposefs/lcfs-writer.h>:
 * same types, constants and functions, so programs built against either run
 * with either libcomposefs.so.1.
 *
 * Conventions: functions returning int return 0 on success and -1 with errno
 * set on failure, except where noted (the fs-verity helpers returning -errno).
 * Functions returning a pointer return NULL with errno set on failure.
 * SPDX-License-Identifier: Apache-2.0 OR GPL-2.0-or-later
 */
#ifndef _LCFS_OPS_H
#define _LCFS_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#ifndef LCFS_EXTERN
#define LCFS_EXTERN extern
#endif

#ifdef __cplusplus
extern "C" {
#endif

#define LCFS_DIGEST_SIZE 32 /* bytes of a SHA-256 fs-verity digest */

/* Flags for lcfs_load_node_from_file(), lcfs_build(), lcfs_node_set_from_content() */
enum {
	LCFS_BUILD_SKIP_XATTRS = (1 << 0),    /* read no xattrs */
	LCFS_BUILD_USE_EPOCH = (1 << 1),      /* every mtime is 0 */
	LCFS_BUILD_SKIP_DEVICES = (1 << 2),   /* leave out block and character devices */
	LCFS_BUILD_COMPUTE_DIGEST = (1 << 3), /* record each file's fs-verity digest */
	LCFS_BUILD_NO_INLINE = (1 << 4),      /* never inline small files */
	LCFS_BUILD_USER_XATTRS = (1 << 5),    /* read only user.* xattrs */
	LCFS_BUILD_BY_DIGEST = (1 << 6),      /* payload "xx/yyy..." from the digest */
};

enum lcfs_format_t {
	LCFS_FORMAT_EROFS,
};

enum lcfs_flags_t {
	LCFS_FLAGS_NONE = 0,
	LCFS_FLAGS_MASK = 0,
};

/* Image format versions: 0 is the original; 1 stores whiteouts as overlay
 * xattrs on 0:0 character devices (needs Linux >= 6.8 overlayfs). */
#define LCFS_VERSION_MAX 1

/* The versions the tools use unless told otherwise. */
#define LCFS_DEFAULT_VERSION_MIN 0
#define LCFS_DEFAULT_VERSION_MAX 1

/* Bytes of EROFS metadata per xattr entry. */
#define LCFS_INODE_XATTRMETA_SIZE 4
/* Most xattr bytes (names and values) one inode takes from outside input;
 * half of what EROFS allows, the rest is kept for composefs' own xattrs. */
#define LCFS_INODE_EXTERNAL_XATTR_MAX (UINT16_MAX / 2)

/* Largest file content lcfs_node_set_content() accepts. */
#define LCFS_INLINE_CONTENT_MAX 5000
/* Files up to this size are inlined by the builders: no bigger than the
 * redirect xattr that would name an object instead. */
#define LCFS_RECOMMENDED_INLINE_CONTENT_MAX 64

/* Callbacks return the bytes moved (0 at end of input), or < 0 on error. */
typedef ssize_t (*lcfs_read_cb)(void *file, void *buf, size_t count);
typedef ssize_t (*lcfs_write_cb)(void *file, void *buf, size_t count);

struct lcfs_write_options_s {
	uint32_t format;       /* enum lcfs_format_t */
	uint32_t version;      /* in: lowest version to write; out: the version written */
	uint32_t flags;        /* enum lcfs_flags_t; must be 0 */
	uint8_t *digest_out;   /* if non-NULL: receives the image's fs-verity digest */
	void *file;            /* passed to file_write_cb */
	lcfs_write_cb file_write_cb; /* NULL: write nothing (e.g. digest only) */
	uint32_t max_version;  /* version may be raised up to this when the tree needs it */
	uint32_t reserved[3];
	void *reserved2[4];
};

struct lcfs_node_s;

struct lcfs_read_options_s {
	/* NULL, or a NULL-terminated list of names: only these entries of the
	 * root directory are loaded (names, not paths). */
	const char *const *toplevel_entries;
	uint32_t reserved[3];
	void *reserved2[4];
};

/* Nodes are reference counted; a new node has one reference, owned by the caller. */
LCFS_EXTERN struct lcfs_node_s *lcfs_node_new(void);
LCFS_EXTERN struct lcfs_node_s *lcfs_node_ref(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_unref(struct lcfs_node_s *node);
/* clone: the node's own data only (no name, parent or children). */
LCFS_EXTERN struct lcfs_node_s *lcfs_node_clone(struct lcfs_node_s *node);
/* clone_deep: the whole subtree; hardlinks inside it point into the copy. */
LCFS_EXTERN struct lcfs_node_s *lcfs_node_clone_deep(struct lcfs_node_s *node);

/* Loading */
LCFS_EXTERN struct lcfs_node_s *lcfs_load_node_from_file(int dirfd, const char *fname,
							 int buildflags);
LCFS_EXTERN struct lcfs_node_s *lcfs_load_node_from_image(const uint8_t *image_data,
							  size_t image_data_size);
LCFS_EXTERN struct lcfs_node_s *
lcfs_load_node_from_image_ext(const uint8_t *image_data, size_t image_data_size,
			      const struct lcfs_read_options_s *opts);
LCFS_EXTERN struct lcfs_node_s *lcfs_load_node_from_fd(int fd);
LCFS_EXTERN struct lcfs_node_s *
lcfs_load_node_from_fd_ext(int fd, const struct lcfs_read_options_s *opts);
/* The format version of the image open at fd, or -1 with errno. */
LCFS_EXTERN int lcfs_version_from_fd(int fd);

/* Extended attributes */
LCFS_EXTERN const char *lcfs_node_get_xattr(struct lcfs_node_s *node,
					    const char *name, size_t *length);
LCFS_EXTERN int lcfs_node_set_xattr(struct lcfs_node_s *node, const char *name,
				    const char *value, size_t value_len);
LCFS_EXTERN int lcfs_node_unset_xattr(struct lcfs_node_s *node, const char *name);
LCFS_EXTERN size_t lcfs_node_get_n_xattr(struct lcfs_node_s *node);
LCFS_EXTERN const char *lcfs_node_get_xattr_name(struct lcfs_node_s *node,
						 size_t index);

/* Payload: a symlink's target, or the object path of a regular file */
LCFS_EXTERN int lcfs_node_set_payload(struct lcfs_node_s *node, const char *payload);
LCFS_EXTERN int lcfs_node_set_symlink_payload(struct lcfs_node_s *node,
					      const char *payload);
LCFS_EXTERN const char *lcfs_node_get_payload(struct lcfs_node_s *node);

/* Inline content of small regular files; also sets the size */
LCFS_EXTERN int lcfs_node_set_content(struct lcfs_node_s *node,
				      const uint8_t *data, size_t data_size);
LCFS_EXTERN const uint8_t *lcfs_node_get_content(struct lcfs_node_s *node);

/* Tree structure */
LCFS_EXTERN struct lcfs_node_s *lcfs_node_lookup_child(struct lcfs_node_s *node,
						       const char *name);
LCFS_EXTERN struct lcfs_node_s *lcfs_node_get_parent(struct lcfs_node_s *node);
/* On success the parent owns the caller's reference to child. */
LCFS_EXTERN int lcfs_node_add_child(struct lcfs_node_s *parent,
				    struct lcfs_node_s *child, const char *name);
LCFS_EXTERN const char *lcfs_node_get_name(struct lcfs_node_s *node);
LCFS_EXTERN size_t lcfs_node_get_n_children(struct lcfs_node_s *node);
LCFS_EXTERN struct lcfs_node_s *lcfs_node_get_child(struct lcfs_node_s *node,
						    size_t i);
LCFS_EXTERN void lcfs_node_make_hardlink(struct lcfs_node_s *node,
					 struct lcfs_node_s *target);
LCFS_EXTERN struct lcfs_node_s *lcfs_node_get_hardlink_target(struct lcfs_node_s *node);

/* Inode fields */
LCFS_EXTERN bool lcfs_node_dirp(struct lcfs_node_s *node);
LCFS_EXTERN uint32_t lcfs_node_get_mode(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_set_mode(struct lcfs_node_s *node, uint32_t mode);
LCFS_EXTERN int lcfs_node_try_set_mode(struct lcfs_node_s *node, uint32_t mode);
LCFS_EXTERN uint32_t lcfs_node_get_uid(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_set_uid(struct lcfs_node_s *node, uint32_t uid);
LCFS_EXTERN uint32_t lcfs_node_get_gid(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_set_gid(struct lcfs_node_s *node, uint32_t gid);
LCFS_EXTERN uint32_t lcfs_node_get_rdev(struct lcfs_node_s *node)
	__attribute__((deprecated));
LCFS_EXTERN uint64_t lcfs_node_get_rdev64(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_set_rdev(struct lcfs_node_s *node, uint32_t rdev)
	__attribute__((deprecated));
LCFS_EXTERN void lcfs_node_set_rdev64(struct lcfs_node_s *node, uint64_t rdev);
LCFS_EXTERN uint32_t lcfs_node_get_nlink(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_set_nlink(struct lcfs_node_s *node, uint32_t nlink);
LCFS_EXTERN uint64_t lcfs_node_get_size(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_set_size(struct lcfs_node_s *node, uint64_t size);
LCFS_EXTERN void lcfs_node_set_mtime(struct lcfs_node_s *node, struct timespec *time);
LCFS_EXTERN void lcfs_node_get_mtime(struct lcfs_node_s *node, struct timespec *time);

/* fs-verity digest of a regular file's backing object */
LCFS_EXTERN const uint8_t *lcfs_node_get_fsverity_digest(struct lcfs_node_s *node);
LCFS_EXTERN void lcfs_node_set_fsverity_digest(struct lcfs_node_s *node,
					       uint8_t digest[LCFS_DIGEST_SIZE]);
LCFS_EXTERN int lcfs_node_set_fsverity_from_content(struct lcfs_node_s *node,
						    void *file,
						    lcfs_read_cb read_cb);
LCFS_EXTERN int lcfs_node_set_fsverity_from_fd(struct lcfs_node_s *node, int fd);

/* Scans dirfd/fname recursively. On failure *failed_path_out (if given)
 * receives a malloc()ed path of what failed, to be free()d by the caller. */
LCFS_EXTERN struct lcfs_node_s *lcfs_build(int dirfd, const char *fname,
					   int buildflags, char **failed_path_out);

/* Writes the image of the tree under root; see struct lcfs_write_options_s. */
LCFS_EXTERN int lcfs_write_to(struct lcfs_node_s *root,
			      struct lcfs_write_options_s *options);

/* fs-verity helpers. compute_* return 0 or -1 with errno; measure, get and
 * enable return 0 or a negative errno (measure: -ENOVERITY when the file has
 * no fs-verity, -EWRONGVERITY when its digest is not SHA-256). */
LCFS_EXTERN int lcfs_compute_fsverity_from_content(uint8_t *digest, void *file,
						   lcfs_read_cb read_cb);
LCFS_EXTERN int lcfs_compute_fsverity_from_fd(uint8_t *digest, int fd);
LCFS_EXTERN int lcfs_compute_fsverity_from_data(uint8_t *digest, uint8_t *data,
						size_t data_len);
LCFS_EXTERN int lcfs_fd_measure_fsverity(uint8_t *digest, int fd);
LCFS_EXTERN int lcfs_fd_get_fsverity(uint8_t *digest, int fd);

/* Digest, payload and inline content of a regular file node from dirfd/fname. */
LCFS_EXTERN int lcfs_node_set_from_content(struct lcfs_node_s *node, int dirfd,
					   const char *fname, int buildflags);
LCFS_EXTERN int lcfs_fd_enable_fsverity(int fd);

#ifdef __cplusplus
}
#endif

#endif
