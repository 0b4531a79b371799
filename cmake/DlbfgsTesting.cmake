# Test helpers of dlbfgs. Tests link dlbfgs::dlbfgs exactly as outside users do; they also see
# src/ so that white-box tests can include private headers (namespace dlbfgs::internal).

# DIRECTORY, not GLOBAL: python/tests (a sibling of tests/) needs the variables below too.
include_guard(DIRECTORY)

# The repository root, captured here: inside the functions CMAKE_CURRENT_LIST_DIR is the caller's.
get_filename_component(DLBFGS_TESTING_ROOT "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)

find_package(GTest REQUIRED)
find_package(MPI REQUIRED COMPONENTS CXX)  # no-op when the top level found it already

# Environment of every MPI test (scripts/lib.sh exports the same OMPI_* set). Lets Open MPI run as
# root and start more ranks than cores; its CMA single-copy path needs ptrace, which many
# containers forbid, so use copy-in/copy-out instead (slightly slower, always works).
set(DLBFGS_MPI_TEST_ENVIRONMENT
  "OMPI_ALLOW_RUN_AS_ROOT=1"
  "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1"
  "OMPI_MCA_rmaps_base_oversubscribe=1"
  "OMPI_MCA_btl_vader_single_copy_mechanism=none"
  "GTEST_COLOR=no")  # mpiexec forwards output through a pty: keep escape codes out of the logs

# Rank counts every MPI test runs at.
set(DLBFGS_MPI_TEST_RANKS 1 2 3 4)

function(_dlbfgs_test_target name)
  add_executable(${name} ${ARGN})
  target_include_directories(${name} PRIVATE ${DLBFGS_TESTING_ROOT}/src
                                             ${DLBFGS_TESTING_ROOT}/tests/support)
  target_compile_options(${name} PRIVATE -Wall -Wextra -Wpedantic)
  target_link_libraries(${name} PRIVATE dlbfgs::dlbfgs GTest::gtest)
endfunction()

# dlbfgs_add_unit_test(NAME SOURCES...): a serial GoogleTest executable, one ctest entry NAME
# (label unit).
function(dlbfgs_add_unit_test name)
  _dlbfgs_test_target(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE GTest::gtest_main)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit TIMEOUT 60)
endfunction()

# The MPI-aware GoogleTest main (tests/support/mpi_gtest_main.cpp), built once.
function(_dlbfgs_mpi_gtest_main)
  if(NOT TARGET dlbfgs_mpi_gtest_main)
    add_library(dlbfgs_mpi_gtest_main STATIC
                ${DLBFGS_TESTING_ROOT}/tests/support/mpi_gtest_main.cpp)
    target_link_libraries(dlbfgs_mpi_gtest_main PUBLIC GTest::gtest MPI::MPI_CXX)
    target_compile_features(dlbfgs_mpi_gtest_main PUBLIC cxx_std_17)
    target_compile_options(dlbfgs_mpi_gtest_main PRIVATE -Wall -Wextra -Wpedantic)
  endif()
endfunction()

# dlbfgs_add_mpi_test(NAME SOURCES...): a GoogleTest executable with the MPI test main,
# registered as NAME.np1 ... NAME.np4 (labels mpi, PROCESSORS N), each run under mpiexec.
function(dlbfgs_add_mpi_test name)
  _dlbfgs_mpi_gtest_main()
  _dlbfgs_test_target(${name} ${ARGN})
  target_link_libraries(${name} PRIVATE dlbfgs_mpi_gtest_main)
  foreach(np IN LISTS DLBFGS_MPI_TEST_RANKS)
    # FindMPI defaults the cap to the host's cores; refuse to skip a rank count silently.
    if(np GREATER MPIEXEC_MAX_NUMPROCS)
      message(FATAL_ERROR
        "MPI test ${name} needs ${np} ranks but MPIEXEC_MAX_NUMPROCS is ${MPIEXEC_MAX_NUMPROCS}; "
        "configure with -DMPIEXEC_MAX_NUMPROCS=4 (ranks beyond the cores are oversubscribed)")
    endif()
    add_test(NAME ${name}.np${np}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
                     $<TARGET_FILE:${name}> ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${name}.np${np} PROPERTIES
      PROCESSORS ${np}
      LABELS mpi
      # Each program runs in seconds: a hang shows within a minute, not after five.
      TIMEOUT 60
      ENVIRONMENT "${DLBFGS_MPI_TEST_ENVIRONMENT}")
  endforeach()
endfunction()

# dlbfgs_add_python_mpi_test(NAME SCRIPT [ARGS...]): a Python test script run by the module's
# interpreter under mpiexec, registered as NAME.np1 ... NAME.np4 (labels mpi and python,
# PROCESSORS N) with the build tree's package on PYTHONPATH. The script's exit status is the
# maximum over ranks (python/tests/mpi_unittest.py).
function(dlbfgs_add_python_mpi_test name script)
  foreach(np IN LISTS DLBFGS_MPI_TEST_RANKS)
    if(np GREATER MPIEXEC_MAX_NUMPROCS)
      message(FATAL_ERROR
        "MPI test ${name} needs ${np} ranks but MPIEXEC_MAX_NUMPROCS is ${MPIEXEC_MAX_NUMPROCS}; "
        "configure with -DMPIEXEC_MAX_NUMPROCS=4 (ranks beyond the cores are oversubscribed)")
    endif()
    add_test(NAME ${name}.np${np}
             COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${np} ${MPIEXEC_PREFLAGS}
                     ${Python_EXECUTABLE} ${script} ${ARGN} ${MPIEXEC_POSTFLAGS})
    set_tests_properties(${name}.np${np} PROPERTIES
      PROCESSORS ${np}
      LABELS "mpi;python"
      TIMEOUT 120
      ENVIRONMENT "${DLBFGS_MPI_TEST_ENVIRONMENT};PYTHONPATH=${DLBFGS_PYTHON_BUILD_DIR};PYTHONDONTWRITEBYTECODE=1")
  endforeach()
endfunction()
