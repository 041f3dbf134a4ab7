/*
 * nvml_abi.h - the part of NVML's C ABI that vramfit calls, declared here
 * because NVML is loaded at run time (dlopen "libnvidia-ml.so.1") and its
 * header ships with the CUDA toolkit, which a build may not have.
 *
 * Copied by hand from nvml.h (NVML API version 13, as in NVIDIA/go-nvml
 * gen/nvml/nvml.h): the types, the struct layouts, and the versioned function
 * names.  These layouts are a stable ABI; a new layout always comes with a new
 * function name (nvmlDeviceGetComputeRunningProcesses_v3 next to _v2), so a
 * name we resolve always takes the layout declared for it here.  The unit
 * tests implement these signatures to stand in for the library.
 */
#ifndef VF_NVML_ABI_H
#define VF_NVML_ABI_H

typedef int nvmlReturn_t; /* an enum in nvml.h; int-sized on every ABI NVML ships for */
typedef struct nvmlDevice_st *nvmlDevice_t;

enum {
	NVML_SUCCESS = 0,
	NVML_ERROR_UNINITIALIZED = 1,
	NVML_ERROR_INVALID_ARGUMENT = 2,
	NVML_ERROR_NOT_SUPPORTED = 3,
	NVML_ERROR_NO_PERMISSION = 4,
	NVML_ERROR_INSUFFICIENT_SIZE = 7,
	NVML_ERROR_DRIVER_NOT_LOADED = 9,
	NVML_ERROR_FUNCTION_NOT_FOUND = 13,
	NVML_ERROR_UNKNOWN = 999,
};

enum { NVML_CLOCK_MEM = 2 }; /* nvmlClockType_t */

#define NVML_DEVICE_NAME_V2_BUFFER_SIZE 96
#define NVML_DEVICE_UUID_V2_BUFFER_SIZE 96
#define NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE 80
#define NVML_VALUE_NOT_AVAILABLE_ULL 0xffffffffffffffffULL

typedef struct {
	char busIdLegacy[16];
	unsigned int domain, bus, device, pciDeviceId, pciSubSystemId;
	char busId[32]; /* "00000000:3B:00.0" */
} nvmlPciInfo_t;

typedef struct { /* v1: used = reserved + allocated */
	unsigned long long total, free, used;
} nvmlMemory_t;

typedef struct { /* v2: reserved apart; total = reserved + free + used */
	unsigned int version;
	unsigned long long total, reserved, free, used;
} nvmlMemory_v2_t;
#define NVML_MEMORY_V2_VERSION ((unsigned int)(sizeof(nvmlMemory_v2_t) | (2u << 24)))

typedef struct { /* for nvmlDevice*RunningProcesses (no suffix) */
	unsigned int pid;
	unsigned long long usedGpuMemory;
} nvmlProcessInfo_v1_t;

typedef struct { /* for the _v2 and _v3 functions */
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId, computeInstanceId;
} nvmlProcessInfo_v2_t;

typedef nvmlReturn_t (*nvml_void_fn)(void);
typedef const char *(*nvml_error_string_fn)(nvmlReturn_t);
typedef nvmlReturn_t (*nvml_driver_version_fn)(char *, unsigned int);
typedef nvmlReturn_t (*nvml_count_fn)(unsigned int *);
typedef nvmlReturn_t (*nvml_handle_fn)(unsigned int, nvmlDevice_t *);
typedef nvmlReturn_t (*nvml_string_fn)(nvmlDevice_t, char *, unsigned int);
typedef nvmlReturn_t (*nvml_pci_fn)(nvmlDevice_t, nvmlPciInfo_t *);
typedef nvmlReturn_t (*nvml_memory_fn)(nvmlDevice_t, nvmlMemory_t *);
typedef nvmlReturn_t (*nvml_memory_v2_fn)(nvmlDevice_t, nvmlMemory_v2_t *);
typedef nvmlReturn_t (*nvml_cc_fn)(nvmlDevice_t, int *, int *);
typedef nvmlReturn_t (*nvml_uint_fn)(nvmlDevice_t, unsigned int *);
typedef nvmlReturn_t (*nvml_clock_fn)(nvmlDevice_t, int, unsigned int *);
typedef nvmlReturn_t (*nvml_procs_v1_fn)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_v1_t *);
typedef nvmlReturn_t (*nvml_procs_v2_fn)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_v2_t *);

#endif
