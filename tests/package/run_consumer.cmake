# Run by ctest (see CMakeLists.txt): install, configure the consumer, build it, run it on 2 ranks.
cmake_minimum_required(VERSION 3.19)

foreach(var DLBFGS_BUILD_DIR CONSUMER_SOURCE_DIR WORK_DIR CMAKE_COMMAND MPIEXEC_EXECUTABLE)
  if(NOT ${var})
    message(FATAL_ERROR "run_consumer.cmake: ${var} is not set")
  endif()
endforeach()

set(prefix ${WORK_DIR}/prefix)
set(build ${WORK_DIR}/build)
file(REMOVE_RECURSE ${WORK_DIR})  # a fresh prefix every time: nothing stale is found
file(MAKE_DIRECTORY ${WORK_DIR})

if(NOT CONFIG)
  set(CONFIG Release)
endif()

function(step title)
  message(STATUS "package_consumer: ${title}")
  execute_process(COMMAND ${ARGN} COMMAND_ECHO STDOUT RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "package_consumer: ${title} failed (${rc})")
  endif()
endfunction()

step("install into ${prefix}"
     ${CMAKE_COMMAND} --install ${DLBFGS_BUILD_DIR} --prefix ${prefix} --config ${CONFIG})

foreach(file lib/cmake/dlbfgs/dlbfgsConfig.cmake lib/cmake/dlbfgs/dlbfgsConfigVersion.cmake
             include/dlbfgs/dlbfgs.hpp include/dlbfgs/version.hpp)
  if(NOT EXISTS ${prefix}/${file})
    # GNUInstallDirs may choose lib64 on some systems.
    string(REPLACE "lib/" "lib64/" alt ${file})
    if(NOT EXISTS ${prefix}/${alt})
      message(FATAL_ERROR "package_consumer: ${file} was not installed")
    endif()
  endif()
endforeach()

set(configure_args -S ${CONSUMER_SOURCE_DIR} -B ${build} -DCMAKE_PREFIX_PATH=${prefix}
                   -DCMAKE_BUILD_TYPE=${CONFIG})
if(GENERATOR)
  list(APPEND configure_args -G ${GENERATOR})
endif()
if(CXX_COMPILER)
  list(APPEND configure_args -DCMAKE_CXX_COMPILER=${CXX_COMPILER})
endif()
if(Eigen3_DIR)
  list(APPEND configure_args -DEigen3_DIR=${Eigen3_DIR})
endif()
step("configure the consumer" ${CMAKE_COMMAND} ${configure_args})
step("build the consumer" ${CMAKE_COMMAND} --build ${build} --config ${CONFIG})

set(exe ${build}/dlbfgs_consumer)
if(NOT EXISTS ${exe} AND EXISTS ${build}/${CONFIG}/dlbfgs_consumer)
  set(exe ${build}/${CONFIG}/dlbfgs_consumer)
endif()
separate_arguments(pre UNIX_COMMAND "${MPIEXEC_PREFLAGS}")
separate_arguments(post UNIX_COMMAND "${MPIEXEC_POSTFLAGS}")
step("run the consumer on 2 ranks"
     ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 ${pre} ${exe} ${post})
