/* SPDX-License-Identifier: MIT */
/*
 * libvtd: definitions shared by every public header.
 *
 * Error convention (as in liburing): functions return 0 or a negative errno.
 * Where a person needs the reason (configuration, compatibility), the call
 * also fills a struct vtd_error with a stable code and a readable message.
 */
#ifndef VTD_COMMON_H
#define VTD_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VTD_BUILDING_LIBRARY) && defined(__GNUC__)
#define VTD_API __attribute__((visibility("default")))
#else
#define VTD_API
#endif

/* Stable error codes carried in struct vtd_error.code (never renumbered). */
enum vtd_errcode {
	VTD_ERR_NONE = 0,
	VTD_ERR_SYNTAX = 1,        /* malformed "key=value,..." text */
	VTD_ERR_UNKNOWN_KEY = 2,   /* no such property */
	VTD_ERR_BAD_VALUE = 3,     /* value not valid for the property's type */
	VTD_ERR_DUPLICATE = 4,     /* property given twice */
	VTD_ERR_CONFLICT = 5,      /* valid values that cannot go together */
	VTD_ERR_RANGE = 6,         /* number outside the allowed set */
	VTD_ERR_NOMEM = 7,
	VTD_ERR_IO = 8,            /* a file or device could not be read */
	VTD_ERR_UNSUPPORTED = 9,   /* the environment lacks a feature */
};

#define VTD_ERROR_MSG_MAX 2048

/*
 * Every problem found by one call, one per line in msg (so a user fixes all
 * of them in one go); code is the first problem's code.
 */
struct vtd_error {
	int code;
	unsigned int count;
	char msg[VTD_ERROR_MSG_MAX];
};

/* Empty an error record; safe to call with NULL. */
VTD_API void vtd_error_clear(struct vtd_error *err);

/* Library version as "MAJOR.MINOR.PATCH". */
VTD_API const char *vtd_version(void);

#ifdef __cplusplus
}
#endif
#endif
