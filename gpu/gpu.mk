# gpu/gpu.mk - included by the Makefile: build with the CUDA runtime when the
# toolkit is here, and without it when it is not.
#
# The toolkit is CUDA_HOME if set, else /usr/local/cuda, and counts only if it
# has both include/cuda_runtime_api.h and lib64/libcudart_static.a.  Then
# vramfit links the runtime statically, so the same binary runs on machines
# with no driver (and says "no CUDA device" there) or any driver new enough
# for this runtime; NVML is dlopen()ed at run time either way (-ldl).
# Without the toolkit gpu/gpu_cuda.c compiles to stubs and only NVML probes.
#
#   make CUDA_HOME=/nonexistent BUILD=build/nocuda    the no-toolkit build

VF_CUDA := $(if $(CUDA_HOME),$(CUDA_HOME),/usr/local/cuda)
VF_CUDA_OK := $(and $(wildcard $(VF_CUDA)/include/cuda_runtime_api.h),$(wildcard $(VF_CUDA)/lib64/libcudart_static.a))

ifneq ($(VF_CUDA_OK),)
CPPFLAGS += -DVF_HAVE_CUDA -I$(VF_CUDA)/include
LDLIBS += $(VF_CUDA)/lib64/libcudart_static.a -lpthread -ldl -lrt
else
LDLIBS += -ldl
endif

# This file is read before the Makefile's first rule: keep `all` the default
# goal although the rule below comes first.
.DEFAULT_GOAL := all

# Switching between the two builds in one BUILD dir must recompile
# gpu_cuda.o (stubs or not): it depends on a stamp naming the current choice.
VF_GPU_STAMP := $(BUILD)/gpu-config-$(if $(VF_CUDA_OK),cuda,nocuda)
$(VF_GPU_STAMP):
	@mkdir -p $(dir $@)
	@rm -f $(BUILD)/gpu-config-*
	@touch $@
$(BUILD)/obj/gpu/gpu_cuda.o: $(VF_GPU_STAMP)

# Under the sanitizers, LeakSanitizer skips allocations made inside the NVIDIA
# driver libraries that the probe loads at run time (libcuda.so.1 via the
# static runtime, libnvidia-ml.so.1 via dlopen): they live until exit by
# design and are not ours to free.  Leaks in vramfit's own code still fail.
# See gpu/lsan.supp.
ifneq ($(SAN),)
export LSAN_OPTIONS := suppressions=$(abspath gpu/lsan.supp):print_suppressions=0$(if $(LSAN_OPTIONS),:$(LSAN_OPTIONS))
endif
