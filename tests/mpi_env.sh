# Sourced by the MPI test scripts: the Open MPI settings a container as root
# needs (doc/distributed.md). Root allowed; more ranks than cores; the
# shared-memory transport without the kernel's cross-process copy
# (containers forbid process_vm_readv); no UCX/openib probing; no binding
# (container cpusets); ranks that wait yield the cores to pocl, which gets
# one thread per rank (the pocl 3.1 and 4 names).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 \
       OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader \
       OMPI_MCA_btl_vader_single_copy_mechanism=none \
       OMPI_MCA_rmaps_base_oversubscribe=1 OMPI_MCA_hwloc_base_binding_policy=none \
       OMPI_MCA_mpi_yield_when_idle=1 OMPI_MCA_btl_base_warn_component_unused=0 \
       POCL_MAX_PTHREAD_COUNT=1 POCL_CPU_MAX_CU_COUNT=1
