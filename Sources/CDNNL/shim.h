// oneDNN 2.6's C API plus the macros and OpenMP call Swift cannot reach directly.
#ifndef FEATSTREAM_CDNNL_SHIM_H
#define FEATSTREAM_CDNNL_SHIM_H

#include <dlfcn.h>
#include <oneapi/dnnl/dnnl.h>

static void *const FS_DNNL_MEMORY_ALLOCATE = DNNL_MEMORY_ALLOCATE;
static const int FS_DNNL_ARG_SRC = DNNL_ARG_SRC;
static const int FS_DNNL_ARG_SRC_1 = DNNL_ARG_SRC_1;
static const int FS_DNNL_ARG_DST = DNNL_ARG_DST;
static const int FS_DNNL_ARG_WEIGHTS = DNNL_ARG_WEIGHTS;
static const int FS_DNNL_ARG_BIAS = DNNL_ARG_BIAS;
static const int FS_DNNL_ARG_FROM = DNNL_ARG_FROM;
static const int FS_DNNL_ARG_TO = DNNL_ARG_TO;
static const int FS_DNNL_ARG_SCRATCHPAD = DNNL_ARG_SCRATCHPAD;
static const int FS_DNNL_ARG_DW_WEIGHTS = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_WEIGHTS;
static const int FS_DNNL_ARG_DW_BIAS = DNNL_ARG_ATTR_POST_OP_DW | DNNL_ARG_BIAS;
static inline int fs_dnnl_arg_multiple_src(int i) { return DNNL_ARG_MULTIPLE_SRC + i; }

/// Sets OpenMP's thread count through libgomp, which libdnnl already loaded; returns 0 when
/// the library is not there (a oneDNN built without OpenMP).
static inline int fs_omp_set_num_threads(int n) {
    void (*set)(int) = (void (*)(int))dlsym(RTLD_DEFAULT, "omp_set_num_threads");
    if (!set) return 0;
    set(n);
    return 1;
}

#endif
