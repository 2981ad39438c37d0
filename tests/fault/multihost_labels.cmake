# Included by ctest after fault_multihost_test's discovered tests (tests/fault/CMakeLists.txt).
set_tests_properties(${fault_multihost_test_TESTS} PROPERTIES LABELS "fault;multihost")
