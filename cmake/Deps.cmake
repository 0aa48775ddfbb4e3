# Every dependency comes from a Debian 12 package (scripts/install-deps.sh installs them).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(nlohmann_json REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(Protobuf REQUIRED)
find_package(GTest REQUIRED)
find_package(CLI11 REQUIRED)
pkg_check_modules(GRPCPP REQUIRED IMPORTED_TARGET grpc++)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)
pkg_check_modules(LIBCAP REQUIRED IMPORTED_TARGET libcap)
pkg_check_modules(LIBARCHIVE REQUIRED IMPORTED_TARGET libarchive)
pkg_check_modules(LIBCURL REQUIRED IMPORTED_TARGET libcurl)
pkg_check_modules(OPENSSL REQUIRED IMPORTED_TARGET libcrypto)
# Boost.Asio and Boost.Beast, header-only (Boost::headers).
find_package(Boost 1.74 REQUIRED)
pkg_check_modules(LIBZ REQUIRED IMPORTED_TARGET zlib)
pkg_check_modules(LIBSSL REQUIRED IMPORTED_TARGET libssl)
pkg_check_modules(LIBNL3 REQUIRED IMPORTED_TARGET libnl-3.0)
pkg_check_modules(LIBNL_ROUTE3 REQUIRED IMPORTED_TARGET libnl-route-3.0)
pkg_check_modules(LIBNFTABLES REQUIRED IMPORTED_TARGET libnftables)
pkg_check_modules(LIBSYSTEMD REQUIRED IMPORTED_TARGET libsystemd)
# NFS in userspace (capstan-csi-nfs, capstan-nfs-fuse): libnfs and FUSE 3.
pkg_check_modules(LIBNFS REQUIRED IMPORTED_TARGET libnfs)
pkg_check_modules(FUSE3 REQUIRED IMPORTED_TARGET fuse3)
find_program(GRPC_CPP_PLUGIN grpc_cpp_plugin REQUIRED)
find_program(PROTOC protoc REQUIRED)

# Generates C++ (and gRPC stubs) for one .proto; output lands beside its source path under
# the build dir so it is included as "api/cri/runtime/v1/api.pb.h".
function(capstan_proto_library name proto)
  get_filename_component(dir ${proto} DIRECTORY)
  get_filename_component(base ${proto} NAME_WE)
  file(RELATIVE_PATH rel_dir ${CMAKE_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/${dir})
  set(out ${CMAKE_BINARY_DIR}/${rel_dir})
  set(srcs ${out}/${base}.pb.cc ${out}/${base}.grpc.pb.cc)
  set(hdrs ${out}/${base}.pb.h ${out}/${base}.grpc.pb.h)
  add_custom_command(
    OUTPUT ${srcs} ${hdrs}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${out}
    COMMAND ${PROTOC} --cpp_out=${CMAKE_BINARY_DIR} --grpc_out=${CMAKE_BINARY_DIR}
            --plugin=protoc-gen-grpc=${GRPC_CPP_PLUGIN} -I ${CMAKE_SOURCE_DIR}
            ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
    DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/${proto}
    COMMENT "protoc ${proto}")
  add_library(${name} STATIC ${srcs})
  target_compile_options(${name} PRIVATE -w)
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf PkgConfig::GRPCPP)
endfunction()
pkg_check_modules(SQLITE3 REQUIRED IMPORTED_TARGET sqlite3)
